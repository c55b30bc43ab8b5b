/**
 * The disk guard as a supervisor task ("disk"), and what it watches. Once a minute it reads the
 * free space of the watched file system and the database size, measures the growth of both
 * over a day's window (known after 10 minutes of samples), decides the level
 * (`runtime/disk_guard.ts`) with days left at the faster of the two growths (so days left is
 * finite whenever the database grows, even while other files on the disk shrink), hands the
 * level to the collectors through the shed state, logs each transition once, and reports
 * gauges and a `degraded` reason. `disk_days_left` is set only once growth is known (+Inf then
 * means nothing grows). It also reports the database's identity, so that `status` believes
 * only a collector writing to its own database.
 *
 * The watched file system: PMCOLLECT_DISK_PATH when set; else the embedded database's data
 * directory; else, for a server on loopback, its `data_directory` when this process can stat
 * it, or the data directory (spill files) when it cannot. A remote server without
 * PMCOLLECT_DISK_PATH has no known free space: only its size and growth are reported.
 *
 * @example
 * ```ts
 * import { runDiskGuard } from "./_disk.ts";
 * tasks.push({ name: "disk", run: (signal, context) => runDiskGuard({ config, sql, shed, log, context }, signal) });
 * ```
 */
import { statfs } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { assessDisk, createGrowthWindow, type DiskReading } from "../runtime/disk_guard.ts";
import type { Logger } from "../runtime/log.ts";
import { DISK_LEVELS, type DiskLevel, type ShedState } from "../runtime/shed.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import {
  type CollectorHealth,
  databaseIdentity,
  describeCollector,
  reportedNumber,
} from "./_collector_health.ts";

export const DISK_GUARD_INTERVAL_MS = 60_000;
/** Samples must span this long before a growth rate is stated (createGrowthWindow's default). */
export const GROWTH_MIN_SPAN_MS = 10 * 60_000;

export interface DiskTarget {
  readonly path: string;
  readonly source: "setting" | "data_dir" | "database";
}

/** Which file system to watch, or null (remote database, no PMCOLLECT_DISK_PATH). */
export async function resolveDiskTarget(config: Config, sql: Sql): Promise<DiskTarget | null> {
  if (config.disk.path !== undefined) return { path: config.disk.path, source: "setting" };
  const url = config.database.url;
  if (url === undefined) return { path: config.dataDir, source: "data_dir" };
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]", ""].includes(host)) return null;
  try {
    const [row] = await sql<{ dir: string }[]>`select current_setting('data_directory') as dir`;
    if (row !== undefined && (await readDisk(row.dir)) !== null) {
      return { path: row.dir, source: "database" };
    }
  } catch {
    // Not allowed to read the setting (needs pg_read_all_settings): watch the data directory.
  }
  return { path: config.dataDir, source: "data_dir" };
}

/** Free and total bytes of the file system holding `path` (null when it cannot be read). */
export async function readDisk(path: string): Promise<DiskReading | null> {
  try {
    const s = await statfs(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

export async function databaseBytes(sql: Sql): Promise<number> {
  const [row] = await sql<{ bytes: string }[]>`
    select pg_database_size(current_database())::text as bytes`;
  return Number(row?.bytes ?? 0);
}

export interface DiskGuardDeps {
  readonly config: Config;
  readonly sql: Sql;
  readonly shed: ShedState;
  readonly log: Logger;
  readonly context?: TaskContext;
  readonly now?: () => number;
  /** Injected in tests; defaults to `readDisk`. */
  readonly read?: (path: string) => Promise<DiskReading | null>;
  readonly intervalMs?: number;
}

/** Runs until `signal` aborts; rethrows `signal.reason`. */
export async function runDiskGuard(deps: DiskGuardDeps, signal: AbortSignal): Promise<void> {
  const { config, sql, shed, log, context } = deps;
  const now = deps.now ?? Date.now;
  const read = deps.read ?? readDisk;
  const target = await resolveDiskTarget(config, sql);
  const identity = await databaseIdentity(sql);
  log.info("disk_guard_watching", { path: target?.path ?? null, source: target?.source ?? null });
  const growth = createGrowthWindow({ minSpanMs: GROWTH_MIN_SPAN_MS });
  const dbGrowth = createGrowthWindow({ minSpanMs: GROWTH_MIN_SPAN_MS });
  const measuringSince = now();
  let previous: DiskLevel = shed.level;
  while (true) {
    const dbBytes = await databaseBytes(sql);
    const reading = target === null ? null : await read(target.path);
    const at = now();
    // Local: what fills the disk is everything on it; remote: the database's own size.
    growth.add(at, reading === null ? dbBytes : reading.totalBytes - reading.freeBytes);
    dbGrowth.add(at, dbBytes);
    const perDay = growth.perDay();
    const dbPerDay = dbGrowth.perDay();
    // Days left at the faster growth: the disk's use can fall (other files deleted) while the
    // database grows, and the database's size misses WAL and spill files that the disk sees.
    const fastest = perDay === null && dbPerDay === null
      ? null
      : Math.max(perDay ?? -Infinity, dbPerDay ?? -Infinity);
    const verdict = assessDisk(reading, fastest, config.disk, previous);
    if (verdict.level !== previous) {
      const fields = { from: previous, to: verdict.level, reason: verdict.reason };
      if (verdict.level === "ok") log.info("disk_level_changed", fields);
      else log.warn("disk_level_changed", fields);
      shed.set(verdict.level);
      previous = verdict.level;
    }
    context?.gauge("database_bytes", dbBytes);
    if (perDay !== null) context?.gauge("disk_growth_bytes_per_day", perDay);
    if (dbPerDay !== null) context?.gauge("database_growth_bytes_per_day", dbPerDay);
    if (reading !== null) {
      context?.gauge("disk_free_bytes", reading.freeBytes);
      context?.gauge("disk_total_bytes", reading.totalBytes);
    }
    // Not set while free space or growth is unknown; +Inf only when nothing grows.
    if (reading !== null && fastest !== null) {
      context?.gauge("disk_days_left", verdict.daysLeft ?? Infinity);
    }
    context?.gauge("disk_level", DISK_LEVELS.indexOf(verdict.level));
    context?.report({
      path: target?.path ?? null,
      databaseIdentity: identity,
      freeBytes: reading?.freeBytes ?? null,
      totalBytes: reading?.totalBytes ?? null,
      freePct: verdict.freePct === null ? null : Number(verdict.freePct.toFixed(2)),
      databaseBytes: dbBytes,
      growthBytesPerDay: perDay === null ? null : Math.round(perDay),
      databaseGrowthBytesPerDay: dbPerDay === null ? null : Math.round(dbPerDay),
      growthMeasuredMs: at - measuringSince,
      growthNeedsMs: GROWTH_MIN_SPAN_MS,
      daysLeft: verdict.daysLeft === null ? null : Number(verdict.daysLeft.toFixed(1)),
      level: verdict.level,
      degraded: verdict.reason,
    });
    await sleep(deps.intervalMs ?? DISK_GUARD_INTERVAL_MS, undefined, { signal });
  }
}

/**
 * The `status` line: free space of the watched file system now, in units that fit its size;
 * growth as the running collector's disk guard measured it (this one-shot command has no
 * history of its own), and days left at that growth. Growth is "unknown" (with why) until the
 * collector has measured it, and days left then too: never infinite while anything grows.
 *
 * @example
 * ```ts ignore
 * write(diskStatusLine(await readDiskNow(config, sql), health));
 * // "disk: 812.3 MiB free of 9.8 GiB (8.1%) at /data; growth: +150.0 MiB/day on disk,
 * //  +120.0 MiB/day in the database, measured by the running collector (127.0.0.1:9464);
 * //  days left: 5.4"
 * ```
 */
export function diskStatusLine(
  now: { readonly target: DiskTarget | null; readonly reading: DiskReading | null },
  health: CollectorHealth,
): string {
  const { target, reading } = now;
  const disk = reportedNumber(health, "disk", "growthBytesPerDay");
  const db = reportedNumber(health, "disk", "databaseGrowthBytesPerDay");
  const who = describeCollector(health);
  let growth: string;
  let fastest: number | null = null;
  if (disk === null && db === null) {
    const measured = reportedNumber(health, "disk", "growthMeasuredMs");
    const needs = reportedNumber(health, "disk", "growthNeedsMs") ?? GROWTH_MIN_SPAN_MS;
    growth = health.kind === "running" && measured !== null
      ? `growth: unknown yet (${who} has measured for ${minutes(measured)} of the ` +
        `${minutes(needs)} it needs)`
      : `growth: unknown (${who} to measure it)`;
  } else {
    fastest = Math.max(disk ?? -Infinity, db ?? -Infinity);
    const parts = [
      ...(disk === null ? [] : [`${signedSize(disk)}/day on disk`]),
      ...(db === null ? [] : [`${signedSize(db)}/day in the database`]),
    ];
    growth = `growth: ${parts.join(", ")}, measured by ${who}`;
  }
  if (target === null || reading === null) {
    return `disk: free space unknown (remote database; set PMCOLLECT_DISK_PATH); ${growth}`;
  }
  const pct = (reading.freeBytes / reading.totalBytes) * 100;
  const days = fastest === null
    ? "days left: unknown"
    : fastest > 0
    ? `days left: ${(reading.freeBytes / fastest).toFixed(1)}`
    : "days left: not growing";
  return `disk: ${formatBytes(reading.freeBytes)} free of ${formatBytes(reading.totalBytes)} ` +
    `(${pct.toFixed(1)}%) at ${target.path}; ${growth}; ${days}`;
}

/** The watched file system and its free space now (either may be unknown). */
export async function readDiskNow(
  config: Config,
  sql: Sql,
): Promise<{ target: DiskTarget | null; reading: DiskReading | null }> {
  const target = await resolveDiskTarget(config, sql);
  return { target, reading: target === null ? null : await readDisk(target.path) };
}

/**
 * Bytes in binary units, the unit chosen by size (one decimal), so a small disk reads
 * "812.3 MiB" rather than "0.8 GiB".
 *
 * @example
 * ```ts
 * import { formatBytes } from "./_disk.ts";
 * formatBytes(1536); // "1.5 KiB"
 * formatBytes(3 * 1024 ** 3); // "3.0 GiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function signedSize(bytes: number): string {
  return bytes < 0 ? `-${formatBytes(-bytes)}` : `+${formatBytes(bytes)}`;
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return `${m} min`;
}
