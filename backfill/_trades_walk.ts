/**
 * Trades of one market from the Data API into `trades` (source "data_api"). The Data API
 * lists trades newest first with no time filter, so one walk per market pages back until it
 * passes the oldest open window, and files each trade under the window it falls in.
 * v2 `/v2/trades` (cursor) is tried first; when it is not served (4xx, not a v2 page) v1
 * `/trades` with its ≈10,000 offset cap is used, and a walk cut by the cap is marked
 * `truncated`.
 *
 * Keys: the trade identity of db/trade_identity.ts (token, second, price, size, side, tx
 * hash), the ordinal counting identical tuples earlier in the walk. The websocket keys a fill
 * the same way, so a trade that is both live and backfilled is one row: the walk records its
 * receive time on the stored row instead of inserting it again (windows are rounded outward
 * to whole seconds, so the first live second of a token is always refetched). Re-running or
 * resuming after an abort inserts nothing twice.
 */
import type { Queryable } from "../db/client.ts";
import { tradeHash } from "../db/trade_identity.ts";
import { type TradeRow, writeTrades } from "../db/trades.ts";
import { listTrades, listTradesV2 } from "../polymarket/data_api.ts";
import type { DataApiTrade } from "../polymarket/data_api_schema.ts";
import { HttpStatusError, UnexpectedResponseError } from "../polymarket/errors.ts";
import type { HttpClient } from "../polymarket/http.ts";
import { saveCheckpoint } from "./checkpoints.ts";
import type { BackfillWindow } from "./windows.ts";

/** What the walk reports after each page. */
export interface WalkContext {
  sql: Queryable;
  http: HttpClient;
  pageSize: number;
  /** Called once per request with the rows it added and the stored rows it saw again. */
  onPage(rows: number, merged: number): void;
  now(): number;
}

/** The identity hash of a Data API trade (the ordinal is counted by the walk). */
function dataApiTradeHash(t: DataApiTrade): string {
  return tradeHash({ ...t, timestamp: t.timestamp.getTime() });
}

/** Walks one market's trades back to its oldest open window; marks the windows done. */
export async function walkMarketTrades(
  ctx: WalkContext,
  conditionId: string,
  options: { windows: readonly BackfillWindow[]; signal: AbortSignal },
): Promise<{ api: "v2" | "v1"; truncated: boolean; pages: number }> {
  const open = options.windows.filter((w) => !w.done);
  if (open.length === 0) return { api: "v2", truncated: false, pages: 0 };
  const oldest = Math.min(...open.map((w) => w.startAt.getTime()));
  const ordinals = new Map<string, number>();
  let reachedOldest = false;
  let pages = 0;
  const consume = async (items: readonly DataApiTrade[]) => {
    pages++;
    const byWindow = new Map<BackfillWindow, TradeRow[]>();
    for (const t of items) {
      const at = t.timestamp.getTime();
      if (at < oldest) reachedOldest = true;
      const hash = dataApiTradeHash(t);
      const n = ordinals.get(hash) ?? 0;
      ordinals.set(hash, n + 1);
      const w = open.find((w) =>
        w.scope === t.tokenId && at >= w.startAt.getTime() && at < w.endAt.getTime()
      );
      if (w === undefined) continue;
      const rows = byWindow.get(w) ?? [];
      rows.push(toRow(t, `${hash}#${n}`, new Date(ctx.now())));
      byWindow.set(w, rows);
    }
    let added = 0;
    let merged = 0;
    for (const [w, rows] of byWindow) {
      const write = await writeTrades(ctx.sql, rows);
      const inserted = write.inserted;
      added += inserted;
      merged += write.merged;
      await saveCheckpoint(ctx.sql, w, {
        doneUntil: null,
        rows: inserted,
        requests: 0,
        done: false,
      });
    }
    ctx.onPage(added, merged);
  };
  let api: "v2" | "v1" = "v2";
  let truncated = false;
  try {
    const filters = { condition: conditionId, limit: ctx.pageSize };
    for await (const page of listTradesV2(ctx.http, filters, { signal: options.signal })) {
      await consume(page.items);
      if (reachedOldest) break;
    }
  } catch (err) {
    options.signal.throwIfAborted();
    if (pages > 0 || !v2Unavailable(err)) throw err;
    api = "v1";
    const limit = Math.min(ctx.pageSize, 500);
    let lastFull = false;
    for await (
      const page of listTrades(ctx.http, { market: conditionId }, {
        signal: options.signal,
        pageSize: limit,
      })
    ) {
      await consume(page.items);
      lastFull = page.items.length + page.rejects.length >= limit;
      if (reachedOldest) break;
    }
    truncated = !reachedOldest && lastFull;
  }
  const detail = { api, truncated, pages };
  for (const w of open) {
    const requests = w === open[0] ? pages : 0;
    await saveCheckpoint(ctx.sql, w, { doneUntil: w.endAt, rows: 0, requests, done: true, detail });
  }
  return detail;
}

function v2Unavailable(err: unknown): boolean {
  if (err instanceof UnexpectedResponseError) return true;
  return err instanceof HttpStatusError && err.status >= 400 && err.status < 500 &&
    err.status !== 429;
}

function toRow(t: DataApiTrade, tradeKey: string, receivedAt: Date): TradeRow {
  return {
    ts: t.timestamp,
    tokenId: t.tokenId,
    tradeKey,
    conditionId: t.conditionId,
    receivedAt,
    price: t.price,
    size: t.size,
    side: t.side,
    feeRateBps: null,
    txHash: t.transactionHash,
    source: "data_api",
  };
}
