import assert from "node:assert/strict";
import { classifyDbError } from "./error_kind.ts";

const coded = (code: string) => Object.assign(new Error(`failed (${code})`), { code });

Deno.test("classifyDbError() calls refused, reset, closed and shutdown connections down", () => {
  for (
    const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "CONNECTION_ENDED",
      "CONNECTION_CLOSED",
      "CONNECTION_DESTROYED",
      "CONNECT_TIMEOUT",
      "08006",
      "08001",
      "57P01",
      "57P03",
    ]
  ) assert.equal(classifyDbError(coded(code)), "connection", code);
});

Deno.test("classifyDbError() calls rows the server refused data errors", () => {
  // NUL byte, numeric overflow, bad numeric text, not-null, string too long, index row too big.
  for (const code of ["22021", "22003", "22P02", "23502", "22001", "54000", "42804"]) {
    assert.equal(classifyDbError(coded(code)), "data", code);
  }
  assert.equal(classifyDbError(new RangeError("Invalid time value")), "data");
  assert.equal(classifyDbError(new TypeError("r.ts is null")), "data");
});

Deno.test("classifyDbError() leaves timeouts, deadlocks and non-errors unknown", () => {
  assert.equal(
    classifyDbError(new Error("Cannot write trades: no answer within 10000 ms")),
    "unknown",
  );
  assert.equal(classifyDbError(coded("40P01")), "unknown");
  assert.equal(classifyDbError(coded("SOMETHING")), "unknown");
  assert.equal(classifyDbError("22021"), "unknown");
  assert.equal(classifyDbError(undefined), "unknown");
});
