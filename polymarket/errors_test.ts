import assert from "node:assert/strict";
import {
  ConnectionLostError,
  HttpStatusError,
  isRetryable,
  RateLimitError,
  TransportError,
  UnexpectedResponseError,
} from "./errors.ts";

Deno.test("isRetryable() separates transient from fatal errors", () => {
  const status = (s: number) =>
    new HttpStatusError(`Cannot fetch x: HTTP ${s}`, { status: s, endpoint: "/x" });
  assert.equal(isRetryable(new TransportError("t", { endpoint: "/x" })), true);
  assert.equal(isRetryable(new RateLimitError("r", { endpoint: "/x" })), true);
  assert.equal(isRetryable(new ConnectionLostError("c", { code: 1006, reason: "" })), true);
  assert.equal(isRetryable(status(503)), true);
  assert.equal(isRetryable(status(425)), true);
  assert.equal(isRetryable(status(429)), true);
  assert.equal(isRetryable(status(404)), false);
  assert.equal(isRetryable(new UnexpectedResponseError("u", { endpoint: "/x" })), false);
  assert.equal(isRetryable(new Error("plain")), false);
});

Deno.test("HttpStatusError keeps name, cause and structured fields", () => {
  const cause = new Error("inner");
  const err = new HttpStatusError("Cannot fetch markets page: HTTP 503", {
    status: 503,
    endpoint: "/markets/keyset",
    retryAfterMs: 1000,
    cause,
  });
  assert.equal(err.name, "HttpStatusError");
  assert.equal(err.cause, cause);
  assert.equal(err.retryAfterMs, 1000);
  assert.equal(err.endpoint, "/markets/keyset");
});
