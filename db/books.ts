/**
 * Order-book snapshots: full levels (best first) plus top-of-book columns, stored compactly in
 * book_snapshot_data (levels as parallel int arrays of millionths; see db/_micro.ts) and read
 * back, with the v0.1 JSONB levels, through the book_snapshots view. A hash of 40 lower-case
 * hex characters (what the venue sends) is stored as its 20 bytes in `book_hash_bytes`, any
 * other value verbatim in `book_hash` (migration 0023); the view gives back the same text.
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
/**
 * A hash stored as its 20 bytes (`book_hash_bytes`, migration 0023); any other is kept as text.
 * Tested here rather than in SQL, where the regular expression cost ~4 µs a row.
 */
const HEX_HASH = /^[0-9a-f]{40}$/;

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
    const hex = b.map((r) => r.hash !== null && HEX_HASH.test(r.hash));
    const result = await sql`
      insert into book_snapshot_data (ts, token_key, condition_key, exchange_ts, best_bid,
        best_ask, mid, spread, bid_size, ask_size, tick_size, book_hash, book_hash_bytes,
        bid_prices, bid_sizes, ask_prices, ask_sizes, exact)
      select ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid, spread,
             bid_size, ask_size, tick_size, book_hash, decode(book_hash_hex, 'hex'),
             bid_prices::integer[], bid_sizes::bigint[], ask_prices::integer[],
             ask_sizes::bigint[], exact
      from unnest(
        ${col(b, (r) => iso(r.ts))}::timestamptz[], ${arrayLiteral(tokens)}::integer[],
        ${arrayLiteral(conditions)}::integer[],
        ${col(b, (r) => iso(r.exchangeTs))}::timestamptz[],
        ${arrayLiteral(e.top[0]!)}::integer[], ${arrayLiteral(e.top[1]!)}::integer[],
        ${arrayLiteral(e.top[2]!)}::integer[], ${arrayLiteral(e.top[3]!)}::integer[],
        ${arrayLiteral(e.top[4]!)}::bigint[], ${arrayLiteral(e.top[5]!)}::bigint[],
        ${arrayLiteral(e.top[6]!)}::integer[],
        ${arrayLiteral(b.map((r, i) => hex[i] ? null : r.hash))}::text[],
        ${arrayLiteral(b.map((r, i) => hex[i] ? r.hash : null))}::text[],
        ${arrayLiteral(e.bidPrices)}::text[], ${arrayLiteral(e.bidSizes)}::text[],
        ${arrayLiteral(e.askPrices)}::text[], ${arrayLiteral(e.askSizes)}::text[],
        ${arrayLiteral(e.exact)}::jsonb[])
        as u(ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid, spread,
             bid_size, ask_size, tick_size, book_hash, book_hash_hex, bid_prices, bid_sizes,
             ask_prices, ask_sizes, exact)
      on conflict (token_key, ts) do nothing`;
    inserted += result.count;
  }
  return inserted;
}

/**
 * The batch in the stored encoding: each side's levels as the text of an int array literal
 * ("{520000,530000}"), and the values that must stay exact. A side with any level that does
 * not fit is kept whole in `exact` (its arrays stay empty). Top of book, mid, spread and side
 * totals are stored only when they differ from what the stored levels give (the view derives
 * them otherwise, see migration 0008); a NULL that differs is kept in `exact` as JSON null.
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
    const bids = levelArrays(enc, "bids", r.bids);
    const asks = levelArrays(enc, "asks", r.asks);
    const d = derived(bids, asks);
    top[0]![i] = unlessDerived(enc, "best_bid", r.bestBid, d.bestBid, INT4_MAX);
    top[1]![i] = unlessDerived(enc, "best_ask", r.bestAsk, d.bestAsk, INT4_MAX);
    top[2]![i] = unlessDerived(enc, "mid", r.mid, d.mid, INT4_MAX);
    top[3]![i] = unlessDerived(enc, "spread", r.spread, d.spread, INT4_MAX);
    top[4]![i] = unlessDerived(enc, "bid_size", r.bidSize, d.bidSize, INT8_MAX);
    top[5]![i] = unlessDerived(enc, "ask_size", r.askSize, d.askSize, INT8_MAX);
    top[6]![i] = enc.price("tick_size", r.tickSize);
    [bidPrices[i], bidSizes[i]] = [`{${bids[0].join(",")}}`, `{${bids[1].join(",")}}`];
    [askPrices[i], askSizes[i]] = [`{${asks[0].join(",")}}`, `{${asks[1].join(",")}}`];
    exact[i] = enc.exactJson();
  }
  return { top, bidPrices, bidSizes, askPrices, askSizes, exact };
}

type Side = [prices: string[], sizes: string[]];

/** The side's micro prices and sizes, or two empty lists when it is kept in `exact`. */
function levelArrays(enc: MicroRow, side: string, levels: readonly BookLevel[]): Side {
  const prices = new Array<string>(levels.length);
  const sizes = new Array<string>(levels.length);
  for (let i = 0; i < levels.length; i++) {
    const p = microText(levels[i]!.price, INT4_MAX);
    const s = microText(levels[i]!.size, INT8_MAX);
    if (p === null || s === null) {
      enc.keep(side, levels.map((l) => ({ price: l.price, size: l.size })));
      return [[], []];
    }
    prices[i] = p;
    sizes[i] = s;
  }
  return [prices, sizes];
}

/** What the view derives from the stored levels (the same arithmetic as its SQL). */
function derived(bids: Side, asks: Side) {
  const bid = bids[0][0], ask = asks[0][0];
  const both = bid !== undefined && ask !== undefined;
  const total = (sizes: string[]) => sizes.reduce((t, s) => t + BigInt(s), 0n);
  return {
    bestBid: bid === undefined ? null : scaledText(BigInt(bid), 6),
    bestAsk: ask === undefined ? null : scaledText(BigInt(ask), 6),
    mid: both ? scaledText((BigInt(bid) + BigInt(ask)) * 5n, 7) : null,
    spread: both ? scaledText(BigInt(ask) - BigInt(bid), 6) : null,
    bidSize: scaledText(total(bids[1]), 6),
    askSize: scaledText(total(asks[1]), 6),
  };
}

/** NULL (derive it) when `value` is what the view derives; else the stored value. */
function unlessDerived(
  enc: MicroRow,
  column: string,
  value: string | null,
  derivedValue: string | null,
  max: string,
): string | null {
  if (value === derivedValue) return null;
  if (value === null) {
    enc.keep(column, null);
    return null;
  }
  return max === INT4_MAX ? enc.price(column, value) : enc.size(column, value);
}

/** `v / 10^scale` as canonical decimal text ("-0.01", "0.505", "0"). */
function scaledText(v: bigint, scale: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac === "" ? "" : "." + frac}`;
}
