/**
 * Order book normalisation shared by CLOB REST (`/book`, `/books`) and the websocket `book`.
 *
 * The venue sends both sides best-LAST (bids ascending, asks descending). Domain books are
 * best-FIRST: `bids` descending, `asks` ascending, and the top of book is computed as
 * max bid / min ask rather than read from an array end.
 *
 * @example
 * ```ts
 * import { parseBook } from "./clob_book.ts";
 * const book = parseBook({
 *   market: "0x" + "ab".repeat(32), asset_id: "1", timestamp: "1", hash: "h",
 *   bids: [{ price: ".48", size: "30" }, { price: ".5", size: "15" }], asks: [],
 * }, 0);
 * book.bestBid; // "0.5"
 * ```
 */
import type { ConditionId, DecimalString, TokenId } from "./ids.ts";
import { compareDecimal, midDecimal, subtractDecimal, sumDecimals } from "./_decimal.ts";
import {
  FieldError,
  isObj,
  must,
  prefixField,
  readConditionId,
  readDecimal,
  readMs,
  readOptionalDecimal,
  readOptionalText,
  readTokenId,
} from "./_fast.ts";

/** One price level. */
export interface BookLevel {
  price: DecimalString;
  size: DecimalString;
}

/** A full book snapshot for one token, best level first on both sides. */
export interface Book {
  market: ConditionId;
  tokenId: TokenId;
  /** Venue timestamp, unix ms. */
  timestamp: number;
  hash: string | null;
  /** Descending by price (best first). */
  bids: BookLevel[];
  /** Ascending by price (best first). */
  asks: BookLevel[];
  bestBid: DecimalString | null;
  bestAsk: DecimalString | null;
  mid: DecimalString | null;
  /** `bestAsk - bestBid`; negative on a crossed book. */
  spread: DecimalString | null;
  bidSizeTotal: DecimalString;
  askSizeTotal: DecimalString;
  tickSize: DecimalString | null;
  minOrderSize: DecimalString | null;
  negRisk: boolean | null;
  lastTradePrice: DecimalString | null;
  /** When we received it, unix ms. */
  receivedAt: number;
}

function readLevel(l: unknown): BookLevel {
  if (!isObj(l)) throw new FieldError("$", l);
  return {
    price: must(readDecimal(l.price), "price", l.price),
    size: must(readDecimal(l.size), "size", l.size),
  };
}

function readLevels(v: unknown, field: string): BookLevel[] {
  if (!Array.isArray(v)) throw new FieldError(field, v);
  const out: BookLevel[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = readLevel(v[i]);
    } catch (err) {
      prefixField(err, `${field}[${i}]`);
    }
  }
  return out;
}

/** Orders levels by price (descending when `desc`); cheap when the input is already monotone. */
function orderLevels(levels: BookLevel[], desc: boolean): BookLevel[] {
  const sign = desc ? -1 : 1;
  let forward = true;
  let backward = true;
  let exact = true;
  let prev = levels.length > 0 ? Number(levels[0]!.price) : 0;
  for (let i = 1; i < levels.length && (forward || backward); i++) {
    const p = levels[i]!.price;
    // Up to 15 characters a double orders distinct decimals exactly.
    if (p.length > 15) exact = false;
    const cur = Number(p);
    const c = sign * (prev - cur);
    if (c > 0) forward = false;
    if (c < 0) backward = false;
    prev = cur;
  }
  if (exact && levels.length > 0 && levels[0]!.price.length > 15) exact = false;
  if (exact && forward) return levels;
  if (exact && backward) return levels.slice().reverse();
  return levels.toSorted((a, b) => sign * compareDecimal(a.price, b.price));
}

const sizeOf = (l: BookLevel) => l.size;

/** Sorts levels best-first and computes the top of book and totals. */
export function normaliseBook(
  fields: Omit<Book, "bestBid" | "bestAsk" | "mid" | "spread" | "bidSizeTotal" | "askSizeTotal">,
): Book {
  const bids = orderLevels(fields.bids, true);
  const asks = orderLevels(fields.asks, false);
  const bestBid = bids[0]?.price ?? null;
  const bestAsk = asks[0]?.price ?? null;
  const both = bestBid !== null && bestAsk !== null;
  return {
    ...fields,
    bids,
    asks,
    bestBid,
    bestAsk,
    mid: both ? midDecimal(bestBid, bestAsk) : null,
    spread: both ? subtractDecimal(bestAsk, bestBid) : null,
    bidSizeTotal: sumDecimals(bids, sizeOf),
    askSizeTotal: sumDecimals(asks, sizeOf),
  };
}

/**
 * Parses one book object (REST or websocket). Throws a `FieldError` naming the bad field;
 * batch callers catch it and turn it into a reject.
 */
export function parseBook(raw: unknown, receivedAt: number): Book {
  if (!isObj(raw)) throw new FieldError("book", raw);
  const negRisk = raw.neg_risk;
  return normaliseBook({
    market: must(readConditionId(raw.market), "market", raw.market),
    tokenId: must(readTokenId(raw.asset_id), "asset_id", raw.asset_id),
    timestamp: must(readMs(raw.timestamp), "timestamp", raw.timestamp),
    hash: must(readOptionalText(raw.hash), "hash", raw.hash),
    bids: readLevels(raw.bids, "bids"),
    asks: readLevels(raw.asks, "asks"),
    tickSize: must(readOptionalDecimal(raw.tick_size), "tick_size", raw.tick_size),
    minOrderSize: must(
      readOptionalDecimal(raw.min_order_size),
      "min_order_size",
      raw.min_order_size,
    ),
    negRisk: typeof negRisk === "boolean" ? negRisk : null,
    lastTradePrice: must(
      readOptionalDecimal(raw.last_trade_price),
      "last_trade_price",
      raw.last_trade_price,
    ),
    receivedAt,
  });
}
