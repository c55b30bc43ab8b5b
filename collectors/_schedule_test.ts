import assert from "node:assert/strict";
import { createLogger } from "../runtime/log.ts";
import { nextBoundary, runOnSchedule } from "./_schedule.ts";

Deno.test("nextBoundary() is the next multiple of the interval, strictly after now", () => {
  assert.equal(nextBoundary(0, 60_000), 60_000);
  assert.equal(nextBoundary(59_999, 60_000), 60_000);
  assert.equal(nextBoundary(60_000, 60_000), 120_000);
  assert.equal(nextBoundary(1_786_258_812_345, 60_000), 1_786_258_860_000);
});

Deno.test("runOnSchedule() skips a boundary while a cycle runs and rethrows the abort", async () => {
  const offset = 777_777; // the injected clock, not Date.now, decides the slots
  const now = () => Date.now() + offset;
  const slots: number[] = [];
  const skipped: number[] = [];
  const controller = new AbortController();
  const reason = new Error("stop");
  const done = runOnSchedule({
    task: "t",
    intervalMs: 40,
    deadlineMs: 1_000,
    now,
    log: createLogger({}, { write: () => {} }),
    cycle: async (slot) => {
      slots.push(slot.getTime());
      if (slots.length === 1) await new Promise((r) => setTimeout(r, 100));
      if (slots.length === 2) controller.abort(reason);
    },
    onOverlap: (slot) => {
      skipped.push(slot.getTime());
      return Promise.resolve();
    },
  }, controller.signal);
  await assert.rejects(done, (err) => err === reason);
  assert.ok(slots.every((s) => s % 40 === 0));
  assert.ok(skipped.length >= 1 && skipped.every((s) => s > slots[0]! && s < slots[1]!));
});
