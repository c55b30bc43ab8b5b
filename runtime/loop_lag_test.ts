import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createMetrics } from "./_metrics.ts";
import { LoopLag, runLoopLagSampler } from "./loop_lag.ts";

Deno.test("LoopLag keeps the worst lag since start and per window", () => {
  const lag = new LoopLag();
  for (const ms of [3, -2, 40, 7]) lag.record(ms);
  assert.equal(lag.takeWindow(), 40);
  lag.record(12);
  assert.equal(lag.takeWindow(), 12);
  assert.equal(lag.takeWindow(), 0);
  assert.equal(lag.worstMs, 40);
  assert.equal(lag.samples, 5);
});

Deno.test("runLoopLagSampler() sees a loop blocked for 300 ms and exposes it in the metrics", async () => {
  const lag = new LoopLag();
  const metrics = createMetrics();
  const controller = new AbortController();
  const sampling = runLoopLagSampler(lag, { signal: controller.signal, intervalMs: 20, metrics });
  await sleep(60);
  const start = performance.now();
  while (performance.now() - start < 300) {
    // hold the event loop as a big synchronous write would
  }
  await sleep(60);
  controller.abort();
  await sampling;
  // The tick due during the block ran at least (300 - 20) ms late.
  assert.ok(lag.worstMs >= 280, `worst ${lag.worstMs} ms`);
  const text = metrics.render();
  const max = Number(/^pmcollect_event_loop_lag_max_seconds (\S+)$/m.exec(text)?.[1]);
  assert.ok(max >= 0.28, text);
  assert.match(text, /pmcollect_event_loop_lag_seconds_count \d+/);
});
