import assert from "node:assert/strict";
import {
  alignTradeWindow,
  alignWindow,
  chunkWindow,
  fidelityFor,
  newWindow,
  remainingChunks,
} from "./windows.ts";
import { rateBoundMs } from "./estimate.ts";

Deno.test("chunkWindow() stays under the venue's point cap at the market's fidelity", () => {
  const day = 86_400_000;
  const open = chunkWindow(new Date(0), new Date(7 * day), fidelityFor({ closed: false }));
  assert.equal(open.length, 3); // 4000 one-minute points ≈ 66.7 h per request
  assert.equal(open[0]!.to.getTime() - open[0]!.from.getTime(), 4000 * 60_000);
  assert.equal(open.at(-1)!.to.getTime(), 7 * day);
  assert.equal(
    chunkWindow(new Date(0), new Date(365 * day), fidelityFor({ closed: true })).length,
    1,
  );
  assert.deepEqual(chunkWindow(new Date(5), new Date(5), 1), []);
});

Deno.test("newWindow() aligns to whole seconds and resumes from its checkpoint", () => {
  const { startAt, endAt } = alignWindow(new Date(1500), new Date(2001));
  assert.deepEqual([startAt.getTime(), endAt.getTime()], [1000, 3000]);
  const w = newWindow("prices", "123", {
    conditionId: "0xabc",
    startAt: new Date(0),
    endAt: new Date(10 * 4000 * 60_000),
    fidelityMinutes: 1,
    reason: "gap",
  });
  assert.equal(w.key, `prices|123|1970-01-01T00:00:00.000Z|${w.endAt.toISOString()}`);
  assert.equal(remainingChunks(w).length, 10);
  w.doneUntil = new Date(7 * 4000 * 60_000);
  assert.equal(remainingChunks(w).length, 3);
  w.done = true;
  assert.equal(remainingChunks(w).length, 0);
});

Deno.test("a trades window holds the venue seconds of both its ends, even an end on a whole second", () => {
  const at = (startMs: number, endMs: number) => {
    const w = alignTradeWindow(new Date(startMs), new Date(endMs));
    return [w.startAt.getTime(), w.endAt.getTime()];
  };
  // A stop at 5.000 s and a start at 9.000 s: a fill stamped 5 or 9 may or may not be stored.
  assert.deepEqual(at(5000, 9000), [5000, 10_000]);
  assert.deepEqual(at(5400, 8999), [5000, 9000]);
  assert.deepEqual(at(5400, 5400), [5000, 6000]);
  const w = newWindow("trades", "123", {
    conditionId: "0xabc",
    startAt: new Date(5000),
    endAt: new Date(9000),
    fidelityMinutes: 1,
    reason: "gap",
  });
  assert.equal(w.endAt.getTime(), 10_000);
  assert.equal(w.fidelityMinutes, 0);
});

Deno.test("rateBoundMs() counts whole windows after the first burst", () => {
  assert.equal(rateBoundMs(0, { limit: 10, windowMs: 1000 }), 0);
  assert.equal(rateBoundMs(10, { limit: 10, windowMs: 1000 }), 0);
  assert.equal(rateBoundMs(11, { limit: 10, windowMs: 1000 }), 1000);
  assert.equal(rateBoundMs(25, { limit: 10, windowMs: 10_000 }), 20_000);
});
