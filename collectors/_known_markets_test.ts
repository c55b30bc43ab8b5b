import assert from "node:assert/strict";
import { KnownMarketRecord } from "./_known_markets.ts";

Deno.test("KnownMarketRecord starts empty every fullEvery-th walk and keeps records in between", () => {
  const known = new KnownMarketRecord<string>({ fullEvery: 3 });
  const held: number[] = [];
  for (let walk = 0; walk < 7; walk++) {
    known.startWalk();
    held.push(known.size);
    known.record(`m${walk}`, walk, "v");
  }
  assert.deepEqual(held, [0, 1, 2, 0, 1, 2, 0]);
  assert.equal(known.printOf("m6"), 6);
  assert.equal(known.get("m6"), "v");
  known.forget("m6");
  assert.equal(known.printOf("m6"), undefined);
  assert.throws(() => new KnownMarketRecord({ fullEvery: 0 }), RangeError);
});
