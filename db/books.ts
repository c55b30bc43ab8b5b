/**
 * Order-book snapshots: full levels as JSONB (best first) plus top-of-book columns.
 *
 * @example
 * ```ts
 * import { insertBookSnapshots } from "./books.ts";
 * await insertBookSnapshots(sql, rows);
 * ```
 */
import type { Queryable } from "./client.ts";
import { col, iso } from "./_columns.ts";

export interface BookLevel {
  price: string;
  size: string;
}

export interface BookSnapshotRow {
  ts: Date;
  tokenId: string;
  conditionId: string | null;
  exchangeTs: Date | null;
  bestBid: string | null;
  bestAsk: string | null;
  mid: string | null;
  spread: string | null;
  bidSize: string;
  askSize: string;
  tickSize: string | null;
  hash: string | null;
  /** Best (highest) bid first. */
  bids: readonly BookLevel[];
  /** Best (lowest) ask first. */
  asks: readonly BookLevel[];
}

const BATCH = 2_000;

/** Inserts snapshots; a (token, ts) already stored is kept. Returns new rows. */
export async function insertBookSnapshots(
  sql: Queryable,
  rows: readonly BookSnapshotRow[],
): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += BATCH) {
    const b = rows.slice(start, start + BATCH);
    const result = await sql`
      insert into book_snapshots (ts, token_id, condition_id, exchange_ts, best_bid, best_ask,
        mid, spread, bid_size, ask_size, bid_levels, ask_levels, tick_size, book_hash, bids, asks)
      select * from unnest(
        ${col(b, (r) => iso(r.ts))}::timestamptz[], ${col(b, (r) => r.tokenId)}::text[],
        ${col(b, (r) => r.conditionId)}::text[], ${col(b, (r) => iso(r.exchangeTs))}::timestamptz[],
        ${col(b, (r) => r.bestBid)}::numeric[], ${col(b, (r) => r.bestAsk)}::numeric[],
        ${col(b, (r) => r.mid)}::numeric[], ${col(b, (r) => r.spread)}::numeric[],
        ${col(b, (r) => r.bidSize)}::numeric[], ${col(b, (r) => r.askSize)}::numeric[],
        ${col(b, (r) => r.bids.length)}::integer[], ${col(b, (r) => r.asks.length)}::integer[],
        ${col(b, (r) => r.tickSize)}::numeric[], ${col(b, (r) => r.hash)}::text[],
        ${col(b, (r) => JSON.stringify(r.bids))}::jsonb[],
        ${col(b, (r) => JSON.stringify(r.asks))}::jsonb[])
      on conflict (token_id, ts) do nothing`;
    inserted += result.count;
  }
  return inserted;
}
