import assert from "node:assert/strict";
import { DueHeap } from "./_due_heap.ts";

Deno.test("DueHeap pops entries earliest first, whatever the push order", () => {
  let seed = 11;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const heap = new DueHeap();
  const ats = Array.from({ length: 500 }, () => Math.floor(random() * 1000));
  ats.forEach((at, i) => heap.push(at, `k${i}`));
  assert.equal(heap.size, 500);
  const popped: number[] = [];
  // Interleave: pop half, push more, pop the rest.
  for (let i = 0; i < 250; i++) popped.push(heap.pop()!.at);
  for (let i = 0; i < 100; i++) heap.push(1000 + i, `late${i}`);
  while (heap.size > 0) popped.push(heap.pop()!.at);
  assert.deepEqual(
    popped,
    [...ats, ...Array.from({ length: 100 }, (_, i) => 1000 + i)].sort((a, b) => a - b),
  );
  assert.equal(heap.peekAt(), Infinity);
  assert.equal(heap.pop(), undefined);
});
