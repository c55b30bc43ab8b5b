/**
 * The pre-trade risk engine (issue 30; docs/execution.md, "Risk limits and the kill switch").
 * Every order passes `admit` before it is handed to the ledger and the broker; the engine
 * answers from what it holds in memory (no I/O, no await), so a check costs microseconds and
 * two orders cannot both pass against the same room.
 *
 * What it holds: per token the shares held and their cost basis, every order it admitted and
 * that may still fill (its remaining size), collateral spent and received, the latest mark per
 * token, and the send instants of the last second (the throttle). It learns fills and order
 * updates from the broker's own events (`applyBrokerEvent`), so a fill, a cancel or a short fill
 * frees room the moment the broker reports it.
 *
 * Exposure of a token = the cost basis of what is held + price × remaining size of every open
 * BUY. It is summed per market, per neg-risk group and in total and checked against the limits
 * as if the order filled whole; a SELL of tokens held (and not already offered) reduces it.
 * The daily P&L is equity now (collateral + shares at their marks, or at cost without a mark)
 * minus equity at the first observation of the UTC day: realised and marked together.
 *
 * A refused order is not a breach: the state stays. `assess` finds breaches of the state itself
 * (a loss beyond the daily limit halts; an exposure or open-order count beyond its limit, which
 * only seeded holdings, conversions or a limit lowered at restart can cause, moves to
 * `reducing`); the kill switch (execution/kill_switch.ts) persists and enforces them.
 *
 * @example
 * ```ts
 * import { loadConfig } from "../runtime/config.ts";
 * import { parseDec } from "../edge/decimal.ts";
 * import { RiskEngine, riskLimits } from "./risk.ts";
 * const risk = new RiskEngine(riskLimits(loadConfig({}).risk));
 * const verdict = risk.admit(
 *   { clientOrderId: "c-1", tokenId: "t1", marketId: "m1", groupId: null, side: "BUY",
 *     price: parseDec("0.52"), size: parseDec("10") },
 *   { now: Date.now(), bookPrice: parseDec("0.52"), bookAt: Date.now(), edge: parseDec("0.02") },
 * );
 * if (!verdict.ok) throw new Error(verdict.reason);
 * ```
 */
import { type Dec, formatDec, parseDec } from "../edge/decimal.ts";
import type { RiskConfig } from "../runtime/config.ts";
import type { BrokerEvent, Side } from "./broker.ts";
import { Exposure } from "./_exposure.ts";

/** active: every order that passes the limits; reducing: only orders that reduce exposure. */
export type TradingMode = "active" | "reducing" | "halted";

/** The limits, parsed once from configuration (`riskLimits`). Notionals in collateral. */
export interface RiskLimits {
  readonly maxOrderNotional: Dec;
  readonly maxMarketNotional: Dec;
  readonly maxGroupNotional: Dec;
  readonly maxTotalNotional: Dec;
  readonly maxOpenOrders: number;
  readonly maxOrdersPerSecond: number;
  /** Realised + marked loss since the start of the UTC day that halts trading. */
  readonly maxDailyLoss: Dec;
  /** Largest distance between an order's price and the book price it was planned on. */
  readonly priceBand: Dec;
  /** The planning book may be at most this old when the order is checked. */
  readonly maxBookAgeMs: number;
  /** Least expected profit per share after fees for an order that adds exposure. */
  readonly minEdge: Dec;
}

/** Which limit refused an order or was breached. */
export type RiskLimitName =
  | "mode"
  | "order_notional"
  | "market_notional"
  | "group_notional"
  | "total_notional"
  | "open_orders"
  | "order_rate"
  | "daily_loss"
  | "price_band"
  | "book_age"
  | "min_edge"
  | "bad_order";

/** An order as the risk engine sees it: the broker's request plus where its token belongs. */
export interface RiskOrder {
  readonly clientOrderId: string;
  readonly tokenId: string;
  /** The market (condition id) the token belongs to. */
  readonly marketId: string;
  /** The neg-risk group (event) of the market; null when it is in none. */
  readonly groupId: string | null;
  readonly side: Side;
  readonly price: Dec;
  readonly size: Dec;
}

/** What the order was planned on, and when it is checked. */
export interface RiskContext {
  /** Unix ms of the check (injected: the engine reads no clock). */
  readonly now: number;
  /** Best price on the side the order takes (ask for a BUY, bid for a SELL) in its book. */
  readonly bookPrice: Dec;
  /** Unix ms of that book's last update. */
  readonly bookAt: number;
  /** Expected profit per share after fees; null for an order that only reduces exposure. */
  readonly edge: Dec | null;
}

export type RiskVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: RiskLimitName; readonly reason: string };

/** A breach of the state itself, and the mode it calls for. */
export interface RiskBreach {
  readonly limit: RiskLimitName;
  readonly mode: "reducing" | "halted";
  readonly reason: string;
}

/** Limits from the configuration's decimal text. @throws {RangeError} on a bad decimal. */
export function riskLimits(config: RiskConfig): RiskLimits {
  return {
    maxOrderNotional: parseDec(config.maxOrderNotional),
    maxMarketNotional: parseDec(config.maxMarketNotional),
    maxGroupNotional: parseDec(config.maxGroupNotional),
    maxTotalNotional: parseDec(config.maxTotalNotional),
    maxOpenOrders: config.maxOpenOrders,
    maxOrdersPerSecond: config.maxOrdersPerSecond,
    maxDailyLoss: parseDec(config.maxDailyLoss),
    priceBand: parseDec(config.priceBand),
    maxBookAgeMs: config.maxBookAgeMs,
    minEdge: parseDec(config.minEdge),
  };
}

/** The engine's figures, for `/metrics`, `status` and the log. */
export interface RiskSnapshot {
  readonly mode: TradingMode;
  readonly modeReason: string | null;
  readonly openOrders: number;
  readonly totalNotional: Dec;
  readonly dailyPnl: Dec;
  readonly admitted: number;
  readonly refused: Readonly<Record<string, number>>;
}

/** The limits, the exposure they are checked against, and the trading mode. */
export class RiskEngine {
  readonly limits: RiskLimits;
  readonly #exposure = new Exposure();
  #mode: TradingMode = "active";
  #modeReason: string | null = null;
  /** Send instants of admitted orders in the last second, oldest first. */
  readonly #sends: number[] = [];
  #admitted = 0;
  readonly #refused: Record<string, number> = {};

  constructor(limits: RiskLimits, options: { readonly mode?: TradingMode } = {}) {
    this.limits = limits;
    this.#mode = options.mode ?? "active";
  }

  get mode(): TradingMode {
    return this.#mode;
  }

  /** Why the mode is what it is (null: active, or no reason given). */
  get modeReason(): string | null {
    return this.#modeReason;
  }

  /** Sets the mode (from the persisted trading state, or a breach); returns the old one. */
  setMode(mode: TradingMode, reason: string | null): TradingMode {
    const old = this.#mode;
    this.#mode = mode;
    this.#modeReason = reason;
    return old;
  }

  /** Checks the order against every limit without counting it (nothing is reserved). */
  check(order: RiskOrder, context: RiskContext): RiskVerdict {
    return this.#check(order, context);
  }

  /**
   * Checks the order and, when it passes, counts it as sent and as open (its whole size may
   * fill) in the same synchronous step. Call `release` when the broker refused it.
   */
  admit(order: RiskOrder, context: RiskContext): RiskVerdict {
    const verdict = this.#check(order, context);
    if (!verdict.ok) {
      this.#refused[verdict.limit] = (this.#refused[verdict.limit] ?? 0) + 1;
      return verdict;
    }
    this.#sends.push(context.now);
    this.#exposure.open(order);
    this.#admitted++;
    return verdict;
  }

  /** Frees an admitted order the broker refused (or that was never sent). */
  release(clientOrderId: string): void {
    this.#exposure.close(clientOrderId);
  }

  /** Books a broker event: a fill moves holdings and collateral, an update the open size. */
  applyBrokerEvent(event: BrokerEvent): void {
    if (event.kind === "fill") this.#exposure.fill(event.fill);
    else this.#exposure.update(event.order);
  }

  /** Holdings known before this engine started (the ledger's positions at startup). */
  seedHolding(
    holding: { tokenId: string; marketId: string; groupId: string | null; size: Dec; cost: Dec },
  ): void {
    this.#exposure.seed(holding);
  }

  /**
   * An order already open before this engine started (the ledger's LIVE orders at startup):
   * counted as open for `size`, its remaining size, without counting as sent. Its broker events
   * are then booked like any other's.
   */
  seedOrder(order: RiskOrder): void {
    this.#exposure.open(order);
  }

  /** Shares in and out for collateral (a conversion, merge or redemption). */
  applyConversion(
    change: { readonly legs: readonly { tokenId: string; size: Dec }[]; collateral: Dec },
  ): void {
    this.#exposure.convert(change.legs, change.collateral);
  }

  /** The latest price a token could be sold at, for the marked P&L. */
  mark(tokenId: string, price: Dec): void {
    this.#exposure.mark(tokenId, price);
  }

  /** Breaches of the state at `now` (daily loss, exposure and open orders beyond limits). */
  assess(now: number): RiskBreach[] {
    const limits = this.limits;
    const breaches: RiskBreach[] = [];
    const pnl = this.#exposure.dailyPnl(now);
    if (-pnl >= limits.maxDailyLoss) {
      breaches.push({
        limit: "daily_loss",
        mode: "halted",
        reason: `daily loss ${formatDec(-pnl)} reached the limit ${formatDec(limits.maxDailyLoss)}`,
      });
    }
    for (const over of this.#exposure.overLimits(limits)) {
      breaches.push({ limit: over.limit, mode: "reducing", reason: over.reason });
    }
    if (this.#exposure.openCount() > limits.maxOpenOrders) {
      breaches.push({
        limit: "open_orders",
        mode: "reducing",
        reason:
          `${this.#exposure.openCount()} open orders exceed the limit ${limits.maxOpenOrders}`,
      });
    }
    return breaches;
  }

  snapshot(now: number): RiskSnapshot {
    return {
      mode: this.#mode,
      modeReason: this.#modeReason,
      openOrders: this.#exposure.openCount(),
      totalNotional: this.#exposure.total(),
      dailyPnl: this.#exposure.dailyPnl(now),
      admitted: this.#admitted,
      refused: { ...this.#refused },
    };
  }

  /** Exposure of a market, a group (by id) or everything, for tests and reports. */
  exposureOf(scope: { market: string } | { group: string } | "total"): Dec {
    if (scope === "total") return this.#exposure.total();
    return "market" in scope
      ? this.#exposure.ofMarket(scope.market)
      : this.#exposure.ofGroup(scope.group);
  }

  #check(order: RiskOrder, context: RiskContext): RiskVerdict {
    const limits = this.limits;
    if (!(order.price > 0n && order.size > 0n)) {
      return refuse("bad_order", "price and size must be positive");
    }
    if (this.#mode === "halted") {
      return refuse("mode", `trading is halted${why(this.#modeReason)}`);
    }
    const reduces = this.#exposure.reduces(order);
    if (this.#mode === "reducing" && !reduces) {
      return refuse("mode", `trading is reducing${why(this.#modeReason)}: order adds exposure`);
    }
    const notional = order.price * order.size / 100_000_000n;
    if (notional > limits.maxOrderNotional) {
      return refuse(
        "order_notional",
        `order notional ${formatDec(notional)} > ${formatDec(limits.maxOrderNotional)}`,
      );
    }
    const age = context.now - context.bookAt;
    if (age > limits.maxBookAgeMs) {
      return refuse("book_age", `book is ${age} ms old > ${limits.maxBookAgeMs} ms`);
    }
    const distance = order.price > context.bookPrice
      ? order.price - context.bookPrice
      : context.bookPrice - order.price;
    if (distance > limits.priceBand) {
      return refuse(
        "price_band",
        `price ${formatDec(order.price)} is ${formatDec(distance)} from the book's ${
          formatDec(context.bookPrice)
        } > ${formatDec(limits.priceBand)}`,
      );
    }
    if (!reduces && (context.edge === null || context.edge < limits.minEdge)) {
      return refuse(
        "min_edge",
        `edge ${context.edge === null ? "none" : formatDec(context.edge)} < ${
          formatDec(limits.minEdge)
        } per share`,
      );
    }
    while (this.#sends.length > 0 && this.#sends[0]! <= context.now - 1000) this.#sends.shift();
    if (this.#sends.length >= limits.maxOrdersPerSecond) {
      return refuse("order_rate", `${this.#sends.length} orders in the last second`);
    }
    if (this.#exposure.openCount() >= limits.maxOpenOrders) {
      return refuse("open_orders", `${this.#exposure.openCount()} orders open`);
    }
    if (!reduces) {
      const over = this.#exposure.wouldExceed(order, notional, limits);
      if (over !== null) return refuse(over.limit, over.reason);
      const pnl = this.#exposure.dailyPnl(context.now);
      if (-pnl >= limits.maxDailyLoss) {
        return refuse("daily_loss", `daily loss ${formatDec(-pnl)} at the limit`);
      }
    }
    return { ok: true };
  }
}

function refuse(limit: RiskLimitName, reason: string): RiskVerdict {
  return { ok: false, limit, reason };
}

function why(reason: string | null): string {
  return reason === null ? "" : ` (${reason})`;
}
