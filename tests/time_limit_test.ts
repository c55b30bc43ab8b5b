import assert from "node:assert/strict";
import { timeLimit } from "./_time_limit.ts";

Deno.test("timeLimit() fails a test that never settles, and aborts its signal", async () => {
  let seen: AbortSignal | null = null;
  const started = performance.now();
  await assert.rejects(
    timeLimit(50, (signal) => {
      seen = signal;
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    })(),
    /did not finish within its 50 ms limit/,
  );
  assert.ok(performance.now() - started < 5_000);
  assert.equal((seen as AbortSignal | null)?.aborted, true);
});

Deno.test("timeLimit() passes a body's own result and failure through", async () => {
  await timeLimit(5_000, async () => {})();
  await assert.rejects(
    timeLimit(5_000, () => Promise.reject(new Error("boom")))(),
    /boom/,
  );
});
