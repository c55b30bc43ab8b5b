/**
 * `runForecastTask`: the daemon's supervised task "forecasts" (issue 28). Every
 * PMCOLLECT_FORECAST_S (off by default, docs/models.md "Forecasts") one pass forecasts every
 * market the catalog does not show closed, at the pass's instant, with the newest stored model
 * (the market baseline when none is stored), writes the rows into `forecasts`, then scores the
 * rows whose market has resolved since (`scoreForecasts`), so live skill is measured.
 *
 * Bounded work: markets are forecast `batchMarkets` (2,000, more when an event would be cut: its
 * neg-risk partition is coherent only when forecast whole) at a time, one batch after another on
 * the shared pool (at most seven connections at once: a batch's tradability on two, its feature
 * lookups on four beside it with a one-horizon model, after it otherwise, and the previous
 * batch's write on one), the scoring pass updates at most 50,000 rows,
 * and retention (`pruneForecasts`) deletes at most 500,000 rows older than
 * PMCOLLECT_FORECAST_RETAIN_DAYS (30) days, folding the scored ones into `forecast_skill` so
 * live skill keeps them; each pass logs one `forecasts_written` line (markets, tokens, skipped,
 * scored, pruned, model version, durationMs) and reports it on /healthz. While the
 * database is away the task says so once (`forecasts_db_down`) and tries again at the next
 * pass, like the relations refresh; only other errors crash it (the supervisor restarts it).
 *
 * @example
 * ```ts ignore
 * import { runForecastTask } from "./forecast_task.ts";
 * await runForecastTask({ sql, log, intervalMs: 3_600_000 }, signal);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectionError, type Queryable } from "../db/client.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import { latestModel } from "./store.ts";
import { type ForecastsAt, forecastsAt } from "./forecast_at.ts";
import {
  FORECAST_RETAIN_DAYS,
  insertForecasts,
  pruneForecasts,
  scoreForecasts,
} from "./forecast_store.ts";

export const BATCH_MARKETS = 2_000;

export interface ForecastTaskDeps {
  readonly sql: Queryable;
  readonly log: Logger;
  /** Between two passes (PMCOLLECT_FORECAST_S). */
  readonly intervalMs: number;
  readonly context?: TaskContext;
  readonly now?: () => number;
  readonly batchMarkets?: number;
  /** Days of forecasts kept (PMCOLLECT_FORECAST_RETAIN_DAYS; default 30). */
  readonly retainDays?: number;
  readonly signal?: AbortSignal;
  /**
   * Called with each batch's forecasts once they are written (live paper's model-edge
   * playbook); the pass waits for it.
   */
  readonly onForecasts?: (forecasts: ForecastsAt) => Promise<void>;
  /** Called after each pass (tests wait on it). */
  readonly onPass?: (outcome: ForecastPass) => void;
}

/** What one pass did. */
export interface ForecastPass {
  readonly at: string;
  readonly modelVersion: number | null;
  readonly markets: number;
  readonly tokens: number;
  readonly written: number;
  readonly skipped: number;
  readonly scored: number;
  /** Rows deleted by retention (older than the retained days). */
  readonly pruned: number;
  readonly durationMs: number;
}

/** Runs until `signal` aborts; rethrows `signal.reason`. */
export async function runForecastTask(deps: ForecastTaskDeps, signal: AbortSignal): Promise<void> {
  let down = false;
  while (true) {
    signal.throwIfAborted();
    try {
      await forecastPass({ ...deps, signal });
      if (down) deps.log.info("forecasts_db_back", {});
      down = false;
    } catch (err) {
      // An interrupted pass leaves whole batches written; the next pass forecasts a new instant.
      if (signal.aborted) throw signal.reason;
      if (!isConnectionError(err)) throw err;
      if (!down) deps.log.warn("forecasts_db_down", { error: String(err) });
      down = true;
    }
    await sleep(deps.intervalMs, undefined, { signal });
  }
}

/** One pass at `deps.now()` (see the module header). */
export async function forecastPass(deps: ForecastTaskDeps): Promise<ForecastPass> {
  const started = performance.now();
  const at = new Date((deps.now ?? Date.now)());
  const model = await latestModel(deps.sql);
  const open = await deps.sql<{ market_id: string; event_id: string }[]>`
    select market_id, coalesce(event_id, '') as event_id from markets where closed is not true
    order by event_id collate "C", market_id collate "C"`;
  let markets = 0, tokens = 0, written = 0, skipped = 0;
  // A batch's write (and the hook after it) runs while the next batch is read; batches are still
  // written one after another, in order. Its outcome is caught at once (no unhandled rejection
  // while the next batch is read) and rethrown where it is waited for.
  let writing: Promise<{ error: unknown } | null> = Promise.resolve(null);
  const previousWrite = async () => {
    const failed = await writing;
    if (failed !== null) throw failed.error;
  };
  const write = async (forecasts: ForecastsAt) => {
    written += await insertForecasts(deps.sql, forecasts);
    await deps.onForecasts?.(forecasts);
  };
  try {
    for (const batch of eventBatches(open, deps.batchMarkets ?? BATCH_MARKETS)) {
      deps.signal?.throwIfAborted();
      const forecasts = await forecastsAt(deps.sql, batch, {
        at,
        model,
        signal: deps.signal,
      });
      markets += forecasts.markets.length;
      tokens += forecasts.markets.length * 2;
      skipped += forecasts.skipped.length;
      await previousWrite();
      writing = write(forecasts).then(() => null, (error) => ({ error }));
    }
    await previousWrite();
  } catch (err) {
    // Nothing of this pass runs on after it: a write still running is waited for, and when it
    // failed too, its failure (the earlier batch's) is the one reported.
    const failed = await writing;
    throw failed === null ? err : failed.error;
  }
  const scored = await scoreForecasts(deps.sql, { now: at });
  const pruned = await pruneForecasts(deps.sql, {
    retainDays: deps.retainDays ?? FORECAST_RETAIN_DAYS,
    now: at,
  });
  const outcome: ForecastPass = {
    at: at.toISOString(),
    modelVersion: model?.version ?? null,
    markets,
    tokens,
    written,
    skipped,
    scored,
    pruned,
    durationMs: Math.round(performance.now() - started),
  };
  deps.log.info("forecasts_written", { ...outcome });
  deps.context?.counter("forecast_passes_total");
  deps.context?.observe("forecast_pass_duration_seconds", outcome.durationMs / 1000);
  deps.context?.report({ lastSuccessAt: outcome.at, ...outcome });
  deps.onPass?.(outcome);
  return outcome;
}

/**
 * Market ids in batches of about `size`, never cutting an event: its neg-risk partition is made
 * coherent only when all its members are forecast together. Rows come ordered by event.
 */
export function eventBatches(
  rows: readonly { market_id: string; event_id: string }[],
  size: number,
): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  rows.forEach((row, i) => {
    const eventEnds = i + 1 === rows.length || rows[i + 1]!.event_id !== row.event_id ||
      row.event_id === "";
    batch.push(row.market_id);
    if (eventEnds && batch.length >= size) {
      batches.push(batch);
      batch = [];
    }
  });
  if (batch.length > 0) batches.push(batch);
  return batches;
}
