/**
 * Trade keys for `last_trade_price` prints, which carry no venue trade id.
 *
 * `tradeKey = sha256(token, ts, price, size, side, txHash ?? "")[0..24] + "#" + ordinal`, where
 * the ordinal counts the earlier identical tuples seen on the same stream (one socket session).
 * Two streams that both see a trade, or a spill file replayed into the table, give the same
 * key (the insert is a no-op), while genuine identical fills in one stream (one transaction
 * settling several fills) get `#0`, `#1`, … and are all kept. See docs/schema.md ("Trade keys").
 *
 * @example
 * ```ts
 * import { createTradeKeyer } from "./_trade_key.ts";
 * const keyer = createTradeKeyer();
 * const t = { tokenId: "1", timestamp: 1, price: "0.5", size: "2", side: "BUY", transactionHash: null } as const;
 * keyer.key(t); // "…#0"
 * keyer.key(t); // "…#1" (a second identical fill)
 * ```
 */
import { createHash } from "node:crypto";

/** The fields of a trade print that form its identity. */
export interface TradeIdentity {
  readonly tokenId: string;
  /** Venue timestamp, unix ms. */
  readonly timestamp: number;
  readonly price: string;
  readonly size: string;
  readonly side: "BUY" | "SELL";
  readonly transactionHash: string | null;
}

/** Assigns keys on one stream; create a new one for every socket session. */
export interface TradeKeyer {
  key(trade: TradeIdentity): string;
  /** Tuples currently remembered (bounded by the retention window). */
  readonly size: number;
}

/** How long (venue time) an identical tuple is remembered; identical fills share one ms. */
const RETAIN_MS = 60_000;

/** The hash part of a trade key (no ordinal). */
export function tradeHash(trade: TradeIdentity): string {
  const text = `${trade.tokenId}\n${trade.timestamp}\n${normalise(trade.price)}\n${
    normalise(trade.size)
  }\n${trade.side}\n${trade.transactionHash ?? ""}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
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

/** "0.50", ".5" and "0.5" are the same price: strip leading/trailing zeros. */
function normalise(decimal: string): string {
  let s = decimal;
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  s = s.replace(/^0+(?=\d)/, "");
  if (s.startsWith(".")) s = `0${s}`;
  return s === "" ? "0" : s;
}
