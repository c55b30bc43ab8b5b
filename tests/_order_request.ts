/**
 * An order request for the ledger's tests: a FOK BUY of 10 shares at 0.52 of `tok-yes`, with
 * the fields a test cares about overridden.
 *
 * @example
 * ```ts
 * import { orderRequest } from "./_order_request.ts";
 * orderRequest("c-1", { orderType: "GTC" }).price; // "0.52"
 * ```
 */
import type { OrderRequest } from "../execution/broker.ts";

export function orderRequest(
  clientOrderId: string,
  overrides: Partial<OrderRequest> = {},
): OrderRequest {
  return {
    clientOrderId,
    tokenId: "tok-yes",
    side: "BUY",
    orderType: "FOK",
    price: "0.52",
    size: "10",
    postOnly: false,
    expiration: null,
    ...overrides,
  };
}
