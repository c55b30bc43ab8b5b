/**
 * Bounded per-token history of every trade the simulator emitted, so the Data API and
 * `/prices-history` serve exactly what the websocket streamed.
 *
 * @example
 * ```ts
 * import { TradeLog } from "./trade_log.ts";
 * const log = new TradeLog(1000);
 * log.total; // 0
 * ```
 */

/** One emitted trade (one `last_trade_price` message). */
export interface SimTrade {
  /** Global emission sequence, 1-based. */
  readonly seq: number;
  readonly conditionId: string;
  readonly assetId: string;
  readonly outcomeIndex: 0 | 1;
  readonly price: string;
  readonly size: string;
  readonly side: "BUY" | "SELL";
  readonly timestampMs: number;
  readonly transactionHash: string;
}

/** Ring buffers of trades per token plus a global counter. */
export class TradeLog {
  readonly #capacity: number;
  readonly #byToken = new Map<string, SimTrade[]>();
  #total = 0;

  /** Keeps at most `capacity` trades per token (oldest dropped first). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Number of trades ever recorded. */
  get total(): number {
    return this.#total;
  }

  /** Next sequence number (used before building the trade). */
  nextSeq(): number {
    return ++this.#total;
  }

  /** Stores a trade. */
  record(trade: SimTrade): void {
    let list = this.#byToken.get(trade.assetId);
    if (list === undefined) {
      list = [];
      this.#byToken.set(trade.assetId, list);
    }
    list.push(trade);
    if (list.length > this.#capacity * 2) list.splice(0, list.length - this.#capacity);
  }

  /** Retained trades of one token, oldest first. */
  forToken(assetId: string): SimTrade[] {
    const list = this.#byToken.get(assetId) ?? [];
    return list.length > this.#capacity ? list.slice(list.length - this.#capacity) : list;
  }

  /** Retained trades of the given tokens, newest first (the Data API order). */
  newestFirst(assetIds: Iterable<string>): SimTrade[] {
    const out: SimTrade[] = [];
    for (const id of assetIds) out.push(...this.forToken(id));
    return out.sort((a, b) => b.seq - a.seq);
  }

  /** All retained trades, newest first. */
  all(): SimTrade[] {
    return this.newestFirst(this.#byToken.keys());
  }
}
