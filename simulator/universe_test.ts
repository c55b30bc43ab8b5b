import assert from "node:assert/strict";
import { createUniverse } from "./universe.ts";

const MAX_UINT256 = (1n << 256n) - 1n;

Deno.test("createUniverse() token ids are distinct uint256 decimals of 75–78 digits", () => {
  // Seeds 41 and 43 drew ids above 2^256 − 1 before (about 3 in 10 of all ids, any seed).
  for (const seed of [41, 43, 7]) {
    const universe = createUniverse({ seed, markets: 500, now: 1_780_000_000_000 });
    const ids = universe.markets.flatMap((m) => m.tokenIds);
    const lengths = new Set<number>();
    for (const id of ids) {
      assert.match(id, /^[1-9]\d{74,77}$/, `seed ${seed}: ${id}`);
      assert.ok(BigInt(id) <= MAX_UINT256, `seed ${seed}: ${id} is above 2^256 − 1`);
      lengths.add(id.length);
    }
    assert.deepEqual([...lengths].sort(), [75, 76, 77, 78], `seed ${seed}`);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(universe.byToken.size, ids.length);
  }
});

Deno.test("createUniverse() is still the same for the same seed", () => {
  const a = createUniverse({ seed: 41, markets: 50, now: 1_780_000_000_000 });
  const b = createUniverse({ seed: 41, markets: 50, now: 1_780_000_000_000 });
  assert.deepEqual(a.markets.map((m) => m.tokenIds), b.markets.map((m) => m.tokenIds));
});
