import assert from "node:assert/strict";
import {
  adapterFeeOf,
  fillCost,
  formatHundredths,
  formatMills,
  parseHundredths,
  plannedProfit,
  takerFeeOf,
} from "./plant_profit.ts";

const fee = { rateBp: 200, exponent: 1 };

Deno.test("takerFeeOf() floors shares × rate × p(1 − p) to 1e-5 per fill", () => {
  // 12.37 × 0.02 × 0.469 × 0.531 = 0.0616122486: floored to 0.06161.
  assert.equal(takerFeeOf(1237n, 469, fee), 6_161_000n);
  // Exponent 2: 12.37 × 0.02 × (0.249039)^2 = 0.0153438…: 0.01534.
  assert.equal(takerFeeOf(1237n, 469, { rateBp: 200, exponent: 2 }), 1_534_000n);
  assert.equal(takerFeeOf(1237n, 469, { rateBp: 0, exponent: 1 }), 0n);
});

Deno.test("fillCost() adds the exact notional to the floored fee", () => {
  // 12.37 × 0.469 = 5.80153, fee 0.06161.
  assert.equal(fillCost(1237n, 469, fee), 586_314_000n);
});

Deno.test("adapterFeeOf() takes feeBips of the collateral, floored to 1e-6", () => {
  // 3 × 12.37 = 37.11 collateral × 10 / 10,000 = 0.03711.
  assert.equal(adapterFeeOf(3_711_000_000n, 10), 3_711_000n);
  // 0.000123 × 10 bips = 0.000000123: floored to 0.
  assert.equal(adapterFeeOf(12_300n, 10), 0n);
});

Deno.test("plannedProfit() of an implication and a conversion, worked by hand", () => {
  // NO of A at 0.469 and YES of B at 0.519, 12.37 each, paying 12.37:
  // 12.37 − (5.80153 + 0.06161) − (6.42003 + 0.06176) = 0.02507.
  assert.equal(
    plannedProfit({
      sharesH: 1237n,
      payoutPerShare: 1n,
      mills: [469, 519],
      fee,
      convertFeeBips: 0,
    }),
    2_507_000n,
  );
  // Four NO at 0.69/0.74/0.79/0.74 (fair 0.30/0.25/0.20/0.25 + 1¢), 10 each, adapter fee 10 bips:
  // payout 30 − 0.03 = 29.97; notional 29.6; fees 0.04278 + 0.03848 + 0.03318 + 0.03848.
  assert.equal(
    plannedProfit({
      sharesH: 1000n,
      payoutPerShare: 3n,
      mills: [690, 740, 790, 740],
      fee,
      convertFeeBips: 10,
    }),
    21_708_000n,
  );
});

Deno.test("hundredths and mills read and print as decimal text", () => {
  assert.equal(parseHundredths("12.37"), 1237n);
  assert.equal(parseHundredths("100"), 10_000n);
  assert.equal(parseHundredths("0.5"), 50n);
  assert.throws(() => parseHundredths("1.234"), RangeError);
  assert.equal(formatHundredths(1237n), "12.37");
  assert.equal(formatHundredths(10_000n), "100");
  assert.equal(formatMills(531), "0.531");
  assert.equal(formatMills(500), "0.5");
  assert.equal(formatMills(1000), "1");
});
