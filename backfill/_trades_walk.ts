/**
 * Trades of one market from the Data API into `trades` (source "data_api"). The Data API
 * lists trades newest first with no time filter, so one walk per market pages back until it
 * passes the oldest open window, and files each trade under the window it falls in.
 * v2 `/v2/trades` (cursor) is tried first; when it is not served (4xx, not a v2 page) v1
 * `/trades` with its ≈10,000 offset cap is used, and a walk cut by the cap is marked
 * `truncated`.
 *
 * Keys: `da:` + sha256(token, unix seconds, price, size, side, tx hash)[0..24] + `#n`, where n
 * counts identical tuples earlier in the walk. Identical tuples share their second and
 * windows are whole seconds, so every walk gives a trade the same key: re-running, or
 * resuming after an abort, inserts nothing twice. The websocket keys the same fill from its
 * millisecond timestamp without the prefix, so a trade that is both live and backfilled is
 * stored twice; that is why only gaps and time before the first live data are walked.
 */
import { createHash } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import { insertTrades, type TradeRow } from "../db/trades.ts";
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
  /** Called once per request with the rows it added. */
  onPage(rows: number): void;
}

/** The hash part of a backfilled trade's key. */
export function dataApiTradeHash(t: DataApiTrade): string {
  const text = [
    t.tokenId,
    Math.floor(t.timestamp.getTime() / 1000),
    Number(t.price),
    Number(t.size),
    t.side,
    t.transactionHash ?? "",
  ].join("\n");
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
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
      rows.push(toRow(t, `da:${hash}#${n}`));
      byWindow.set(w, rows);
    }
    let added = 0;
    for (const [w, rows] of byWindow) {
      const inserted = await insertTrades(ctx.sql, rows);
      added += inserted;
      await saveCheckpoint(ctx.sql, w, {
        doneUntil: null,
        rows: inserted,
        requests: 0,
        done: false,
      });
    }
    ctx.onPage(added);
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

function toRow(t: DataApiTrade, tradeKey: string): TradeRow {
  return {
    ts: t.timestamp,
    tokenId: t.tokenId,
    tradeKey,
    conditionId: t.conditionId,
    receivedAt: null,
    price: t.price,
    size: t.size,
    side: t.side,
    feeRateBps: null,
    txHash: t.transactionHash,
    source: "data_api",
  };
}
