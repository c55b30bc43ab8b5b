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
import { formatDec } from "../edge/decimal.ts";
import { type ConversionRequest, type ConversionResult, PaperAccount } from "./_paper_account.ts";

export type { ConversionRequest, ConversionResult };

export interface PaperBrokerOptions {
  /** The clock (unix ms): the replay's event time, or the wall clock live. */
  readonly now: () => number;
  /** How long after a submit or cancel it reaches the book. */
  readonly latencyMs: number;
  /** Starting collateral. */
  readonly cash: string;
  /** Shares held at the start (live paper seeds them from the ledger after a restart). */
  readonly holdings?: readonly Position[];
  readonly feeOf: MatcherOptions["feeOf"];
  readonly queue?: QueueModel;
  /** Order rules (tick, minimum size…): an error text refuses the order; default accepts. */
  readonly validate?: (order: OrderRequest) => string | null;
  /** Live: calls `run` after `ms` (e.g. setTimeout). Without it, only events and `advanceTo` move time. */
  readonly setTimer?: (ms: number, run: () => void) => void;
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
  readonly #account: PaperAccount;
  readonly #byClient = new Map<string, string>();
  readonly #refused = new Map<string, OpenOrder>();

  constructor(options: PaperBrokerOptions) {
    if (!Number.isFinite(options.latencyMs) || options.latencyMs < 0) {
      throw new RangeError(`latencyMs must be ≥ 0, not ${options.latencyMs}`);
    }
    this.#options = options;
    this.#account = new PaperAccount(options.cash);
    for (const h of options.holdings ?? []) this.#account.seed(h.tokenId, h.size);
    this.matcher = new PaperMatcher({ feeOf: options.feeOf, queue: options.queue });
  }

  submit(order: OrderRequest, signal?: AbortSignal): Promise<SubmitResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
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
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.#later((at) => this.#cancel(orderIds, at), signal);
  }

  cancelAll(signal?: AbortSignal): Promise<CancelResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
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
    return Promise.resolve(this.#account.positions());
  }

  /** Collateral held now. */
  cash(): string {
    return formatDec(this.#account.cash);
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

  /** Books a neg-risk conversion (`PaperAccount.convert`): NO of S in, collateral and YES out. */
  convert(request: ConversionRequest): ConversionResult {
    return this.#account.convert(request, this.matcher.openOrders());
  }

  /** Books the redemption of a resolved token at `payout` a share; returns the collateral. */
  redeem(tokenId: string, payout: string): string {
    return this.#account.redeem(tokenId, payout);
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
    const short = this.#account.shortOf(order, this.matcher.openOrders());
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
      if (event.kind === "fill") this.#account.book(event.fill);
      for (const listener of this.#listeners) listener(event);
    }
  }
}
