/**
 * A broker that keeps its orders in memory, for the ledger's tests: a test double of this
 * project's own `Broker` interface (execution/broker.ts), not of Postgres, fetch or WebSocket.
 * It can be told to "crash" at chosen points of a submit: before it takes the order (the call
 * throws, nothing is held), after it took it (the order is held, the call throws: the answer was
 * lost), or after it filled it. FOK/FAK orders fill at once at their limit price; GTC/GTD rest
 * until `fillResting`. It counts submits, so a test can tell a look-up from a re-send.
 */
import type {
  Broker,
  BrokerEvent,
  CancelResult,
  Fill,
  OpenOrder,
  OrderRequest,
  Position,
  SubmitResult,
} from "../execution/broker.ts";
import { formatDec, mulDec, parseDec } from "../edge/decimal.ts";

export type CrashPoint = "none" | "before_accept" | "after_accept";

export class MemoryBroker implements Broker {
  /** Every submit call, including the ones that "crashed". */
  submits = 0;
  crash: CrashPoint = "none";
  /** When true, fills are held in the history but no event is emitted (the process was dead). */
  silent = false;
  readonly #orders = new Map<string, OpenOrder>();
  readonly #fills: Fill[] = [];
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  #next = 1;
  readonly #now: () => number;

  constructor(options: { readonly now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  submit(order: OrderRequest): Promise<SubmitResult> {
    this.submits++;
    if (this.crash === "before_accept") return Promise.reject(new Error("connection reset"));
    if ([...this.#orders.values()].some((o) => o.clientOrderId === order.clientOrderId)) {
      return Promise.resolve({
        ok: false,
        clientOrderId: order.clientOrderId,
        error: "duplicate client order id",
        retryable: false,
      });
    }
    const orderId = `m-${this.#next++}`;
    const held: OpenOrder = {
      orderId,
      clientOrderId: order.clientOrderId,
      tokenId: order.tokenId,
      side: order.side,
      orderType: order.orderType,
      price: order.price,
      originalSize: order.size,
      sizeMatched: "0",
      status: "LIVE",
      createdAt: this.#now(),
    };
    this.#orders.set(orderId, held);
    this.#emit({ kind: "order", order: held, at: this.#now() });
    if (order.orderType === "FOK" || order.orderType === "FAK") {
      this.fillResting(orderId, order.size);
    }
    if (this.crash === "after_accept") return Promise.reject(new Error("socket hang up"));
    const now = this.#orders.get(orderId)!;
    return Promise.resolve({
      ok: true,
      orderId,
      clientOrderId: order.clientOrderId,
      status: now.status,
    });
  }

  /** Fills `size` of a held order at its limit price (a taker fill with a 1 % fee). */
  fillResting(orderId: string, size: string): Fill {
    const order = this.#orders.get(orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    const matched = parseDec(order.sizeMatched) + parseDec(size);
    const fill: Fill = {
      fillId: `f-${this.#next++}`,
      orderId,
      clientOrderId: order.clientOrderId,
      tokenId: order.tokenId,
      side: order.side,
      price: order.price,
      size,
      fee: formatDec(mulDec(mulDec(parseDec(order.price), parseDec(size)), parseDec("0.01"))),
      liquidity: "taker",
      at: this.#now(),
    };
    const updated: OpenOrder = {
      ...order,
      sizeMatched: formatDec(matched),
      status: matched >= parseDec(order.originalSize) ? "MATCHED" : "LIVE",
    };
    this.#orders.set(orderId, updated);
    this.#fills.push(fill);
    this.#emit({ kind: "fill", fill });
    this.#emit({ kind: "order", order: updated, at: this.#now() });
    return fill;
  }

  /** Adds a holding the ledger knows nothing of (a transfer in, a manual trade). */
  foreignFill(tokenId: string, size: string): void {
    this.#fills.push({
      fillId: `x-${this.#next++}`,
      orderId: "foreign",
      clientOrderId: null,
      tokenId,
      side: "BUY",
      price: "0.5",
      size,
      fee: "0",
      liquidity: "maker",
      at: this.#now(),
    });
  }

  cancel(orderIds: readonly string[]): Promise<CancelResult> {
    const canceled: string[] = [];
    const notCanceled: Record<string, string> = {};
    for (const id of orderIds) {
      const order = this.#orders.get(id);
      if (order?.status !== "LIVE") {
        notCanceled[id] = "already canceled or matched";
        continue;
      }
      const updated = { ...order, status: "CANCELED" as const };
      this.#orders.set(id, updated);
      canceled.push(id);
      this.#emit({ kind: "order", order: updated, at: this.#now() });
    }
    return Promise.resolve({ canceled, notCanceled });
  }

  cancelAll(): Promise<CancelResult> {
    return this.cancel(
      [...this.#orders.values()].filter((o) => o.status === "LIVE").map((o) => o.orderId),
    );
  }

  openOrders(): Promise<OpenOrder[]> {
    return Promise.resolve([...this.#orders.values()].filter((o) => o.status === "LIVE"));
  }

  orderByClientId(clientOrderId: string): Promise<OpenOrder | null> {
    const order = [...this.#orders.values()].find((o) => o.clientOrderId === clientOrderId);
    return Promise.resolve(order ?? null);
  }

  positions(): Promise<Position[]> {
    const held = new Map<string, bigint>();
    for (const f of this.#fills) {
      const q = parseDec(f.size);
      held.set(f.tokenId, (held.get(f.tokenId) ?? 0n) + (f.side === "BUY" ? q : -q));
    }
    return Promise.resolve(
      [...held].filter(([, q]) => q !== 0n).map(([tokenId, q]) => ({
        tokenId,
        size: formatDec(q),
      })),
    );
  }

  /** The fill history (`FillHistory` of execution/recover.ts). */
  fillsSince(sinceMs: number): Promise<Fill[]> {
    return Promise.resolve(this.#fills.filter((f) => f.at >= sinceMs && f.orderId !== "foreign"));
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: BrokerEvent): void {
    if (this.silent) return;
    for (const listener of this.#listeners) listener(event);
  }
}
