/**
 * The identity of a trade (a fill), the same whichever source saw it: the websocket's
 * `last_trade_price` (millisecond timestamps) or the Data API (whole seconds).
 *
 *     trade_key = sha256(token \n unix second \n price \n size \n side \n lower(tx hash))[0..24]
 *                 + "#" + ordinal
 *
 * Time is cut to the second, the precision both sources share; prices and sizes are canonical
 * decimals ("0.50" = ".5" = "0.5"); the transaction hash is lower-cased ("" when absent). The
 * ordinal tells apart identical fills of one transaction: each source numbers the identical
 * tuples it sees in one batch (one socket session, one Data API walk) 0, 1, 2… in order, so a
 * fill seen by two sources gets the same key on each. `migrations/0004_trade_identity.sql`
 * computes the same hash in SQL for rows stored before it. See docs/schema.md ("Trade identity").
 *
 * @example
 * ```ts
 * import { createTradeKeyer } from "./trade_identity.ts";
 * const keyer = createTradeKeyer();
 * const t = { tokenId: "1", timestamp: 1_500, price: "0.5", size: "2", side: "BUY", transactionHash: "0xab" } as const;
 * keyer.key(t); // "…#0"
 * keyer.key(t); // "…#1" (a second identical fill of the same transaction)
 * ```
 */
import { createHash } from "node:crypto";

/** The fields of a trade that form its identity. */
export interface TradeIdentity {
  readonly tokenId: string;
  /** Venue timestamp, unix ms (only its second counts). */
  readonly timestamp: number;
  readonly price: string;
  readonly size: string;
  readonly side: "BUY" | "SELL" | null;
  readonly transactionHash: string | null;
}

/** Numbers identical tuples in one source batch; create a new one for every batch. */
export interface TradeKeyer {
  key(trade: TradeIdentity): string;
  /** Tuples currently remembered (bounded by the retention window). */
  readonly size: number;
}

/** How long (venue time) an identical tuple is remembered; identical fills share one second. */
const RETAIN_MS = 60_000;

/** The unix second a venue timestamp (ms) belongs to. */
export function tradeSecond(timestampMs: number): number {
  return Math.floor(timestampMs / 1000);
}

/** The hash part of a trade key (no ordinal). */
export function tradeHash(trade: TradeIdentity): string {
  const text = [
    trade.tokenId,
    tradeSecond(trade.timestamp),
    canonicalDecimal(trade.price),
    canonicalDecimal(trade.size),
    trade.side ?? "",
    (trade.transactionHash ?? "").toLowerCase(),
  ].join("\n");
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
}

/** The ordinal of a key ("…#2" → 2); 0 when it has none. */
export function keyOrdinal(key: string): number {
  const n = Number(key.slice(key.lastIndexOf("#") + 1));
  return key.includes("#") && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** The key of `trade` with the given ordinal. */
export function tradeKey(trade: TradeIdentity, ordinal: number): string {
  return `${tradeHash(trade)}#${ordinal}`;
}

/**
 * A keyer with bounded memory: tuples are kept in two generations rotated every `RETAIN_MS`
 * of venue time, so a tuple is remembered for at least `RETAIN_MS` after its timestamp.
 */
export function createTradeKeyer(): TradeKeyer {
  let current = new Map<string, number>();
  let previous = new Map<string, number>();
  let rotateAt = -Infinity;
  return {
    get size() {
      return current.size + previous.size;
    },
    key(trade) {
      if (trade.timestamp >= rotateAt) {
        if (rotateAt !== -Infinity) {
          previous = current;
          current = new Map();
        }
        rotateAt = trade.timestamp + RETAIN_MS;
      }
      const hash = tradeHash(trade);
      const seen = current.get(hash) ?? previous.get(hash) ?? 0;
      current.set(hash, seen + 1);
      return `${hash}#${seen}`;
    },
  };
}

/**
 * "0.50", ".5" and "0.5" are the same price: no leading or trailing zeros, as PostgreSQL's
 * `trim_scale(numeric)::text` writes it (the migration hashes stored rows that way).
 */
export function canonicalDecimal(decimal: string): string {
  let s = decimal.trim();
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  s = s.replace(/^0+(?=\d)/, "");
  if (s.startsWith(".")) s = `0${s}`;
  return s === "" ? "0" : s;
}
