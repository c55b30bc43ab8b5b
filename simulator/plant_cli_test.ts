import assert from "node:assert/strict";
import { parsePlantSpec, PLANT_DEFAULTS } from "./plant_cli.ts";

Deno.test("parsePlantSpec() plants the venue's costs by default and defaults the seed to --seed", () => {
  assert.deepEqual(parsePlantSpec("", 4), {
    scenario: { seed: 4, ...PLANT_DEFAULTS },
    delayMs: 3000,
    playOn: "subscribe",
  });
  // Non-zero taker and adapter fees, a 0.001 tick and a depth in hundredths.
  assert.deepEqual(
    [
      PLANT_DEFAULTS.feeRateBp > 0,
      PLANT_DEFAULTS.convertFeeBips > 0,
      PLANT_DEFAULTS.pairTick,
      PLANT_DEFAULTS.depth,
    ],
    [true, true, "0.001", "12.37"],
  );
});

Deno.test("parsePlantSpec() reads every setting", () => {
  assert.deepEqual(
    parsePlantSpec(
      "seed=7, depth=40.5,durations=300/1500,quiet-ms=500,noise-ms=0.5,fee-bp=400," +
        "fee-exponent=2,convert-fee-bips=0,pair-tick=0.01,delay-ms=0,play-on=listen," +
        "max-book-age-ms=2000",
      1,
    ),
    {
      scenario: {
        seed: 7,
        depth: "40.5",
        durationsMs: [300, 1500],
        quietMs: 500,
        noiseMs: 0.5,
        feeRateBp: 400,
        feeExponent: 2,
        convertFeeBips: 0,
        pairTick: "0.01",
        maxBookAgeMs: 2000,
      },
      delayMs: 0,
      playOn: "listen",
    },
  );
});

Deno.test("parsePlantSpec() refuses unknown settings, negatives, fractions and bad values", () => {
  assert.throws(() => parsePlantSpec("bogus=1", 1), /unknown --plant setting "bogus"/);
  assert.throws(() => parsePlantSpec("fee-bp=-1", 1), /fee-bp needs a number/);
  assert.throws(() => parsePlantSpec("seed=1.5", 1), /seed needs a number/);
  assert.throws(() => parsePlantSpec("durations=0", 1), /durations must be > 0/);
  assert.throws(() => parsePlantSpec("depth=1.234", 1), /hundredths/);
  assert.throws(() => parsePlantSpec("depth=0", 1), /depth needs shares > 0/);
  assert.throws(() => parsePlantSpec("pair-tick=0.005", 1), /0.01 or 0.001/);
  assert.throws(() => parsePlantSpec("play-on=later", 1), /subscribe or listen/);
  assert.throws(() => parsePlantSpec("fee-exponent=5", 1), /at most 4/);
});
