/**
 * The disk guard as a supervisor task ("disk"), and what it watches. Once a minute it reads the
 * free space of the watched file system and the database size, measures growth over a day's
 * window, decides the level (`runtime/disk_guard.ts`), hands it to the collectors through the
 * shed state, logs each transition once, and reports gauges and a `degraded` reason.
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

export const DISK_GUARD_INTERVAL_MS = 60_000;

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
  log.info("disk_guard_watching", { path: target?.path ?? null, source: target?.source ?? null });
  const growth = createGrowthWindow();
  let previous: DiskLevel = shed.level;
  while (true) {
    const dbBytes = await databaseBytes(sql);
    const reading = target === null ? null : await read(target.path);
    // Local: what fills the disk is everything on it; remote: the database's own size.
    growth.add(now(), reading === null ? dbBytes : reading.totalBytes - reading.freeBytes);
    const perDay = growth.perDay();
    const verdict = assessDisk(reading, perDay, config.disk, previous);
    if (verdict.level !== previous) {
      const fields = { from: previous, to: verdict.level, reason: verdict.reason };
      if (verdict.level === "ok") log.info("disk_level_changed", fields);
      else log.warn("disk_level_changed", fields);
      shed.set(verdict.level);
      previous = verdict.level;
    }
    context?.gauge("database_bytes", dbBytes);
    if (perDay !== null) context?.gauge("disk_growth_bytes_per_day", perDay);
    if (reading !== null) {
      context?.gauge("disk_free_bytes", reading.freeBytes);
      context?.gauge("disk_total_bytes", reading.totalBytes);
    }
    // +Inf while usage is not growing; not set while free space is unknown.
    if (reading !== null) context?.gauge("disk_days_left", verdict.daysLeft ?? Infinity);
    context?.gauge("disk_level", DISK_LEVELS.indexOf(verdict.level));
    context?.report({
      path: target?.path ?? null,
      freeBytes: reading?.freeBytes ?? null,
      freePct: verdict.freePct === null ? null : Number(verdict.freePct.toFixed(2)),
      databaseBytes: dbBytes,
      growthBytesPerDay: perDay === null ? null : Math.round(perDay),
      daysLeft: verdict.daysLeft === null ? null : Number(verdict.daysLeft.toFixed(1)),
      level: verdict.level,
      degraded: verdict.reason,
    });
    await sleep(deps.intervalMs ?? DISK_GUARD_INTERVAL_MS, undefined, { signal });
  }
}

/**
 * The `status` line: free space of the watched file system now, and days left at the growth
 * rate the running daemon measured (read from its /metrics on loopback; a one-shot command
 * has no history of its own).
 */
export async function diskStatusLine(
  config: Config,
  sql: Sql,
  signal: AbortSignal,
): Promise<string> {
  const target = await resolveDiskTarget(config, sql);
  const reading = target === null ? null : await readDisk(target.path);
  const perDay = await daemonGrowthPerDay(config, signal);
  const growth = perDay === null
    ? "growth: unknown (no running daemon's /metrics to measure it)"
    : `growth: ${formatGib(perDay)}/day`;
  if (target === null || reading === null) {
    return `disk: free space unknown (remote database; set PMCOLLECT_DISK_PATH), ${growth}`;
  }
  const pct = (reading.freeBytes / reading.totalBytes) * 100;
  const days = perDay === null
    ? ""
    : perDay > 0
    ? `, days left: ${(reading.freeBytes / perDay).toFixed(1)}`
    : ", days left: not growing";
  return `disk: ${formatGib(reading.freeBytes)} free of ${formatGib(reading.totalBytes)} ` +
    `(${pct.toFixed(1)}%) at ${target.path}, ${growth}${days}`;
}

/** `pmcollect_disk_growth_bytes_per_day` from the daemon's /metrics, or null. */
async function daemonGrowthPerDay(config: Config, signal: AbortSignal): Promise<number | null> {
  if (config.health.port === 0) return null;
  try {
    const response = await fetch(`http://127.0.0.1:${config.health.port}/metrics`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]),
    });
    const text = await response.text();
    const match = /^pmcollect_disk_growth_bytes_per_day\{[^}]*\} (\S+)$/m.exec(text);
    const value = match === null ? NaN : Number(match[1]);
    return Number.isFinite(value) ? value : null;
  } catch {
    if (signal.aborted) throw signal.reason;
    return null;
  }
}

function formatGib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
