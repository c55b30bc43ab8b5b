/**
 * The executor (issue 30): takes a plan the scanner found (an episode's opening plan), asks the
 * channel's playbook (`playbook.ts`) what to do on the books as they are, and carries it out
 * through the ledger (`placeOrder`: every order written down before the broker sees it) and a
 * broker: the thinnest leg alone (FOK), then the others (FAK), one finishing round for short
 * legs within the edge left, an unwind of what is unmatched, then the neg-risk conversion (a
 * broker that can convert: the paper broker) or, for baskets and implication pairs, the complete
 * sets held to resolution. Each step's decision is logged (`executor_decision`) with the plan,
 * the books' ages and why it acted or declined, and the whole trade comes back as a `TradeResult`.
 * A model forecast (`tradeForecast`) goes through the model-edge playbook (`model_playbook.ts`):
 * one FAK BUY sized by a capped Kelly fraction of the equity, through the same risk engine and
 * ledger, logged as `executor_model_decision`.
 *
 * Pre-trade risk: every order passes the risk engine (execution/risk.ts, `RiskEngine.admit`)
 * before `placeOrder`, which reserves its room in the same synchronous step; an order the broker
 * refuses (or that never reaches it) is released, and every broker event and conversion is told
 * to the engine. Without an engine every order the playbook asks for is sent (the planted tests).
 *
 * Fills are counted from the broker's own events, by client order id, as the broker emits them,
 * and booked in the ledger in emission order (`flush` waits for the bookings). The paper broker
 * emits an order's fills before its submit resolves; a venue broker may report them later, so a
 * live executor must wait for each order's final state before the next step (not done here: the
 * executor is only run against the paper broker so far).
 *
 * @example
 * ```ts ignore
 * import { Executor } from "./executor.ts";
 * const executor = new Executor({ ledger, broker, books, limits, now, log, idPrefix: "paper-1" });
 * const result = await executor.trade(episode.peakPlan, { relation, at: episode.startedAt });
 * ```
 */
import { type Dec, divDec, formatDec, mulDec, parseDec, ZERO } from "../edge/decimal.ts";
import { conversionCalls } from "../edge/conversion.ts";
import { channelJson, type Plan } from "../edge/plan.ts";
import type { Logger } from "../runtime/log.ts";
import type { ScanRelation } from "../scanner/relation_set.ts";
import type { Broker, BrokerEvent, OrderRequest, Side } from "./broker.ts";
import {
  type Ledger,
  placeOrder,
  type PlaceOutcome,
  recordFill,
  recordOrderEvent,
  TradingHaltedError,
} from "./ledger.ts";
import { recordConversion } from "./ledger_cash.ts";
import type { ConversionRequest, ConversionResult } from "./paper_broker.ts";
import type { RiskContext, RiskEngine, RiskOrder } from "./risk.ts";
import {
  type BookView,
  decide,
  type Decision,
  decisionRecord,
  finishOrders,
  type LegOrder,
  type PlaybookLimits,
  pricedOnBook,
  surplusOf,
  type TokenBook,
  unwindOrders,
} from "./playbook.ts";
import {
  decideModel,
  type ModelDecision,
  modelDecisionRecord,
  type ModelForecast,
  type ModelLimits,
} from "./model_playbook.ts";

export interface ExecutorOptions {
  readonly ledger: Ledger;
  readonly broker: Broker;
  /** The books the playbook reads (the scanner's, through `scannerBookView`). */
  readonly books: BookView;
  readonly limits: PlaybookLimits;
  /** The clock (unix ms): the replay's, or the wall clock live. */
  readonly now: () => number;
  readonly log: Logger;
  /** Prefix of client order ids: unique per ledger (a paper run's id). */
  readonly idPrefix: string;
  /** The pre-trade risk engine every order passes (`admit`). */
  readonly risk?: RiskEngine;
  /** The neg-risk adapter's `convertPositions` (the paper broker's `convert`). */
  readonly convert?: (request: ConversionRequest) => ConversionResult;
  /** Called when an order is handed to the broker (for the decision-latency benchmark). */
  readonly onHandoff?: (request: OrderRequest) => void;
  /**
   * Longest wait for a matched FOK/FAK's fills to arrive after the broker's answer (ms,
   * default {@link FILL_WAIT_MS}). The venue answers a matched order before its user channel
   * reports the trades; the paper broker's fills are in before its answer, so it never waits.
   */
  readonly fillWaitMs?: number;
  readonly signal?: AbortSignal;
}

/** Default bound on waiting for a matched order's fills ({@link ExecutorOptions.fillWaitMs}). */
export const FILL_WAIT_MS = 5_000;

/** What one leg bought and sold. */
export interface LegTally {
  readonly tokenId: string;
  bought: Dec;
  /** Σ price × shares of the buys. */
  notional: Dec;
  /** Fees on buys and sells. */
  fees: Dec;
  sold: Dec;
  /** Σ price × shares of the sells. */
  proceeds: Dec;
  /** Shares handed to the neg-risk adapter. */
  converted: Dec;
}

/** How a trade ended. */
export type TradeOutcome =
  | "declined"
  | "missed"
  | "filled_whole"
  | "filled_short"
  | "unwound";

export interface TradeResult {
  readonly decision: Decision;
  readonly outcome: TradeOutcome;
  readonly legs: readonly LegTally[];
  /** Complete sets kept (held to resolution; converted for a conversion). */
  readonly completeSets: Dec;
  /** Collateral the conversion paid (0 for other channels). */
  readonly converted: Dec;
  /** Shares of each leg left unmatched after the unwind (marked at 0). */
  readonly held: readonly Dec[];
  /**
   * Collateral out and in, plus the complete sets at their payoff (1 a set, paid at
   * resolution for a basket or pair): what the trade earned if the venue pays as written.
   */
  readonly pnl: Dec;
  /** Capital tied up until resolution (complete sets' cost; 0 once converted). */
  readonly capitalLocked: Dec;
  /** Orders handed to the broker (through the ledger), and refused before it. */
  readonly orders: number;
  readonly refused: number;
  /**
   * Wall-clock ms from the plan's arrival (`trade` called) to its first order handed to the
   * broker: the playbook, the risk check and the ledger's intent. Null when nothing was sent.
   */
  readonly handoffMs: number | null;
}

/** How a forecast's trade ended (`declined`: the playbook or the risk engine said no). */
export interface ModelTradeResult {
  readonly decision: ModelDecision;
  readonly outcome: "declined" | "missed" | "filled_whole" | "filled_short";
  /** What the order bought. */
  readonly leg: LegTally;
  readonly orders: number;
  readonly refused: number;
  readonly handoffMs: number | null;
}

export class Executor {
  readonly #o: ExecutorOptions;
  readonly #tallies = new Map<string, Tally>();
  #next = 0;
  #booking: Promise<unknown> = Promise.resolve();
  #unsubscribe: () => void;
  /** Trades doing local work (not waiting on the broker), for `quiet()`. */
  #working = 0;
  #idle: (() => void)[] = [];
  readonly #broker: Broker;
  /** Client order id → its trade's arrival and first handoff (performance.now()). */
  readonly #timing = new Map<string, Timing>();

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#unsubscribe = options.broker.onEvent((event) => this.#onEvent(event));
    const inner = options.broker;
    // The broker as the ledger calls it: a trade waiting on it is not working.
    this.#broker = {
      ...inner,
      submit: (order, signal) => {
        const timing = this.#timing.get(order.clientOrderId);
        if (timing !== undefined) {
          timing.first ??= performance.now();
          this.#timing.delete(order.clientOrderId);
        }
        options.onHandoff?.(order);
        this.#park();
        const answer = inner.submit(order, signal).finally(() => this.#working++);
        // The order is on its way: now the decision's log line (off the decision's latency).
        if (timing !== undefined) afterHandoff(timing);
        return answer;
      },
      cancel: (ids, signal) => inner.cancel(ids, signal),
      cancelAll: (signal) => inner.cancelAll(signal),
      openOrders: (signal) => inner.openOrders(signal),
      orderByClientId: (id, signal) => inner.orderByClientId(id, signal),
      positions: (signal) => inner.positions(signal),
      onEvent: (listener) => inner.onEvent(listener),
    };
  }

  /** Stops listening to the broker. */
  close(): void {
    this.#unsubscribe();
  }

  /** True while some trade is doing local work (deciding, writing the ledger). */
  get working(): boolean {
    return this.#working > 0;
  }

  /**
   * Resolves once every trade is waiting on the broker or done (a replay moves the broker's
   * clock only then, so each order is sent at the instant it was decided).
   */
  async quiet(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#working === 0) return;
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  /** Waits for every broker event so far to be booked in the ledger. */
  async flush(): Promise<void> {
    await this.#booking;
  }

  /** Runs the playbook for `plan` (found on `relation` at `at`); resolves when the trade is over. */
  async trade(
    plan: Plan,
    context: { readonly relation: ScanRelation; readonly at: number },
  ): Promise<TradeResult> {
    const timing: Timing = { received: performance.now(), first: null, deferred: null };
    this.#working++;
    try {
      const result = await this.#trade(plan, context.relation, timing);
      return {
        ...result,
        handoffMs: timing.first === null ? null : timing.first - timing.received,
      };
    } finally {
      this.#park();
    }
  }

  /**
   * The model-edge playbook (`model_playbook.ts`) for one token's forecast: one FAK BUY sized by
   * the capped Kelly fraction of `equity`, through the risk engine and the ledger like every
   * other order, or a decline. Logged as `executor_model_decision`.
   */
  async tradeForecast(
    forecast: ModelForecast,
    context: {
      readonly equity: Dec;
      readonly limits: ModelLimits;
      /** Why the market cannot be traded now; null when it can. */
      readonly notTradable: string | null;
      /** The market's condition id and neg-risk group, for the risk engine. */
      readonly conditionId: string;
      readonly groupId: string | null;
    },
  ): Promise<ModelTradeResult> {
    const timing: Timing = { received: performance.now(), first: null, deferred: null };
    this.#working++;
    try {
      const decision = decideModel(forecast, {
        at: this.#o.now(),
        book: this.#o.books(forecast.tokenId),
        equity: context.equity,
        notTradable: context.notTradable,
        limits: context.limits,
      });
      timing.deferred = () =>
        this.#o.log.info("executor_model_decision", {
          ...modelDecisionRecord(decision),
          forecastAt: new Date(forecast.instant).toISOString(),
          outcomeIndex: forecast.outcomeIndex,
        });
      const leg = newTally(forecast.tokenId);
      const count = { orders: 0, refused: 0 };
      const order = decision.order;
      if (order !== null) {
        const place: OrderPlace = {
          marketId: context.conditionId,
          groupId: context.groupId,
          edge: decision.evPerShare,
        };
        const sent = this.#place(
          { leg: 0, role: "first", ...order },
          { where: () => place, legs: [leg], count, timing },
        );
        this.#park();
        try {
          await sent;
        } finally {
          this.#working++;
        }
      }
      afterHandoff(timing);
      const outcome: ModelTradeResult["outcome"] = order === null || count.orders === 0
        ? "declined"
        : leg.bought === ZERO
        ? "missed"
        : leg.bought < order.shares
        ? "filled_short"
        : "filled_whole";
      return {
        decision,
        outcome,
        leg,
        orders: count.orders,
        refused: count.refused,
        handoffMs: timing.first === null ? null : timing.first - timing.received,
      };
    } finally {
      this.#park();
    }
  }

  async #trade(
    plan: Plan,
    relation: ScanRelation,
    timing: Timing,
  ): Promise<Omit<TradeResult, "handoffMs">> {
    const { books, log } = this.#o;
    const decision = decide(plan, {
      relationKey: relation.key,
      at: this.#o.now(),
      books,
      limits: this.#o.limits,
    });
    // Written once the first order is handed to the broker (or nothing will be): building and
    // writing the line with the whole plan is not the decision's work.
    timing.deferred = () =>
      log.info("executor_decision", {
        step: "open",
        ...decisionRecord(decision),
        // The plan as `pmcollect edge --json` prints it: legs, levels, fees, conversion calls.
        plan: channelJson({ channel: plan.channel, subject: relation.key, complete: true, plan }),
      });
    const legs: LegTally[] = plan.legs.map((leg) => newTally(leg.tokenId));
    const count = { orders: 0, refused: 0 };
    const result = (
      outcome: TradeOutcome,
      rest: Partial<TradeResult> = {},
    ): Omit<TradeResult, "handoffMs"> => ({
      decision,
      outcome,
      legs,
      completeSets: ZERO,
      converted: ZERO,
      held: legs.map(heldOf),
      pnl: cashOf(legs),
      capitalLocked: ZERO,
      ...count,
      ...rest,
    });
    if (decision.action === "decline") {
      afterHandoff(timing);
      return result("declined");
    }
    const send = async (orders: readonly LegOrder[]) => {
      // Each order counts as working until it waits on the broker; the trade waits on them.
      const where = (o: LegOrder) => planPlace(o, plan, relation);
      const placed = orders.map((o) => this.#place(o, { where, legs, count, timing }));
      this.#park();
      try {
        await Promise.all(placed);
      } finally {
        this.#working++;
      }
    };
    try {
      await send(decision.first);
    } finally {
      afterHandoff(timing);
    }
    if (legs[decision.first[0]!.leg]!.bought === ZERO) return result("missed");
    // Priced on the books as they are now: a leg's ask may have moved since the decision.
    await send(decision.rest.map((o) => pricedOnBook(o, books(o.tokenId))));
    let short = plan.legs.some((leg, i) => legs[i]!.bought < leg.shares);
    if (short) {
      const finish = finishOrders(plan, legs.map(filledOf), books);
      this.#log("finish", decision, finish);
      await send(finish);
    }
    short = plan.legs.some((leg, i) => legs[i]!.bought < leg.shares);
    // The conversion first (collateral now), then the leftover is sold.
    let converted = ZERO;
    const heldNow = () => legs.map(heldOf);
    if (plan.channel === "neg_risk_conversion") {
      converted = await this.#convert(plan, relation, legs);
    }
    const surplus = surplusOf(plan.channel, heldNow());
    const completeSets = plan.channel === "neg_risk_conversion"
      ? ZERO
      : heldNow().reduce((m, x) => (x < m ? x : m), heldNow()[0] ?? ZERO);
    const unwind = unwindOrders(plan, surplus, books);
    if (unwind.length > 0) {
      this.#log("unwind", decision, unwind);
      await send(unwind);
    }
    const held = heldNow().map((x) => (x > completeSets ? x - completeSets : ZERO));
    const lockedCost = plan.channel === "neg_risk_conversion" ? ZERO : legs.reduce(
      (sum, l) =>
        sum + (l.bought === ZERO ? ZERO : divDec(mulDec(l.notional, completeSets), l.bought)),
      ZERO,
    );
    return result(unwind.length > 0 ? "unwound" : short ? "filled_short" : "filled_whole", {
      completeSets,
      converted,
      held,
      pnl: cashOf(legs) + converted + completeSets,
      capitalLocked: lockedCost,
    });
  }

  async #place(
    order: LegOrder,
    trade: Placing,
  ): Promise<void> {
    this.#working++;
    try {
      await this.#placeOne(order, trade);
    } finally {
      this.#park();
    }
  }

  async #placeOne(
    order: LegOrder,
    trade: Placing,
  ): Promise<void> {
    const request: OrderRequest = {
      clientOrderId: `${this.#o.idPrefix}-${++this.#next}`,
      tokenId: order.tokenId,
      side: order.side,
      orderType: order.orderType,
      price: formatDec(order.price),
      size: formatDec(order.shares),
      postOnly: false,
      expiration: null,
    };
    const risk = this.#o.risk;
    if (risk !== undefined) {
      const place = trade.where(order);
      const verdict = risk.admit(riskOrder(order, request.clientOrderId, place), {
        ...riskContext(order, this.#o.books(order.tokenId), place),
        now: this.#o.now(),
      });
      if (!verdict.ok) {
        trade.count.refused++;
        afterHandoff(trade.timing);
        this.#o.log.info("executor_refused", {
          clientOrderId: request.clientOrderId,
          limit: verdict.limit,
          reason: verdict.reason,
        });
        return;
      }
    }
    const tally: Tally = {
      leg: trade.legs[order.leg]!,
      side: order.side,
      filled: ZERO,
      wake: null,
    };
    this.#tallies.set(request.clientOrderId, tally);
    this.#timing.set(request.clientOrderId, trade.timing);
    trade.count.orders++;
    const signal = this.#o.signal;
    let outcome: PlaceOutcome;
    try {
      outcome = await placeOrder(
        this.#o.ledger,
        this.#broker,
        request,
        signal === undefined ? {} : { signal },
      );
    } catch (err) {
      // Halted (or the id was used): nothing was sent.
      risk?.release(request.clientOrderId);
      this.#timing.delete(request.clientOrderId);
      if (!(err instanceof TradingHaltedError)) throw err;
      trade.count.orders--;
      trade.count.refused++;
      afterHandoff(trade.timing);
      this.#o.log.warn("executor_refused", {
        clientOrderId: request.clientOrderId,
        reason: err.message,
      });
      return;
    }
    if (outcome.kind === "acked") {
      await this.#awaitFills(request, outcome, tally);
    } else {
      if (outcome.kind === "rejected") risk?.release(request.clientOrderId);
      this.#o.log.info("executor_order_not_filled", {
        clientOrderId: request.clientOrderId,
        outcome: outcome.kind,
        error: outcome.error,
      });
    }
  }

  /** Converts the NO held on nested sets (largest first) and books each call in the ledger. */
  async #convert(plan: Plan, relation: ScanRelation, legs: LegTally[]): Promise<Dec> {
    const convert = this.#o.convert;
    const feeBips = relation.convertFeeBips;
    if (convert === undefined || feeBips === null) return ZERO;
    const members = plan.legs.map((leg) => {
      const market = relation.markets.find((m) => m.marketId === leg.marketId);
      return {
        marketId: leg.marketId,
        ...(market?.questionIndex === undefined ? {} : { questionIndex: market.questionIndex }),
      };
    });
    const sizes = legs.map(heldOf);
    const calls = conversionCalls(members, sizes, feeBips);
    let collateral = ZERO;
    for (const [n, call] of calls.entries()) {
      const inSet = new Set(call.marketIds);
      const noLegs = plan.legs.map((leg, i) => ({ leg, i })).filter(({ leg }) =>
        inSet.has(leg.marketId)
      );
      const outside = relation.markets.filter((m) => !inSet.has(m.marketId));
      const at = this.#o.now();
      let answer: ConversionResult;
      try {
        answer = convert({
          marketId: call.marketIds[0]!,
          noTokenIds: noLegs.map(({ leg }) => leg.tokenId),
          complementYesTokenIds: outside.map((m) => m.yesTokenId),
          amount: formatDec(call.amount),
          feeBips,
        });
      } catch (err) {
        // The adapter refused (shares promised to an open SELL, a bad fee): the NO stay held.
        this.#o.log.warn("executor_convert_failed", {
          relationKey: relation.key,
          amount: formatDec(call.amount),
          error: err instanceof Error ? err.message : String(err),
        });
        break;
      }
      const out = parseDec(answer.collateralOut);
      this.#o.risk?.applyConversion({
        legs: [
          ...noLegs.map(({ leg }) => ({ tokenId: leg.tokenId, size: -call.amount })),
          ...outside.map((m) => ({ tokenId: m.yesTokenId, size: parseDec(answer.yesOut) })),
        ],
        collateral: out,
      });
      collateral += out;
      // Each NO leaves at its average cost (notional ÷ shares bought).
      const basis = noLegs.map(({ i }) => {
        const tally = legs[i]!;
        tally.converted += call.amount;
        const cost = divDec(mulDec(tally.notional, call.amount), tally.bought);
        return { tokenId: tally.tokenId, size: formatDec(-call.amount), cost: formatDec(-cost) };
      });
      await recordConversion(this.#o.ledger, {
        conversionId: `${this.#o.idPrefix}-conv-${this.#next}-${n}`,
        kind: "convert",
        legs: [
          ...basis,
          ...outside.map((m) => ({ tokenId: m.yesTokenId, size: answer.yesOut, cost: "0" })),
        ],
        collateral: answer.collateralOut,
        at,
      });
    }
    this.#o.log.info("executor_converted", {
      relationKey: relation.key,
      collateral: formatDec(collateral),
    });
    return collateral;
  }

  #onEvent(event: BrokerEvent): void {
    this.#o.risk?.applyBrokerEvent(event);
    if (event.kind === "fill") {
      const fill = event.fill;
      const entry = fill.clientOrderId === null ? undefined : this.#tallies.get(fill.clientOrderId);
      if (entry !== undefined) {
        const size = parseDec(fill.size);
        const notional = mulDec(parseDec(fill.price), size);
        entry.filled += size;
        entry.wake?.();
        entry.leg.fees += parseDec(fill.fee);
        if (entry.side === "BUY") {
          entry.leg.bought += size;
          entry.leg.notional += notional;
        } else {
          entry.leg.sold += size;
          entry.leg.proceeds += notional;
        }
      }
    }
    const ledger = this.#o.ledger;
    this.#booking = this.#booking.then(() =>
      event.kind === "fill"
        ? recordFill(ledger, event.fill)
        : recordOrderEvent(ledger, event.order, { at: event.at, source: "event" })
    ).catch((err) => {
      ledger.log.error("broker_event_not_booked", {
        kind: event.kind,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  #log(step: string, decision: Decision, orders: readonly LegOrder[]): void {
    this.#o.log.info("executor_decision", {
      step,
      relationKey: decision.relationKey,
      channel: decision.channel,
      orders: orders.map((o) => ({
        leg: o.leg,
        side: o.side,
        orderType: o.orderType,
        price: formatDec(o.price),
        shares: formatDec(o.shares),
      })),
      reason: orders.length === 0
        ? `no ${step} order: no edge or book left`
        : `${step} ${orders.length} leg(s)`,
    });
  }

  /**
   * A FOK/FAK the broker answered MATCHED: waits, bounded, until the fills booked for it add up
   * to the size the broker says matched, so the next leg is decided on what this one bought.
   * The matched size is the broker's answer's when it says (the venue's does), else looked up.
   * Only the wait for fills still to come counts as waiting on the broker (a replay may move
   * its clock meanwhile); the lookup of the matched size does not.
   */
  async #awaitFills(
    request: OrderRequest,
    answer: { readonly status: string; readonly sizeMatched?: string },
    tally: Tally,
  ): Promise<void> {
    const { orderType } = request;
    if (answer.status !== "MATCHED" || (orderType !== "FOK" && orderType !== "FAK")) return;
    const signal = this.#o.signal;
    const waitMs = this.#o.fillWaitMs ?? FILL_WAIT_MS;
    const started = performance.now();
    let matched: Dec;
    try {
      if (answer.sizeMatched !== undefined) matched = parseDec(answer.sizeMatched);
      else {
        const order = await this.#broker.orderByClientId(request.clientOrderId, signal);
        if (order === null) return;
        matched = parseDec(order.sizeMatched);
      }
    } catch (err) {
      if (signal?.aborted) return;
      this.#o.log.warn("executor_fills_unknown", {
        clientOrderId: request.clientOrderId,
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    // The paper broker's fills are in already: the trade goes on without yielding to a replay.
    if (tally.filled >= matched) return;
    this.#park();
    try {
      while (tally.filled < matched && !signal?.aborted) {
        const left = waitMs - (performance.now() - started);
        if (left <= 0) {
          this.#o.log.warn("executor_fills_late", {
            clientOrderId: request.clientOrderId,
            matched: formatDec(matched),
            booked: formatDec(tally.filled),
            waitedMs: Math.round(performance.now() - started),
          });
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          const onAbort = () => done();
          signal?.addEventListener("abort", onAbort, { once: true });
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            tally.wake = null;
            resolve();
          }
          tally.wake = done;
        });
      }
    } finally {
      this.#working++;
    }
  }

  #park(): void {
    this.#working--;
    if (this.#working === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  }
}

/** One order's leg, and the shares its fills have booked so far. */
interface Tally {
  readonly leg: LegTally;
  readonly side: Side;
  filled: Dec;
  /** Set while `#awaitFills` waits for this order's next fill. */
  wake: (() => void) | null;
}

/** An order's trade, as `#place` needs it. */
interface Placing {
  readonly where: (order: LegOrder) => OrderPlace;
  readonly legs: LegTally[];
  readonly count: { orders: number; refused: number };
  readonly timing: Timing;
}

/** A trade's arrival and first hand-off (performance.now()), and what waits for the hand-off. */
interface Timing {
  readonly received: number;
  first: number | null;
  /** The decision's log line, written once the first order is handed over (or none will be). */
  deferred: (() => void) | null;
}

/** Runs what waited for the trade's first hand-off, once. */
function afterHandoff(timing: Timing): void {
  const deferred = timing.deferred;
  timing.deferred = null;
  deferred?.();
}

/** Where an order's token belongs, and the edge a share it was planned with. */
interface OrderPlace {
  /** The market's condition id. */
  readonly marketId: string;
  readonly groupId: string | null;
  /** Expected profit a share after fees; null for an order that only reduces exposure. */
  readonly edge: Dec | null;
}

/** A plan's order: its market's condition id, its group, the plan's edge a share. */
function planPlace(order: LegOrder, plan: Plan, relation: ScanRelation): OrderPlace {
  const marketId = plan.legs[order.leg]!.marketId;
  const market = relation.markets.find((m) => m.marketId === marketId);
  return {
    marketId: market?.conditionId ?? marketId,
    groupId: relation.kind === "group" ? relation.key : null,
    edge: order.side === "SELL" || plan.shares === ZERO ? null : divDec(plan.profit, plan.shares),
  };
}

/** The order as the risk engine sees it. */
function riskOrder(order: LegOrder, clientOrderId: string, place: OrderPlace): RiskOrder {
  return {
    clientOrderId,
    tokenId: order.tokenId,
    marketId: place.marketId,
    groupId: place.groupId,
    side: order.side,
    price: order.price,
    size: order.shares,
  };
}

/** What the order was planned on: the best price it takes, that book's age, its edge a share. */
function riskContext(
  order: LegOrder,
  view: TokenBook | null,
  place: OrderPlace,
): Omit<RiskContext, "now"> {
  const best = order.side === "BUY" ? view?.asks[0] : view?.bids[0];
  return {
    bookPrice: best?.price ?? order.price,
    // The book is known current up to the last data on its connection.
    bookAt: view?.seenAt ?? 0,
    edge: place.edge,
  };
}

function newTally(tokenId: string): LegTally {
  return {
    tokenId,
    bought: ZERO,
    notional: ZERO,
    fees: ZERO,
    sold: ZERO,
    proceeds: ZERO,
    converted: ZERO,
  };
}

function heldOf(leg: LegTally): Dec {
  return leg.bought - leg.sold - leg.converted;
}

function filledOf(leg: LegTally) {
  return { shares: leg.bought, cost: leg.notional + leg.fees };
}

/** Collateral the legs moved: sells in, buys and fees out. */
function cashOf(legs: readonly LegTally[]): Dec {
  return legs.reduce((sum, l) => sum + l.proceeds - l.notional - l.fees, ZERO);
}
