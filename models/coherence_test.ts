import assert from "node:assert/strict";
import { coherePartitions, cohereProbabilities } from "./coherence.ts";
import { assertClose } from "./_assert_close.ts";

const odds = (p: number) => p / (1 - p);

Deno.test("cohereProbabilities() sums to 1 and keeps order and odds ratios", () => {
  const raw = [0.5, 0.3, 0.4, 0.02];
  const p = cohereProbabilities(raw);
  assertClose(p.reduce((a, b) => a + b, 0), 1, 1e-9);
  assert.ok(p[0] > p[2] && p[2] > p[1] && p[1] > p[3]);
  assertClose(odds(p[0]) / odds(p[1]), odds(0.5) / odds(0.3), 1e-6);
  assertClose(odds(p[3]) / odds(p[2]), odds(0.02) / odds(0.4), 1e-6);
});

Deno.test("cohereProbabilities() leaves a coherent partition as it is", () => {
  const p = cohereProbabilities([0.2, 0.3, 0.5]);
  assertClose(p[0], 0.2, 1e-9);
  assertClose(p[1], 0.3, 1e-9);
  assertClose(p[2], 0.5, 1e-9);
});

Deno.test("cohereProbabilities() solves a two-member partition to complements", () => {
  // Shift c with σ(z1 + c) + σ(z2 + c) = 1 means z1 + c = −(z2 + c).
  const [a, b] = cohereProbabilities([0.7, 0.5]);
  assertClose(a + b, 1, 1e-9);
  const z1 = Math.log(odds(0.7));
  const z2 = 0;
  assertClose(Math.log(odds(a)), (z1 - z2) / 2, 1e-6);
});

Deno.test("coherePartitions() adjusts complete partitions only and counts the rest", () => {
  const out = coherePartitions([
    { eventId: "e1", horizon: "24h", negRiskGroupSize: 3, probability: 0.5 },
    { eventId: "e1", horizon: "24h", negRiskGroupSize: 3, probability: 0.4 },
    { eventId: "solo", horizon: "24h", negRiskGroupSize: 1, probability: 0.9 },
    { eventId: "e1", horizon: "24h", negRiskGroupSize: 3, probability: 0.3 },
    { eventId: "e1", horizon: "7d", negRiskGroupSize: 3, probability: 0.3 },
    { eventId: "e1", horizon: "7d", negRiskGroupSize: 3, probability: 0.3 },
  ]);
  assert.equal(out.partitions, 1);
  assert.equal(out.incomplete, 1);
  assertClose(out.probabilities[0] + out.probabilities[1] + out.probabilities[3], 1, 1e-9);
  assert.equal(out.probabilities[2], 0.9);
  assert.equal(out.probabilities[4], 0.3);
});

Deno.test("cohereProbabilities() rejects bad input", () => {
  assert.throws(() => cohereProbabilities([0.4]), /at least 2/);
  assert.throws(() => cohereProbabilities([0.4, 1.5]), /not in \[0, 1\]/);
});
