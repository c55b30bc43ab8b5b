import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { submitVerdict } from "./_venue_answers.ts";

const order = { clientOrderId: "c-1", orderId: "0xAB", side: "BUY" } as const;
const answer = (status: number, json: unknown, retryAfterMs: number | null = null) => ({
  status,
  json,
  retryAfterMs,
});
const PLACED = {
  success: true,
  errorMsg: "",
  orderID: "0xab",
  status: "matched",
  makingAmount: "5",
  takingAmount: "10",
  transactionsHashes: [],
  tradeIDs: ["t-1"],
};

Deno.test("submitVerdict() accepts a placed order under the hash we signed", () => {
  assertEquals(submitVerdict(answer(200, PLACED), order), {
    kind: "result",
    result: {
      ok: true,
      orderId: "0xAB",
      clientOrderId: "c-1",
      status: "MATCHED",
      sizeMatched: "10",
    },
  });
  const delayed = submitVerdict(answer(200, { ...PLACED, status: "delayed" }), order);
  assertEquals(delayed.kind === "result" && delayed.result.ok && delayed.result.status, "LIVE");
  const other = submitVerdict(answer(200, { ...PLACED, orderID: "0xcd" }), order);
  assertEquals(other.kind === "result" && other.otherId, "0xcd");
});

Deno.test("submitVerdict() reads a matched order's shares from the side it gave or took", () => {
  // A BUY takes the shares (it gave 5 of collateral for 10); a SELL gives them.
  const sell = submitVerdict(answer(200, PLACED), { ...order, side: "SELL" });
  assertEquals(sell.kind === "result" && sell.result.ok && sell.result.sizeMatched, "5");
  // Not matched yet, or the amounts absent or unreadable: nothing said, the order is looked up.
  for (
    const json of [
      { ...PLACED, status: "live" },
      { ...PLACED, takingAmount: undefined },
      { ...PLACED, takingAmount: "" },
      { ...PLACED, takingAmount: "ten" },
    ]
  ) {
    const verdict = submitVerdict(answer(200, json), order);
    assertEquals(verdict.kind === "result" && verdict.result.ok, true);
    assertEquals(verdict.kind === "result" && "sizeMatched" in verdict.result, false);
  }
});

Deno.test("submitVerdict() refuses with the venue's text; 425 and 429 are retryable", () => {
  const refusal = (error: string, retryable = false) => ({
    kind: "result",
    result: { ok: false, clientOrderId: "c-1", error, retryable },
  });
  assertEquals(
    submitVerdict(answer(400, { error: "not enough balance / allowance" }), order),
    refusal("not enough balance / allowance"),
  );
  assertEquals(
    submitVerdict(answer(200, { ...PLACED, success: false, errorMsg: "no match" }), order),
    refusal("no match"),
  );
  assertEquals(
    submitVerdict(answer(200, { ...PLACED, orderID: "", errorMsg: "halted" }), order),
    refusal("halted"),
  );
  assertEquals(
    submitVerdict(answer(401, { error: "Unauthorized/Invalid api key" }), order),
    refusal("Unauthorized/Invalid api key"),
  );
  assertEquals(
    submitVerdict(answer(404, null), order),
    refusal("Cannot POST /order: HTTP 404"),
  );
  assertEquals(
    submitVerdict(answer(429, { error: "Too Many Requests" }, 2000), order),
    refusal("Cannot POST /order: HTTP 429: Too Many Requests (retry after 2000 ms)", true),
  );
  assertEquals(
    submitVerdict(answer(425, null), order),
    refusal("Cannot POST /order: HTTP 425", true),
  );
});

Deno.test("submitVerdict() looks a duplicate up and leaves a 5xx or unreadable 2xx unknown", () => {
  const dup = "order is invalid. Duplicated. Same order has already been placed";
  assertEquals(submitVerdict(answer(400, { error: dup }), order), {
    kind: "duplicate",
    error: dup,
  });
  for (const a of [answer(503, { error: "upstream" }), answer(200, "<html>"), answer(200, null)]) {
    const verdict = submitVerdict(a, order);
    ok(verdict.kind === "unknown", JSON.stringify(a));
  }
});
