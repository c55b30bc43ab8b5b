/**
 * What the venue's answer to `POST /order` means (pure; docs/execution.md, "Venue broker"):
 * a result to hand back, a duplicate to look up, or an outcome nobody knows (throw, so that the
 * ledger keeps the intent pending for `recover`).
 *
 * | Answer                                      | Verdict                                      |
 * | ------------------------------------------- | -------------------------------------------- |
 * | 2xx `success` with an order id              | accepted, under the hash we signed; matched: |
 * |                                             | the shares it matched (BUY: taking, SELL:    |
 * |                                             | making amount), when the answer has them     |
 * | 2xx `success: false`, or no id and a reason | refused with the venue's text                |
 * | 4xx `{error}` (any other 4xx body too)      | refused; 425 and 429 retryable               |
 * | 400 "Duplicated"                            | the same signed order is there: look it up   |
 * | 5xx, or a 2xx nobody can read               | unknown: it may have been placed             |
 *
 * @example
 * ```ts ignore
 * const verdict = submitVerdict(answer, { clientOrderId: "c-1", orderId: "0xabc…", side: "BUY" });
 * ```
 */
import { UnexpectedResponseError } from "../polymarket/errors.ts";
import { parsePostOrderAnswer } from "../polymarket/trading_schema.ts";
import type { Side, SubmitResult } from "./broker.ts";
import { orderStatusOf } from "./_venue_fills.ts";
import { statusError, type VenueAnswer } from "./_venue_http.ts";

/** What to do with an answer. */
export type SubmitVerdict =
  | {
    readonly kind: "result";
    readonly result: SubmitResult;
    /** The id the venue answered when it is not the hash we signed (it should never be). */
    readonly otherId?: string;
  }
  | { readonly kind: "duplicate"; readonly error: string }
  | { readonly kind: "unknown"; readonly error: Error };

const POST_ORDER = { method: "POST", path: "/order" } as const;

/** Reads one `POST /order` answer for the order `orderId` (the signed hash). */
export function submitVerdict(
  answer: VenueAnswer,
  order: { readonly clientOrderId: string; readonly orderId: string; readonly side: Side },
): SubmitVerdict {
  const { clientOrderId, orderId } = order;
  const refused = (error: string, retryable = false): SubmitVerdict => ({
    kind: "result",
    result: { ok: false, clientOrderId, error, retryable },
  });
  if (answer.status >= 500) return { kind: "unknown", error: statusError(POST_ORDER, answer) };
  if (answer.status === 425 || answer.status === 429) {
    const wait = answer.retryAfterMs === null ? "" : ` (retry after ${answer.retryAfterMs} ms)`;
    return refused(`${statusError(POST_ORDER, answer).message}${wait}`, true);
  }
  const ok2xx = answer.status >= 200 && answer.status < 300;
  const parsed = parsePostOrderAnswer(answer.json);
  if (!parsed.success) {
    if (!ok2xx) return refused(statusError(POST_ORDER, answer).message);
    return {
      kind: "unknown",
      error: new UnexpectedResponseError("Cannot read the order answer: bad shape", {
        endpoint: "/order",
        cause: parsed.error,
      }),
    };
  }
  const a = parsed.data;
  if (a.kind === "error" || !ok2xx) {
    const error = a.kind === "error" ? a.error : statusError(POST_ORDER, answer).message;
    return error.includes("Duplicated") ? { kind: "duplicate", error } : refused(error);
  }
  if (!a.success || (a.orderId === "" && a.errorMsg !== "")) {
    return refused(a.errorMsg === "" ? "refused without a reason" : a.errorMsg);
  }
  const status = orderStatusOf(a.status) ?? "LIVE";
  // A BUY gives collateral and takes shares; a SELL gives shares.
  const shares = order.side === "BUY" ? a.takingAmount : a.makingAmount;
  const result: SubmitResult = status === "MATCHED" && shares !== null
    ? { ok: true, orderId, clientOrderId, status, sizeMatched: shares }
    : { ok: true, orderId, clientOrderId, status };
  const differs = a.orderId !== "" && a.orderId.toLowerCase() !== orderId.toLowerCase();
  return differs ? { kind: "result", result, otherId: a.orderId } : { kind: "result", result };
}
