/**
 * Order-book snapshots: full levels (best first) plus top-of-book columns, stored compactly in
 * book_snapshot_data (levels as parallel int arrays of millionths; see db/_micro.ts) and read
 * back, with the v0.1 JSONB levels, through the book_snapshots view.
 *
 * @example
 * ```ts
 * import { insertBookSnapshots } from "./books.ts";
 * await insertBookSnapshots(sql, rows);
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral, col, iso } from "./_columns.ts";
import { conditionKeys, tokenKeys } from "./_keys.ts";
import { INT4_MAX, INT8_MAX, MicroRow, microText } from "./_micro.ts";

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
    const tokens = await tokenKeys(sql, b.map((r) => r.tokenId));
    const conditions = await conditionKeys(sql, b.map((r) => r.conditionId));
    const e = encodeBooks(b);
    const result = await sql`
      insert into book_snapshot_data (ts, token_key, condition_key, exchange_ts, best_bid,
        best_ask, mid, spread, bid_size, ask_size, tick_size, book_hash, bid_prices, bid_sizes,
        ask_prices, ask_sizes, exact)
      select ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid, spread,
             bid_size, ask_size, tick_size, book_hash, bid_prices::integer[],
             bid_sizes::bigint[], ask_prices::integer[], ask_sizes::bigint[], exact
      from unnest(
        ${col(b, (r) => iso(r.ts))}::timestamptz[], ${arrayLiteral(tokens)}::integer[],
        ${arrayLiteral(conditions)}::integer[],
        ${col(b, (r) => iso(r.exchangeTs))}::timestamptz[],
        ${arrayLiteral(e.top[0]!)}::integer[], ${arrayLiteral(e.top[1]!)}::integer[],
        ${arrayLiteral(e.top[2]!)}::integer[], ${arrayLiteral(e.top[3]!)}::integer[],
        ${arrayLiteral(e.top[4]!)}::bigint[], ${arrayLiteral(e.top[5]!)}::bigint[],
        ${arrayLiteral(e.top[6]!)}::integer[], ${col(b, (r) => r.hash)}::text[],
        ${arrayLiteral(e.bidPrices)}::text[], ${arrayLiteral(e.bidSizes)}::text[],
        ${arrayLiteral(e.askPrices)}::text[], ${arrayLiteral(e.askSizes)}::text[],
        ${arrayLiteral(e.exact)}::jsonb[])
        as u(ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid, spread,
             bid_size, ask_size, tick_size, book_hash, bid_prices, bid_sizes, ask_prices,
             ask_sizes, exact)
      on conflict (token_key, ts) do nothing`;
    inserted += result.count;
  }
  return inserted;
}

/**
 * The batch in the stored encoding: top-of-book columns as micro text, each side's levels as
 * the text of an int array literal ("{520000,530000}"), and the values that must stay exact.
 * A side with any level that does not fit is kept whole in `exact` (its arrays stay empty).
 */
function encodeBooks(batch: readonly BookSnapshotRow[]) {
  const n = batch.length;
  const top = Array.from({ length: 7 }, () => new Array<string | null>(n));
  const bidPrices = new Array<string>(n), bidSizes = new Array<string>(n);
  const askPrices = new Array<string>(n), askSizes = new Array<string>(n);
  const exact = new Array<string | null>(n);
  const enc = new MicroRow();
  for (let i = 0; i < n; i++) {
    const r = batch[i]!;
    enc.reset();
    top[0]![i] = enc.price("best_bid", r.bestBid);
    top[1]![i] = enc.price("best_ask", r.bestAsk);
    top[2]![i] = enc.price("mid", r.mid);
    top[3]![i] = enc.price("spread", r.spread);
    top[4]![i] = enc.size("bid_size", r.bidSize);
    top[5]![i] = enc.size("ask_size", r.askSize);
    top[6]![i] = enc.price("tick_size", r.tickSize);
    [bidPrices[i], bidSizes[i]] = levelArrays(enc, "bids", r.bids);
    [askPrices[i], askSizes[i]] = levelArrays(enc, "asks", r.asks);
    exact[i] = enc.exactJson();
  }
  return { top, bidPrices, bidSizes, askPrices, askSizes, exact };
}

function levelArrays(enc: MicroRow, side: string, levels: readonly BookLevel[]): [string, string] {
  const prices = new Array<string>(levels.length);
  const sizes = new Array<string>(levels.length);
  for (let i = 0; i < levels.length; i++) {
    const p = microText(levels[i]!.price, INT4_MAX);
    const s = microText(levels[i]!.size, INT8_MAX);
    if (p === null || s === null) {
      enc.keep(side, levels.map((l) => ({ price: l.price, size: l.size })));
      return ["{}", "{}"];
    }
    prices[i] = p;
    sizes[i] = s;
  }
  return [`{${prices.join(",")}}`, `{${sizes.join(",")}}`];
}
