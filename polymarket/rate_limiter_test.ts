import assert from "node:assert/strict";
import { createRateLimiter, scaleBudgets } from "./rate_limiter.ts";

function fakeClock() {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
  };
}

const signal = () => AbortSignal.timeout(5000);

Deno.test("acquire() lets a full budget through and then waits for the window to slide", async () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({
    budgets: { "gamma:markets": { limit: 3, windowMs: 1000 } },
    ...clock,
  });
  for (let i = 0; i < 3; i++) await limiter.acquire("gamma:markets", signal());
  assert.deepEqual(clock.slept, []);
  await limiter.acquire("gamma:markets", signal());
  assert.deepEqual(clock.slept, [1000]);
});

Deno.test("acquire() charges the host's general budget too", async () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({
    budgets: { clob: { limit: 2, windowMs: 500 } },
    ...clock,
  });
  await limiter.acquire("clob:book", signal());
  await limiter.acquire("clob:price", signal());
  await limiter.acquire("clob:midpoint", signal());
  assert.deepEqual(clock.slept, [500]);
});

Deno.test("acquire() rejects with the signal's reason when aborted", async () => {
  const limiter = createRateLimiter({ budgets: { data: { limit: 1, windowMs: 60_000 } } });
  await limiter.acquire("data", signal());
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = limiter.acquire("data", controller.signal);
  controller.abort(reason);
  await assert.rejects(pending, (err) => err === reason);
});

Deno.test("scaleBudgets() keeps the window and scales every limit, never below 1", () => {
  const half = scaleBudgets(0.5);
  assert.equal(half["gamma:markets"].limit, 150);
  assert.equal(half["clob:books"].limit, 250);
  assert.equal(half["clob:books"].windowMs, 10_000);
  assert.equal(scaleBudgets(0.0001)["data:trades"].limit, 1);
});
