/**
 * Backfill progress: a one-line bar with rate and ETA redrawn in place on a terminal, or one
 * JSON line every `intervalMs` when stdout is a pipe or a file (for logs and journald), and a
 * last line that says how the run ended (done, interrupted or failed).
 * Progress is counted in requests, the unit the rate budget limits.
 *
 * @example
 * ```ts
 * import { formatProgressBar } from "./progress.ts";
 * formatProgressBar({ requests: 50, totalRequests: 100, rows: 1200, elapsedMs: 10_000 }, 10);
 * // "[#####.....]  50% 50/100 req  5.0 req/s  1200 rows  ETA 0:10"
 * ```
 */

/** One progress reading. */
export interface ProgressReading {
  requests: number;
  totalRequests: number;
  rows: number;
  elapsedMs: number;
}

/** Requests per second so far, and the seconds left at that rate (null before any). */
export function rateAndEta(p: ProgressReading): { perSecond: number; etaS: number | null } {
  const perSecond = p.elapsedMs > 0 ? (p.requests * 1000) / p.elapsedMs : 0;
  const left = Math.max(0, p.totalRequests - p.requests);
  return { perSecond, etaS: perSecond > 0 ? Math.round(left / perSecond) : null };
}

/** "1:05:09" / "3:07" / "0:10". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The terminal bar for one reading. */
export function formatProgressBar(p: ProgressReading, width = 30): string {
  const ratio = p.totalRequests > 0 ? Math.min(1, p.requests / p.totalRequests) : 1;
  const filled = Math.round(ratio * width);
  const { perSecond, etaS } = rateAndEta(p);
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent} ` +
    `${p.requests}/${p.totalRequests} req  ${perSecond.toFixed(1)} req/s  ${p.rows} rows  ` +
    `ETA ${etaS === null ? "?" : formatDuration(etaS)}`;
}

/** How a run ended: the final line says `backfill_done`, `…_interrupted` or `…_failed`. */
export type ProgressOutcome = "done" | "interrupted" | "failed";

/** Reports readings as they come; call `finish` once at the end. */
export interface ProgressReporter {
  update(p: Omit<ProgressReading, "elapsedMs" | "totalRequests">): void;
  finish(outcome?: ProgressOutcome): void;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** true: redraw a bar in place; false: JSON lines. */
  terminal: boolean;
  totalRequests: number;
  /** Writes raw text (no newline added). */
  write: (text: string) => void;
  now?: () => number;
  /** Minimum time between outputs: default 100 ms on a terminal, 5 s otherwise. */
  intervalMs?: number;
}

/** Creates a reporter that throttles its output. */
export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const started = now();
  const every = options.intervalMs ?? (options.terminal ? 100 : 5000);
  let last = -Infinity;
  let latest: ProgressReading = {
    requests: 0,
    rows: 0,
    totalRequests: options.totalRequests,
    elapsedMs: 0,
  };
  const emit = (final: ProgressOutcome | null) => {
    if (options.terminal) {
      const end = final === null ? "" : final === "done" ? "\n" : ` (${final})\n`;
      options.write(`\r${formatProgressBar(latest)}${end}`);
      return;
    }
    const { perSecond, etaS } = rateAndEta(latest);
    options.write(
      JSON.stringify({
        event: final === null ? "backfill_progress" : `backfill_${final}`,
        requests: latest.requests,
        totalRequests: latest.totalRequests,
        rows: latest.rows,
        requestsPerSecond: Math.round(perSecond * 10) / 10,
        etaS,
        durationMs: latest.elapsedMs,
      }) + "\n",
    );
  };
  return {
    update(p) {
      const t = now();
      latest = {
        ...p,
        // The plan's request count is an estimate for trade pages; never show more than 100 %.
        totalRequests: Math.max(options.totalRequests, p.requests),
        elapsedMs: t - started,
      };
      if (t - last < every) return;
      last = t;
      emit(null);
    },
    finish(outcome = "done") {
      latest = { ...latest, elapsedMs: now() - started };
      emit(outcome);
    },
  };
}
