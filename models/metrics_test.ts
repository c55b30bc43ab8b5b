import assert from "node:assert/strict";
import { brierScore, logLoss, scoreForecasts } from "./metrics.ts";
import { assertClose } from "./_assert_close.ts";

Deno.test("scoreForecasts() matches a hand-computed case with one forecast per bin", () => {
  const s = scoreForecasts([0.1, 0.9, 0.8], [0, 1, 0]);
  assertClose(s.brier, (0.01 + 0.01 + 0.64) / 3);
  assertClose(s.logLoss, -(Math.log(0.9) + Math.log(0.9) + Math.log(0.2)) / 3);
  // Bins 1, 8 and 9 each hold one forecast: |p − y| = 0.1, 0.8, 0.1.
  assertClose(s.ece, 1 / 3);
  assertClose(s.reliability, 0.22);
  assertClose(s.resolution, ((1 / 3) ** 2 + (2 / 3) ** 2 + (1 / 3) ** 2) / 3);
  assertClose(s.uncertainty, 2 / 9);
  assertClose(s.remainder, 0);
  assert.equal(s.bins.filter((b) => b.n > 0).length, 3);
});

Deno.test("scoreForecasts() reports the within-bin remainder when a bin holds unequal forecasts", () => {
  const s = scoreForecasts([0.62, 0.68], [1, 0]);
  assertClose(s.brier, (0.38 ** 2 + 0.68 ** 2) / 2);
  assertClose(s.reliability, 0.15 ** 2);
  assertClose(s.resolution, 0);
  assertClose(s.uncertainty, 0.25);
  // Within-bin variance 0.0009 minus twice the covariance −0.015.
  assertClose(s.remainder, 0.0009 + 0.03);
  assertClose(s.ece, 0.15);
});

Deno.test("scoreForecasts() puts a forecast of exactly 1 into the last bin", () => {
  const s = scoreForecasts([1, 0], [1, 0], { bins: 4 });
  assert.equal(s.bins[3].n, 1);
  assert.equal(s.bins[0].n, 1);
  assertClose(s.brier, 0);
  assertClose(s.ece, 0);
});

Deno.test("logLoss() clips certain misses instead of returning infinity", () => {
  assertClose(logLoss([0], [1], 1e-6), -Math.log(1e-6));
  assertClose(logLoss([0.5, 0.5], [0, 1]), Math.log(2));
});

Deno.test("brierScore() rejects bad input with a clear error", () => {
  assert.throws(() => brierScore([0.5], [1, 0]), /differ in length/);
  assert.throws(() => brierScore([], []), /empty/);
  assert.throws(() => brierScore([1.2], [1]), /not in \[0, 1\]/);
  assert.throws(() => brierScore([0.5], [2]), /not 0 or 1/);
  assert.throws(() => logLoss([0.5], [1], 0), /clip/);
});
