import assert from "node:assert/strict";
import { z } from "zod";
import { parseBatch, parseBatchYielding } from "./batch.ts";

const raw = Array.from({ length: 250 }, (_, i) => (i % 50 === 7 ? "bad" : i));

Deno.test("parseBatchYielding() yields between slices and keeps parseBatch's items and rejects", async () => {
  let yields = 0;
  const batch = await parseBatchYielding(raw, z.number(), "markets", {
    signal: new AbortController().signal,
    sliceItems: 100,
    yieldNow: () => {
      yields++;
      return Promise.resolve();
    },
  });
  // 250 elements in slices of 100: a yield before the second and the third.
  assert.equal(yields, 2);
  assert.deepEqual(batch, parseBatch(raw, z.number(), "markets"));
  assert.equal(batch.rejects.length, 5);
  assert.equal(batch.rejects[1]!.path, "markets[57]");
});

Deno.test("parseBatchYielding() stops at the next slice once the signal aborts", async () => {
  const controller = new AbortController();
  let parsed = 0;
  const counting = z.number().transform((n) => (parsed++, n));
  const reason = new Error("shutdown");
  const run = parseBatchYielding(raw.filter((x) => x !== "bad"), counting, "markets", {
    signal: controller.signal,
    sliceItems: 100,
    yieldNow: () => (controller.abort(reason), Promise.resolve()),
  });
  await assert.rejects(run, (err) => err === reason);
  assert.equal(parsed, 100);
});
