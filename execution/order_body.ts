/**
 * The exact JSON text of `POST /order` and `POST /orders` (polymarket-api.md §4.3), byte for
 * byte as `@polymarket/clob-client-v2` 1.1.0 sends it (`orderToJsonV2` then `JSON.stringify`):
 * `deferExec`, `postOnly`, then the order (salt as a JSON number; tokenId, amounts, timestamp
 * and expiration as decimal strings; side "BUY"/"SELL"; signatureType as a number; no `taker`
 * field in V2), then `owner` (the API key) and `orderType`. The same text is what the L2 HMAC
 * signs, so it must be sent exactly as returned.
 *
 * @example
 * ```ts
 * import { orderBody } from "./order_body.ts";
 * import type { SignedOrder } from "./sign_order.ts";
 * declare const order: SignedOrder;
 * const body = orderBody({ order, orderType: "GTC", postOnly: false }, "api-key-uuid");
 * // '{"deferExec":false,"postOnly":false,"order":{"salt":…},"owner":"api-key-uuid","orderType":"GTC"}'
 * ```
 */
import type { OrderType } from "./broker.ts";
import type { SignedOrder } from "./sign_order.ts";

/** The most orders one `POST /orders` takes. */
export const MAX_BATCH_ORDERS = 15;

/** One signed order with how it is to be posted. */
export interface OrderPost {
  readonly order: SignedOrder;
  readonly orderType: OrderType;
  readonly postOnly: boolean;
  /** The venue's deferred execution flag; false unless asked for. */
  readonly deferExec?: boolean;
}

/**
 * The body of `POST /order`; `owner` is the L2 API key.
 * @throws {RangeError} when post-only is asked for a FOK/FAK order or the salt is not an exact
 * JSON number.
 */
export function orderBody(post: OrderPost, owner: string): string {
  return JSON.stringify(payload(post, owner));
}

/**
 * The body of `POST /orders`: 1 to 15 orders.
 * @throws {RangeError} for an empty batch or more than 15 orders.
 */
export function ordersBody(posts: readonly OrderPost[], owner: string): string {
  if (posts.length === 0 || posts.length > MAX_BATCH_ORDERS) {
    throw new RangeError(`A batch holds 1 to ${MAX_BATCH_ORDERS} orders, not ${posts.length}`);
  }
  return JSON.stringify(posts.map((post) => payload(post, owner)));
}

function payload(post: OrderPost, owner: string) {
  const { order, orderType, postOnly } = post;
  if (postOnly && orderType !== "GTC" && orderType !== "GTD") {
    throw new RangeError("postOnly is not supported for FOK/FAK orders");
  }
  if (order.salt > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError("The salt does not fit a JSON number exactly (max 2^53 - 1)");
  }
  return {
    deferExec: post.deferExec ?? false,
    postOnly,
    order: {
      salt: Number(order.salt),
      maker: order.maker,
      signer: order.signer,
      tokenId: order.tokenId.toString(),
      makerAmount: order.makerAmount.toString(),
      takerAmount: order.takerAmount.toString(),
      side: order.side,
      signatureType: order.signatureType,
      timestamp: order.timestamp.toString(),
      expiration: String(order.expiration),
      metadata: order.metadata,
      builder: order.builder,
      signature: order.signature,
    },
    owner,
    orderType,
  };
}
