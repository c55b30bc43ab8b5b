/**
 * The one interface every broker implements (issue 29): the paper broker that fills against
 * live or recorded books, and the venue broker that speaks the CLOB's order routes and user
 * channel. Nothing here decides what to trade; an executor hands a broker `OrderRequest`s and
 * books what comes back as `BrokerEvent`s.
 *
 * Prices, sizes, amounts and fees are decimal text, as the venue prints them (`edge/decimal.ts`
 * parses them exactly). Every order carries the caller's `clientOrderId`, recorded before the
 * order is sent: the venue has no idempotency key, so a restart looks an order up by it instead
 * of sending the same intent twice.
 *
 * @example
 * ```ts
 * import type { Broker, OrderRequest } from "./broker.ts";
 * async function buyYes(broker: Broker, tokenId: string) {
 *   const order: OrderRequest = {
 *     clientOrderId: "c-1", tokenId, side: "BUY", orderType: "FOK",
 *     price: "0.52", size: "10", postOnly: false, expiration: null,
 *   };
 *   return await broker.submit(order);
 * }
 * ```
 */

/** BUY takes the token and pays collateral; SELL gives the token. */
export type Side = "BUY" | "SELL";

/** GTC/GTD rest on the book; FOK (all or nothing) and FAK (fill what is there) do not. */
export type OrderType = "GTC" | "GTD" | "FOK" | "FAK";

/** An order as a strategy asks for it, before the venue's arithmetic. */
export interface OrderRequest {
  /** The caller's id, unique per ledger; recorded before the order is sent. */
  readonly clientOrderId: string;
  readonly tokenId: string;
  readonly side: Side;
  readonly orderType: OrderType;
  /** Limit price on the market's tick grid; for FOK/FAK the worst price accepted. */
  readonly price: string;
  /** Shares. (A market BUY worth $X is asked as size = X / price at the worst price.) */
  readonly size: string;
  /** Only with GTC/GTD: rejected instead of crossing. */
  readonly postOnly: boolean;
  /** GTD only: unix seconds; null for every other type. */
  readonly expiration: number | null;
}

/** The venue's order states (`/data/orders`, user channel), plus REJECTED for a refused submit. */
export type OrderStatus =
  | "LIVE"
  | "MATCHED"
  | "CANCELED"
  | "CANCELED_MARKET_RESOLVED"
  | "INVALID"
  | "REJECTED";

/** What a submit returned: accepted (with the broker's order id) or refused, with why. */
export type SubmitResult =
  | {
    readonly ok: true;
    readonly orderId: string;
    readonly clientOrderId: string;
    readonly status: OrderStatus;
    /**
     * Shares matched, when the answer says (the venue's answer to a MATCHED order carries what
     * it gave and got): no look-up is needed for them. Absent when the answer does not say.
     */
    readonly sizeMatched?: string;
  }
  | {
    readonly ok: false;
    readonly clientOrderId: string;
    /** The venue's own error text ("invalid tick size", "not enough balance / allowance"…). */
    readonly error: string;
    /** True when sending again later may succeed (425 maintenance, 429, transport). */
    readonly retryable: boolean;
  };

/** The venue's cancel answer. */
export interface CancelResult {
  readonly canceled: readonly string[];
  /** Order id → reason ("already canceled or matched"). */
  readonly notCanceled: Readonly<Record<string, string>>;
}

/** An order as the broker holds it. */
export interface OpenOrder {
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly tokenId: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly price: string;
  readonly originalSize: string;
  readonly sizeMatched: string;
  readonly status: OrderStatus;
  /** Unix ms. */
  readonly createdAt: number;
}

/** One fill of one of our orders. */
export interface Fill {
  /** Unique per fill (the venue's trade id, or the paper broker's). */
  readonly fillId: string;
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly tokenId: string;
  readonly side: Side;
  readonly price: string;
  readonly size: string;
  /** Collateral paid as fee on this fill (taker only; "0" for a maker fill). */
  readonly fee: string;
  readonly liquidity: "maker" | "taker";
  /** Unix ms of the match. */
  readonly at: number;
}

/** A position the broker (or the venue's Data API) reports. */
export interface Position {
  readonly tokenId: string;
  readonly size: string;
}

/** What a broker tells its listeners, in the order it happened. */
export type BrokerEvent =
  | { readonly kind: "order"; readonly order: OpenOrder; readonly at: number }
  | { readonly kind: "fill"; readonly fill: Fill };

/** Submit, cancel, look up; events for fills and order updates. */
export interface Broker {
  submit(order: OrderRequest, signal?: AbortSignal): Promise<SubmitResult>;
  cancel(orderIds: readonly string[], signal?: AbortSignal): Promise<CancelResult>;
  cancelAll(signal?: AbortSignal): Promise<CancelResult>;
  /** Open (LIVE) orders. */
  openOrders(signal?: AbortSignal): Promise<OpenOrder[]>;
  /** An order by the caller's id, open or not; null when the broker never saw it. */
  orderByClientId(clientOrderId: string, signal?: AbortSignal): Promise<OpenOrder | null>;
  positions(signal?: AbortSignal): Promise<Position[]>;
  /**
   * Our fills matched at or after `sinceMs` (unix ms), oldest first, when the broker keeps a
   * history (the venue's `/data/trades`); `recover` books the ones the ledger lacks.
   */
  fillsSince?(sinceMs: number, signal?: AbortSignal): Promise<Fill[]>;
  /** Registers a listener; returns a function that removes it. */
  onEvent(listener: (event: BrokerEvent) => void): () => void;
}
