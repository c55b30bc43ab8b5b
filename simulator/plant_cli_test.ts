import assert from "node:assert/strict";
import { parsePlantSpec } from "./plant_cli.ts";

Deno.test("parsePlantSpec() reads every setting and defaults the seed to --seed", () => {
  assert.deepEqual(parsePlantSpec("", 4), { scenario: { seed: 4 }, delayMs: 1000 });
  assert.deepEqual(
    parsePlantSpec(
      "seed=7, depth=40,durations=300/1500,noise-ms=0.5,fee-bp=400,delay-ms=0,max-book-age-ms=2000",
      1,
    ),
    {
      scenario: {
        seed: 7,
        depth: 40,
        durationsMs: [300, 1500],
        noiseMs: 0.5,
        feeRateBp: 400,
        maxBookAgeMs: 2000,
      },
      delayMs: 0,
    },
  );
});

Deno.test("parsePlantSpec() refuses unknown settings, negatives, fractions and empty durations", () => {
  assert.throws(() => parsePlantSpec("bogus=1", 1), /unknown --plant setting "bogus"/);
  assert.throws(() => parsePlantSpec("depth=-1", 1), /depth needs a number/);
  assert.throws(() => parsePlantSpec("seed=1.5", 1), /seed needs a number/);
  assert.throws(() => parsePlantSpec("durations=0", 1), /durations must be > 0/);
});
