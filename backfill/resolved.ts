/**
 * `backfill --resolved`: training data that exists on the first day. Loads the venue's closed
 * markets that ended in [since, until] — metadata as the venue has it now, resolutions, and
 * each token's whole price history — into the live tables, marked as backfilled
 * (`markets.backfilled_at`, source `gamma_backfill` / `resolved_backfill`; see
 * migrations/0016_resolved_backfill.sql).
 *
 * Two phases, one after the other: the Gamma listing (`resolved_catalog.ts`, checkpointed per
 * page), then one `/prices-history` request per token not done yet (`resolved_prices.ts`,
 * checkpointed per token), `concurrency` at a time. Every request goes through the `http`
 * given, whose limiter holds the backfill's share of the documented budgets. An abort stops
 * both phases soon (rethrowing `signal.reason`); the next run resumes where it stopped. A run
 * after a complete one walks the listing again (new closures are found) and fetches nothing.
 *
 * @example
 * ```ts ignore
 * import { runResolvedBackfill } from "./resolved.ts";
 * const result = await runResolvedBackfill(deps, { since, until: null, fidelityMinutes: 60,
 *   pageSize: 500, concurrency: 4 }, signal);
 * ```
 */
import type { Budget, EndpointFamily } from "../polymarket/rate_limiter.ts";
import type { Logger } from "../runtime/log.ts";
import { rateBoundMs } from "./estimate.ts";
import {
  type CatalogProgress,
  loadResolvedCatalog,
  type ResolvedDeps,
  type ResolvedRange,
} from "./resolved_catalog.ts";
import { fillTokenHistory, listTokensToFill } from "./resolved_prices.ts";

/** Options of {@link runResolvedBackfill}. */
export interface ResolvedOptions extends ResolvedRange {
  /** Fidelity (minutes) to ask `/prices-history` for. */
  fidelityMinutes: number;
  /** Markets per Gamma page. */
  pageSize: number;
  /** Token requests in flight. */
  concurrency: number;
  /** After every listing page. */
  onListing?: (progress: CatalogProgress) => void;
  /** After every price request. */
  onProgress?: (progress: PriceProgress) => void;
}

/** Running totals of the price phase. */
export interface PriceProgress {
  requests: number;
  rows: number;
  unitsDone: number;
  units: number;
}

/** What a run did. */
export interface ResolvedResult {
  listing: CatalogProgress;
  prices: PriceProgress;
  noHistory: number;
  coarse: number;
  failed: number;
  durationMs: number;
}

/** Runs both phases; rethrows `signal.reason` when aborted. */
export async function runResolvedBackfill(
  deps: ResolvedDeps & { log: Logger },
  options: ResolvedOptions,
  signal: AbortSignal,
): Promise<ResolvedResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const listing = await loadResolvedCatalog(
    deps,
    { ...options, onPage: options.onListing },
    signal,
  );
  const queue = await listTokensToFill(deps.sql, options, options.fidelityMinutes);
  const prices: PriceProgress = { requests: 0, rows: 0, unitsDone: 0, units: queue.length };
  const result: ResolvedResult = {
    listing,
    prices,
    noHistory: 0,
    coarse: 0,
    failed: 0,
    durationMs: 0,
  };
  const worker = async () => {
    for (let token = queue.shift(); token !== undefined; token = queue.shift()) {
      signal.throwIfAborted();
      try {
        const got = await fillTokenHistory(deps, token, {
          fidelityMinutes: options.fidelityMinutes,
          signal,
        });
        prices.requests++;
        prices.rows += got.rows;
        if (got.gap === "no_history") result.noHistory++;
        if (got.gap === "coarse_history") result.coarse++;
      } catch (err) {
        signal.throwIfAborted();
        result.failed++;
        deps.log.warn("backfill_resolved_token_failed", { tokenId: token.tokenId, error: err });
      }
      prices.unitsDone++;
      options.onProgress?.(prices);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  result.durationMs = now() - started;
  return result;
}

/** Requests a run would make and how long they take (the dry run's answer). */
export interface ResolvedEstimate {
  listingRequests: number;
  eventRequests: number;
  priceRequests: number;
  durationMs: number;
}

/**
 * Estimates a run from a dry listing: the listing's pages again, at most one event request
 * per 100 markets, one price request per token not done; the two phases run one after the
 * other, each bounded by its budgets' sliding windows and by latency / concurrency (the model
 * of `estimate.ts`).
 */
export function estimateResolved(
  listing: CatalogProgress,
  options: {
    budgets: Record<EndpointFamily, Budget>;
    concurrency: number;
    /** Expected time per request (default 200 ms for the venue). */
    latencyMs?: number;
  },
): ResolvedEstimate {
  const b = options.budgets;
  const latency = options.latencyMs ?? 200;
  const listingRequests = listing.pages;
  const eventRequests = Math.ceil(listing.markets / 100);
  const priceRequests = Math.max(0, listing.tokens - listing.tokensDone);
  const listingMs = Math.max(
    rateBoundMs(listingRequests, b["gamma:markets"]) +
      rateBoundMs(eventRequests, b["gamma:events"]),
    rateBoundMs(listingRequests + eventRequests, b.gamma),
    (listingRequests + eventRequests) * latency,
  );
  const priceMs = Math.max(
    rateBoundMs(priceRequests, b["clob:prices-history"]),
    rateBoundMs(priceRequests, b.clob),
    (priceRequests * latency) / Math.max(1, options.concurrency),
  );
  return {
    listingRequests,
    eventRequests,
    priceRequests,
    durationMs: Math.round(listingMs + priceMs),
  };
}
