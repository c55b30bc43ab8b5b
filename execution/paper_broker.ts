/**
 * `PaperBroker`: the `Broker` that trades on paper, over `PaperMatcher`. It keeps cash and
 * positions in memory and tells its listeners every order update and fill, as the venue
 * broker will.
 *
 * Time: the broker has no clock of its own. `now()` is injected, and an order (or a cancel)
 * reaches the book `latencyMs` after it is sent. In replay the book events move time: every
 * action due before an event's `receivedAt` runs before the event is applied, and
 * `advanceTo(t)` runs what is due by `t` when no event comes. Live, pass `setTimer` and the
 * broker wakes itself when an action is due. So a `submit` resolves once its order has met the
 * book: a replay loop must keep feeding events (or call `advanceTo`) while it waits.
 *
 * Balances are checked when the order reaches the book, as the venue checks them: a BUY needs
 * cash for price × size beyond what open BUYs hold (fees are not held in advance), a SELL needs
 * shares beyond what open SELLs hold. A fill's fee is paid in collateral on top of the price
 * (relations.md §3.2: the one measurement says so).
 *
 * Neg-risk conversion and redemption are on-chain calls, booked here as operations with the
 * adapter's `feeBips` as an input (never assumed): `convert` and `redeem`. They change cash and
 * positions at once and emit no `BrokerEvent` (the contract's events are orders and fills).
 *
 * @example
 * ```ts
 * import { PaperBroker } from "./paper_broker.ts";
 * const broker = new PaperBroker({ now: () => clock, latencyMs: 250, cash: "1000", feeOf });
 * broker.onEvent((e) => ledger.book(e));
 * for await (const event of replayBookEvents(sql, options)) broker.onBookEvent(event);
 * ```
 */
import type {
  Broker,
  BrokerEvent,
  CancelResult,
  OpenOrder,
  OrderRequest,
  Position,
  SubmitResult,
} from "./broker.ts";
import type { BookEvent } from "../stream/book_event.ts";
import {
  type MatcherOptions,
  PaperMatcher,
  type QueueModel,
  type TradePrint,
} from "./paper_matcher.ts";
import { type Dec, formatDec, mulDec, parseDec, ZERO } from "../edge/decimal.ts";
import { adapterFee } from "../edge/conversion.ts";

export interface PaperBrokerOptions {
  /** The clock (unix ms): the replay's event time, or the wall clock live. */
  readonly now: () => number;
  /** How long after a submit or cancel it reaches the book. */
  readonly latencyMs: number;
  /** Starting collateral. */
  readonly cash: string;
  readonly feeOf: MatcherOptions["feeOf"];
  readonly queue?: QueueModel;
  /** Order rules (tick, minimum size…): an error text refuses the order; default accepts. */
  readonly validate?: (order: OrderRequest) => string | null;
  /** Live: calls `run` after `ms` (e.g. setTimeout). Without it, only events and `advanceTo` move time. */
  readonly setTimer?: (ms: number, run: () => void) => void;
}

/** A neg-risk `convertPositions` call: `amount` NO of each market in S (|S| ≥ 2). */
export interface ConversionRequest {
  readonly marketId: string;
  /** NO tokens of the questions in S. */
  readonly noTokenIds: readonly string[];
  /** YES tokens of the group's questions outside S (placeholders and Other included). */
  readonly complementYesTokenIds: readonly string[];
  readonly amount: string;
  /** The adapter's fee for this market (`getFeeBips`), 0…10,000. */
  readonly feeBips: number;
}

export interface ConversionResult {
  /** (|S| − 1) × (amount − fee): credited at once. */
  readonly collateralOut: string;
  /** The adapter's fee on each NO position converted, ⌊amount × feeBips / 10,000⌋ to 1e-6. */
  readonly feePerAmount: string;
  /** amount − fee: credited of each YES outside S. */
  readonly yesOut: string;
}

interface Pending {
  readonly at: number;
  readonly run: (at: number) => void;
}

export class PaperBroker implements Broker {
  readonly matcher: PaperMatcher;
  readonly #options: PaperBrokerOptions;
  readonly #pending: Pending[] = [];
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  readonly #positions = new Map<string, Dec>();
  readonly #byClient = new Map<string, string>();
  readonly #refused = new Map<string, OpenOrder>();
  #cash: Dec;

  constructor(options: PaperBrokerOptions) {
    if (!Number.isFinite(options.latencyMs) || options.latencyMs < 0) {
      throw new RangeError(`latencyMs must be ≥ 0, not ${options.latencyMs}`);
    }
    this.#options = options;
    this.#cash = parseDec(options.cash);
    this.matcher = new PaperMatcher({ feeOf: options.feeOf, queue: options.queue });
  }

  submit(order: OrderRequest, signal?: AbortSignal): Promise<SubmitResult> {
    signal?.throwIfAborted();
    const refuse = (error: string): SubmitResult => ({
      ok: false,
      clientOrderId: order.clientOrderId,
      error,
      retryable: false,
    });
    if (this.#byClient.has(order.clientOrderId) || this.#refused.has(order.clientOrderId)) {
      return Promise.resolve(refuse(`paper: clientOrderId ${order.clientOrderId} already used`));
    }
    const invalid = this.#options.validate?.(order) ?? null;
    if (invalid !== null) {
      this.#remember(order, this.#options.now());
      return Promise.resolve(refuse(invalid));
    }
    return this.#later((at) => this.#place(order, at), signal);
  }

  cancel(orderIds: readonly string[], signal?: AbortSignal): Promise<CancelResult> {
    signal?.throwIfAborted();
    return this.#later((at) => this.#cancel(orderIds, at), signal);
  }

  cancelAll(signal?: AbortSignal): Promise<CancelResult> {
    signal?.throwIfAborted();
    // Every order open when the request reaches the venue.
    return this.#later(
      (at) => this.#cancel(this.matcher.openOrders().map((o) => o.orderId), at),
      signal,
    );
  }

  openOrders(): Promise<OpenOrder[]> {
    return Promise.resolve(this.matcher.openOrders());
  }

  orderByClientId(clientOrderId: string): Promise<OpenOrder | null> {
    const orderId = this.#byClient.get(clientOrderId);
    if (orderId !== undefined) return Promise.resolve(this.matcher.order(orderId));
    return Promise.resolve(this.#refused.get(clientOrderId) ?? null);
  }

  positions(): Promise<Position[]> {
    const list: Position[] = [];
    for (const [tokenId, size] of this.#positions) {
      if (size !== ZERO) list.push({ tokenId, size: formatDec(size) });
    }
    return Promise.resolve(list);
  }

  /** Collateral held now. */
  cash(): string {
    return formatDec(this.#cash);
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One book event: what was due before it reaches the book first, then the event. */
  onBookEvent(event: BookEvent): void {
    this.#runDue(event.receivedAt, false);
    this.#emit(this.matcher.onBookEvent(event));
  }

  /** A public trade (`last_trade_price`), when the caller has a trade feed. */
  onTrade(trade: TradePrint): void {
    this.#runDue(trade.at, false);
    this.#emit(this.matcher.onTrade(trade));
  }

  /** Runs everything due by `at` (orders, cancels, GTD expiry) when no event comes. */
  advanceTo(at: number): void {
    this.#runDue(at, true);
    this.#emit(this.matcher.advance(at));
  }

  /**
   * Books a neg-risk conversion (relations.md §3.4): burns `amount` NO of each market in S and
   * credits (|S| − 1) × (amount − fee) collateral and amount − fee YES of each question
   * outside S, fee = ⌊amount × feeBips / 10,000⌋ to 1e-6 (`adapterFee`).
   * @throws {RangeError} for |S| < 2, a bad fee, or NO shares not held.
   */
  convert(request: ConversionRequest): ConversionResult {
    const { noTokenIds, complementYesTokenIds, feeBips } = request;
    if (new Set(noTokenIds).size !== noTokenIds.length || noTokenIds.length < 2) {
      throw new RangeError(
        "Cannot convert: needs at least 2 distinct NO positions (IndexSetTooSmall)",
      );
    }
    if (!Number.isInteger(feeBips) || feeBips < 0 || feeBips > 10_000) {
      throw new RangeError(
        `Cannot convert: feeBips must be a whole number in 0…10000, not ${feeBips}`,
      );
    }
    const amount = parseDec(request.amount);
    if (amount <= ZERO) {
      throw new RangeError(`Cannot convert: amount ${request.amount} not positive`);
    }
    for (const tokenId of noTokenIds) {
      const held = this.#free(tokenId);
      if (held < amount) {
        throw new RangeError(
          `Cannot convert: holds ${formatDec(held)} free of ${tokenId}, needs ${request.amount}`,
        );
      }
    }
    const fee = adapterFee(amount, feeBips);
    const net = amount - fee;
    for (const tokenId of noTokenIds) this.#move(tokenId, -amount);
    for (const tokenId of complementYesTokenIds) this.#move(tokenId, net);
    const collateral = BigInt(noTokenIds.length - 1) * net;
    this.#cash += collateral;
    return {
      collateralOut: formatDec(collateral),
      feePerAmount: formatDec(fee),
      yesOut: formatDec(net),
    };
  }

  /**
   * Books the redemption of a resolved token: every share held pays `payout` collateral ("1"
   * for the winner, "0" for the loser, "0.5" each for a 50-50 market). Returns the collateral.
   */
  redeem(tokenId: string, payout: string): string {
    const price = parseDec(payout);
    if (price < ZERO || price > parseDec("1")) {
      throw new RangeError(`Cannot redeem ${tokenId}: payout ${payout} not in [0, 1]`);
    }
    const held = this.#positions.get(tokenId) ?? ZERO;
    const paid = mulDec(held, price);
    this.#positions.delete(tokenId);
    this.#cash += paid;
    return formatDec(paid);
  }

  #later<T>(action: (at: number) => T, signal?: AbortSignal): Promise<T> {
    const at = this.#options.now() + this.#options.latencyMs;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      // The action reaches the book even if the caller stops waiting, as a sent order does.
      const run = (when: number) => {
        signal?.removeEventListener("abort", onAbort);
        // Time reaches `when` first (GTD expiry), then the action meets the book.
        this.#emit(this.matcher.advance(when));
        resolve(action(when));
      };
      if (this.#options.latencyMs === 0) return run(at);
      let i = this.#pending.length;
      while (i > 0 && this.#pending[i - 1]!.at > at) i--;
      this.#pending.splice(i, 0, { at, run });
      this.#options.setTimer?.(
        this.#options.latencyMs,
        () => this.advanceTo(Math.max(this.#options.now(), at)),
      );
    });
  }

  /** Runs pending actions due before `at` (and at `at` when `inclusive`). */
  #runDue(at: number, inclusive: boolean): void {
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      if (next.at > at || (!inclusive && next.at === at)) break;
      this.#pending.shift();
      next.run(next.at);
    }
  }

  #place(order: OrderRequest, at: number): SubmitResult {
    const short = this.#shortOf(order);
    if (short !== null) {
      this.#remember(order, at);
      return { ok: false, clientOrderId: order.clientOrderId, error: short, retryable: false };
    }
    const result = this.matcher.submit(order, at);
    if (!result.ok) {
      this.#remember(order, at);
      return {
        ok: false,
        clientOrderId: order.clientOrderId,
        error: result.error,
        retryable: result.retryable,
      };
    }
    this.#byClient.set(order.clientOrderId, result.order.orderId);
    this.#emit(result.events);
    return {
      ok: true,
      orderId: result.order.orderId,
      clientOrderId: order.clientOrderId,
      status: result.order.status,
    };
  }

  #cancel(orderIds: readonly string[], at: number): CancelResult {
    const canceled: string[] = [];
    const notCanceled: Record<string, string> = {};
    for (const orderId of orderIds) {
      const result = this.matcher.cancel(orderId, at);
      if (result.ok) {
        canceled.push(orderId);
        this.#emit(result.events);
      } else notCanceled[orderId] = result.reason;
    }
    return { canceled, notCanceled };
  }

  /** The venue's balance refusal, or null when the order is covered. */
  #shortOf(order: OrderRequest): string | null {
    const size = parseDec(order.size);
    if (order.side === "SELL") {
      return this.#free(order.tokenId) >= size ? null : "not enough balance / allowance";
    }
    let held = ZERO;
    for (const open of this.matcher.openOrders()) {
      if (open.side !== "BUY") continue;
      held += mulDec(
        parseDec(open.price),
        parseDec(open.originalSize) - parseDec(open.sizeMatched),
      );
    }
    return this.#cash - held >= mulDec(parseDec(order.price), size)
      ? null
      : "not enough balance / allowance";
  }

  /** Shares of a token held and not promised to an open SELL. */
  #free(tokenId: string): Dec {
    let free = this.#positions.get(tokenId) ?? ZERO;
    for (const open of this.matcher.openOrders()) {
      if (open.side === "SELL" && open.tokenId === tokenId) {
        free -= parseDec(open.originalSize) - parseDec(open.sizeMatched);
      }
    }
    return free;
  }

  #move(tokenId: string, shares: Dec): void {
    this.#positions.set(tokenId, (this.#positions.get(tokenId) ?? ZERO) + shares);
  }

  #remember(order: OrderRequest, at: number): void {
    this.#refused.set(order.clientOrderId, {
      orderId: "",
      clientOrderId: order.clientOrderId,
      tokenId: order.tokenId,
      side: order.side,
      orderType: order.orderType,
      price: order.price,
      originalSize: order.size,
      sizeMatched: "0",
      status: "REJECTED",
      createdAt: at,
    });
  }

  #emit(events: readonly BrokerEvent[]): void {
    for (const event of events) {
      if (event.kind === "fill") {
        const { fill } = event;
        const size = parseDec(fill.size);
        const notional = mulDec(parseDec(fill.price), size);
        const fee = parseDec(fill.fee);
        if (fill.side === "BUY") {
          this.#move(fill.tokenId, size);
          this.#cash -= notional + fee;
        } else {
          this.#move(fill.tokenId, -size);
          this.#cash += notional - fee;
        }
      }
      for (const listener of this.#listeners) listener(event);
    }
  }
}
