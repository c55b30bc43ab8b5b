/**
 * The dry-run estimate: requests per endpoint and how long they take under the backfill's
 * own rate budget. Price requests are counted exactly (the run splits windows the same way);
 * trade pages are estimated from each market's stored trade rate.
 *
 * Duration model: requests of one family are spread by its sliding window, so n requests
 * with a budget of L per W ms need (⌈n/L⌉ − 1)·W ms; with `concurrency` requests in flight of
 * `latencyMs` each, n requests need at least n·latency/concurrency. The estimate is the
 * largest of these bounds (the two endpoints run in parallel, `concurrency` units each).
 *
 * @example
 * ```ts
 * import { backfillBudgets, rateBoundMs } from "./estimate.ts";
 * rateBoundMs(25, { limit: 10, windowMs: 10_000 }); // 20000
 * backfillBudgets(0.5)["data:trades"].limit; // 25 (12.5 % of the documented 200)
 * ```
 */
import { type Budget, type EndpointFamily, scaleBudgets } from "../polymarket/rate_limiter.ts";
import { remainingChunks } from "./windows.ts";
import type { BackfillPlan } from "./plan.ts";

/**
 * Share of the daemon's rate fraction the backfill may use: with the default 0.5 the daemon
 * uses 50 % of each documented budget and a backfill beside it 12.5 %.
 */
export const BACKFILL_SHARE = 0.25;

/** The backfill's budgets for a configured rate fraction (PMCOLLECT_RATE_FRACTION). */
export function backfillBudgets(rateFraction: number): Record<EndpointFamily, Budget> {
  return scaleBudgets(rateFraction * BACKFILL_SHARE);
}

/** Options of {@link estimateBackfill}. */
export interface EstimateOptions {
  budgets: Record<EndpointFamily, Budget>;
  concurrency: number;
  /** Expected time per request (default 200 ms for the venue). */
  latencyMs?: number;
  /** Data API page size (trades per request). */
  pageSize: number;
}

/** What a run would do. */
export interface BackfillEstimate {
  requests: { "clob:prices-history": number; "data:trades": number };
  windows: { prices: number; trades: number; alreadyDone: number };
  markets: number;
  durationMs: number;
}

/** Milliseconds `n` requests need under one sliding-window budget. */
export function rateBoundMs(n: number, budget: Budget): number {
  return n <= 0 ? 0 : (Math.ceil(n / budget.limit) - 1) * budget.windowMs;
}

/** Estimates requests and duration of running `plan`. */
export function estimateBackfill(
  plan: Pick<BackfillPlan, "windows" | "expectedTrades">,
  options: EstimateOptions,
): BackfillEstimate {
  let prices = 0;
  const walks = new Set<string>();
  const windows = { prices: 0, trades: 0, alreadyDone: 0 };
  for (const w of plan.windows) {
    if (w.done) {
      windows.alreadyDone++;
      continue;
    }
    windows[w.kind]++;
    if (w.kind === "prices") prices += remainingChunks(w).length;
    else walks.add(w.conditionId);
  }
  let trades = 0;
  for (const scope of walks) {
    trades += 1 + Math.floor((plan.expectedTrades.get(scope) ?? 0) / options.pageSize);
  }
  const b = options.budgets;
  const latency = options.latencyMs ?? 200;
  const durationMs = Math.max(
    rateBoundMs(prices, b["clob:prices-history"]),
    rateBoundMs(prices, b.clob),
    rateBoundMs(trades, b["data:trades"]),
    rateBoundMs(trades, b.data),
    (Math.max(prices, trades) * latency) / Math.max(1, options.concurrency),
  );
  return {
    requests: { "clob:prices-history": prices, "data:trades": trades },
    windows,
    markets: walks.size,
    durationMs: Math.round(durationMs),
  };
}
