/**
 * Runs a backfill plan: price windows from CLOB `/prices-history` into `price_history`, trade
 * windows from the Data API into `trades` (source "data_api"), `concurrency` units per endpoint at a time,
 * every request through the backfill's own rate limiter (the `http` passed in). Progress is
 * checkpointed after every request, so an abort or a crash resumes where it stopped; gaps
 * whose windows are all done are marked backfilled.
 *
 * @example
 * ```ts ignore
 * import { runBackfill } from "./run.ts";
 * const result = await runBackfill({ sql, http, log }, plan, signal);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { recordRejects } from "../db/ops.ts";
import { fetchPriceHistory } from "../polymarket/clob.ts";
import type { HttpClient } from "../polymarket/http.ts";
import type { TokenId } from "../polymarket/ids.ts";
import type { Logger } from "../runtime/log.ts";
import { walkMarketTrades } from "./_trades_walk.ts";
import { insertPriceHistory, markGapsBackfilled, saveCheckpoint } from "./checkpoints.ts";
import type { BackfillPlan } from "./plan.ts";
import { type BackfillWindow, remainingChunks } from "./windows.ts";

/** Dependencies of {@link runBackfill}. */
export interface BackfillDeps {
  sql: Queryable;
  http: HttpClient;
  log: Logger;
  /** Units (price windows; market trade walks) in flight per endpoint; default 4. */
  concurrency?: number;
  /** Data API page size; default 1000 (the v2 maximum). */
  pageSize?: number;
  /** Called after every request. */
  onProgress?: (progress: BackfillProgress) => void;
  now?: () => number;
}

/** Running totals. */
export interface BackfillProgress {
  requests: number;
  rows: number;
  unitsDone: number;
  units: number;
}

/** The outcome of a run. */
export interface BackfillResult extends BackfillProgress {
  requestsByEndpoint: { "clob:prices-history": number; "data:trades": number };
  rowsByKind: { prices: number; trades: number };
  /** Fetched trades that were already stored (live): recorded on their row, not inserted. */
  tradesAlreadyStored: number;
  failedUnits: number;
  truncatedMarkets: string[];
  gapsMarked: number;
  durationMs: number;
}

/** Executes the not-yet-done part of `plan`; rethrows `signal.reason` when aborted. */
export async function runBackfill(
  deps: BackfillDeps,
  plan: BackfillPlan,
  signal: AbortSignal,
): Promise<BackfillResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const open = plan.windows.filter((w) => !w.done);
  const trades = new Map<string, BackfillWindow[]>();
  for (const w of open.filter((w) => w.kind === "trades")) {
    trades.set(w.conditionId, [...(trades.get(w.conditionId) ?? []), w]);
  }
  // One queue per endpoint, each drained by its own workers, so the two rate budgets are
  // used in parallel (a slow trade walk never holds up price requests, nor the reverse).
  const priceUnits: (() => Promise<void>)[] = [];
  const tradeUnits: (() => Promise<void>)[] = [];
  const result: BackfillResult = {
    requests: 0,
    rows: 0,
    unitsDone: 0,
    units: 0,
    requestsByEndpoint: { "clob:prices-history": 0, "data:trades": 0 },
    rowsByKind: { prices: 0, trades: 0 },
    tradesAlreadyStored: 0,
    failedUnits: 0,
    truncatedMarkets: [],
    gapsMarked: 0,
    durationMs: 0,
  };
  const counted = (endpoint: "clob:prices-history" | "data:trades", rows: number) => {
    result.requests++;
    result.requestsByEndpoint[endpoint]++;
    result.rows += rows;
    result.rowsByKind[endpoint === "data:trades" ? "trades" : "prices"] += rows;
    deps.onProgress?.(result);
  };
  for (const w of open.filter((w) => w.kind === "prices")) {
    priceUnits.push(() =>
      fillPrices(deps, w, { signal, onRequest: (n) => counted("clob:prices-history", n) })
    );
  }
  for (const [conditionId, windows] of trades) {
    tradeUnits.push(async () => {
      const ctx = {
        sql: deps.sql,
        http: deps.http,
        pageSize: deps.pageSize ?? 1000,
        now,
        onPage: (n: number, merged: number) => {
          result.tradesAlreadyStored += merged;
          counted("data:trades", n);
        },
      };
      const walk = await walkMarketTrades(ctx, conditionId, { windows, signal });
      if (walk.truncated) result.truncatedMarkets.push(conditionId);
    });
  }
  result.units = priceUnits.length + tradeUnits.length;
  const worker = async (queue: (() => Promise<void>)[]) => {
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
      try {
        await unit();
      } catch (err) {
        signal.throwIfAborted();
        result.failedUnits++;
        deps.log.warn("backfill_unit_failed", { error: err });
      }
      result.unitsDone++;
      deps.onProgress?.(result);
    }
  };
  const workers = Array.from({ length: Math.max(1, deps.concurrency ?? 4) });
  await Promise.all([
    ...workers.map(() => worker(priceUnits)),
    ...workers.map(() => worker(tradeUnits)),
  ]);
  result.gapsMarked = await markGapsBackfilled(deps.sql, plan.gaps);
  result.durationMs = now() - started;
  return result;
}

/** One price window, chunk by chunk, each chunk checkpointed. */
async function fillPrices(
  deps: BackfillDeps,
  w: BackfillWindow,
  options: { signal: AbortSignal; onRequest: (rows: number) => void },
): Promise<void> {
  const chunks = remainingChunks(w);
  for (const [i, chunk] of chunks.entries()) {
    const requestedAt = Math.floor((deps.now ?? Date.now)() / 1000) * 1000;
    const batch = await fetchPriceHistory(deps.http, w.scope as TokenId, {
      signal: options.signal,
      range: {
        startTs: Math.floor(chunk.from.getTime() / 1000),
        // Windows are whole seconds and the venue's endTs is inclusive.
        endTs: Math.ceil(chunk.to.getTime() / 1000) - 1,
        fidelity: w.fidelityMinutes,
      },
    });
    if (batch.rejects.length > 0) {
      await recordRejects(
        deps.sql,
        batch.rejects.map((r) => ({
          source: "clob:prices-history",
          reason: r.reason,
          path: r.path,
          raw: JSON.stringify(r.raw),
        })),
      );
    }
    // The venue appends a point stamped "now": keep only points inside the requested range
    // and before the second the request was sent.
    const end = Math.min(chunk.to.getTime(), requestedAt);
    const points = batch.items.filter((p) => p.at >= chunk.from && p.at.getTime() < end);
    const rows = await insertPriceHistory(
      deps.sql,
      points.map((p) => ({
        tokenId: w.scope,
        ts: p.at,
        fidelityMinutes: w.fidelityMinutes,
        price: p.price,
      })),
    );
    await saveCheckpoint(deps.sql, w, {
      doneUntil: chunk.to,
      rows,
      requests: 1,
      done: i === chunks.length - 1,
    });
    options.onRequest(rows);
  }
  if (chunks.length === 0) {
    await saveCheckpoint(deps.sql, w, { doneUntil: w.endAt, rows: 0, requests: 0, done: true });
  }
}
