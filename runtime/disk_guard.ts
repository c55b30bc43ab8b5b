/**
 * The disk guard's decision: from a free-space reading and the measured growth rate, the disk
 * level (`runtime/shed.ts`) and days left. Pure: readings and clock come in as arguments.
 *
 * Below PMCOLLECT_DISK_WARN_PCT free it warns; below PMCOLLECT_DISK_SHED_PCT it sheds quotes;
 * below half of that it also slows the books cadence. A level is left only once free space is
 * HYSTERESIS_PCT above its threshold, so a disk hovering at a threshold does not flap.
 *
 * @example
 * ```ts
 * import { assessDisk } from "./disk_guard.ts";
 * assessDisk({ freeBytes: 4e9, totalBytes: 100e9 }, 2e9, { warnPct: 15, shedPct: 5 }, "ok");
 * // { level: "shed_quotes", freePct: 4, daysLeft: 2, reason: "disk 4.0% free ..." }
 * ```
 */
import { DISK_LEVELS, type DiskLevel } from "./shed.ts";

export interface DiskReading {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

export interface DiskThresholds {
  /** Warn below this share of free space (percent). */
  readonly warnPct: number;
  /** Shed quotes below this share (percent); below half of it, books too. */
  readonly shedPct: number;
}

export interface DiskVerdict {
  readonly level: DiskLevel;
  /** Null when the watched file system is unknown (remote database without PMCOLLECT_DISK_PATH). */
  readonly freePct: number | null;
  /** Null when unknown or the data is not growing. */
  readonly daysLeft: number | null;
  /** Why the level is not ok (for logs and /healthz), else null. */
  readonly reason: string | null;
}

export const HYSTERESIS_PCT = 1;

const WHAT: Readonly<Record<DiskLevel, string>> = {
  ok: "",
  warn: "nothing shed yet",
  shed_quotes: "quote rows are not written",
  shed_books: "quote rows are not written and book snapshots are 4× rarer",
};

/** The level for a free share with no history. */
export function levelFor(freePct: number, t: DiskThresholds): DiskLevel {
  if (freePct < t.shedPct / 2) return "shed_books";
  if (freePct < t.shedPct) return "shed_quotes";
  if (freePct < t.warnPct) return "warn";
  return "ok";
}

/** The verdict for one reading, given the previous level (for hysteresis). */
export function assessDisk(
  reading: DiskReading | null,
  growthBytesPerDay: number | null,
  thresholds: DiskThresholds,
  previous: DiskLevel,
): DiskVerdict {
  if (reading === null || reading.totalBytes <= 0) {
    return { level: "ok", freePct: null, daysLeft: null, reason: null };
  }
  const freePct = (reading.freeBytes / reading.totalBytes) * 100;
  const target = levelFor(freePct, thresholds);
  const rank = (l: DiskLevel) => DISK_LEVELS.indexOf(l);
  const level = rank(target) >= rank(previous)
    ? target
    : DISK_LEVELS[Math.min(rank(previous), rank(levelFor(freePct - HYSTERESIS_PCT, thresholds)))]!;
  const daysLeft = growthBytesPerDay !== null && growthBytesPerDay > 0
    ? reading.freeBytes / growthBytesPerDay
    : null;
  const left = daysLeft === null ? "" : `, ${daysLeft.toFixed(1)} days left at the current rate`;
  const reason = level === "ok"
    ? null
    : `disk ${freePct.toFixed(1)}% free (${formatGiB(reading.freeBytes)})${left}: ${WHAT[level]}`;
  return { level, freePct, daysLeft, reason };
}

/** A window of (time, bytes used) samples and the growth rate per day over it. */
export interface GrowthWindow {
  add(atMs: number, bytes: number): void;
  /** Bytes per day over the window, or null before `minSpanMs` of samples. */
  perDay(): number | null;
}

export function createGrowthWindow(
  options: { windowMs?: number; minSpanMs?: number } = {},
): GrowthWindow {
  const windowMs = options.windowMs ?? 24 * 3_600_000;
  const minSpanMs = options.minSpanMs ?? 10 * 60_000;
  const samples: { at: number; bytes: number }[] = [];
  return {
    add(at, bytes) {
      samples.push({ at, bytes });
      while (samples.length > 2 && samples[0]!.at < at - windowMs) samples.shift();
    },
    perDay() {
      const first = samples[0];
      const last = samples.at(-1);
      if (first === undefined || last === undefined || last.at - first.at < minSpanMs) return null;
      return ((last.bytes - first.bytes) / (last.at - first.at)) * 86_400_000;
    },
  };
}

function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
