/**
 * The trades of the simulated accounts: one per price level an order matched, recorded from
 * the account's side (TAKER or MAKER) with the taker described as the venue describes it, and
 * settled MATCHED → MINED after `settleMs` and → CONFIRMED after twice that.
 *
 * @example
 * ```ts
 * import { Trades } from "./venue_trades.ts";
 * const trades = new Trades(2000);
 * trades.settle(Date.now()); // [] (nothing recorded yet)
 * ```
 */
import { feeScheduleAt } from "./structure.ts";
import type { VenueOrder } from "./venue.ts";

/** The taking side of a match, as the venue's trade objects describe it at the top level. */
export interface TradeTaker {
  readonly orderId: string;
  /** Lower-case funder address of the taker (a stand-in for the simulated crowd). */
  readonly address: string;
  readonly outcome: 0 | 1;
  readonly side: "BUY" | "SELL";
  /** What the taker took at this level (hundredths) and its price for the taker's token. */
  readonly hundredths: number;
  readonly priceUnits: number;
}

/**
 * A trade of an account: one per price level it matched. The venue describes a trade from the
 * taker's side (`taker`); a maker finds its own fill in `maker_orders`.
 */
export interface VenueTrade {
  readonly id: string;
  readonly order: VenueOrder;
  readonly traderSide: "TAKER" | "MAKER";
  readonly taker: TradeTaker;
  /** The counterparty order a TAKER trade matched (the simulated crowd's). */
  readonly counterOrderId: string;
  /** The account's own fill (hundredths) and its price for its own token. */
  readonly hundredths: number;
  readonly priceUnits: number;
  readonly fee: bigint;
  readonly feeRateBps: string;
  readonly transactionHash: string;
  readonly matchedAtMs: number;
  status: "MATCHED" | "MINED" | "CONFIRMED";
  lastUpdateMs: number;
}

/** What a new trade needs. */
export interface NewTrade {
  traderSide: "TAKER" | "MAKER";
  taker: TradeTaker;
  counterOrderId: string;
  hundredths: number;
  priceUnits: number;
  fee: bigint;
  transactionHash: string;
  nowMs: number;
}

/** All trades, and the ones not yet confirmed. */
export class Trades {
  readonly all: VenueTrade[] = [];
  readonly #unconfirmed = new Set<VenueTrade>();
  readonly #settleMs: number;
  #counterparty = 0;

  /** Trades move one status on every `settleMs`. */
  constructor(settleMs: number) {
    this.#settleMs = settleMs;
  }

  /** Records a MATCHED trade of `order` (and lists it on the order). */
  record(order: VenueOrder, t: NewTrade): VenueTrade {
    const schedule = feeScheduleAt(order.market.meta, t.nowMs);
    const trade: VenueTrade = {
      id: crypto.randomUUID(),
      order,
      traderSide: t.traderSide,
      taker: t.taker,
      counterOrderId: t.counterOrderId,
      hundredths: t.hundredths,
      priceUnits: t.priceUnits,
      fee: t.fee,
      feeRateBps: schedule === null ? "0" : String(Math.round(Number(schedule.rate) * 10_000)),
      transactionHash: t.transactionHash,
      matchedAtMs: t.nowMs,
      status: "MATCHED",
      lastUpdateMs: t.nowMs,
    };
    order.trades.push(trade.id);
    this.all.push(trade);
    this.#unconfirmed.add(trade);
    return trade;
  }

  /** Moves every due trade one status on; returns the ones that moved. */
  settle(nowMs: number): VenueTrade[] {
    const moved: VenueTrade[] = [];
    for (const t of this.#unconfirmed) {
      const due = t.matchedAtMs + this.#settleMs * (t.status === "MATCHED" ? 1 : 2);
      if (nowMs < due) continue;
      t.status = t.status === "MATCHED" ? "MINED" : "CONFIRMED";
      t.lastUpdateMs = nowMs;
      if (t.status === "CONFIRMED") this.#unconfirmed.delete(t);
      moved.push(t);
    }
    return moved;
  }

  /** A fresh order id for the simulated crowd's side of a match. */
  counterpartyOrderId(): string {
    this.#counterparty++;
    return "0x" + this.#counterparty.toString(16).padStart(8, "0") + "c0" + "0".repeat(54);
  }
}
