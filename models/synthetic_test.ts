import assert from "node:assert/strict";
import { DISTORTIONS, synthesizeHistory } from "./synthetic.ts";
import { brierScore } from "./metrics.ts";

Deno.test("synthesizeHistory() is reproducible and prices each domain by its distortion", () => {
  const a = synthesizeHistory({ markets: 3000, seed: 4 });
  const b = synthesizeHistory({ markets: 3000, seed: 4 });
  assert.deepEqual(a, b);
  a.rows.forEach((row, i) => {
    const expected = Math.min(0.999, Math.max(0.001, DISTORTIONS[row.domain](a.hidden[i])));
    assert.ok(Math.abs(row.price - expected) <= 0.0005 + 1e-12);
    assert.equal(row.instant, row.resolvedAt - 86_400_000);
  });
  const politics = a.rows.map((r, i) => ({ r, q: a.hidden[i] })).filter((x) =>
    x.r.domain === "politics"
  );
  // Underconfident: a price is never further from 0.5 than its hidden probability.
  assert.ok(politics.every(({ r, q }) => Math.abs(r.price - 0.5) <= Math.abs(q - 0.5) + 0.0005));
  // The hidden probability is the better forecast of the drawn labels.
  const labels = politics.map((x) => x.r.label);
  assert.ok(
    brierScore(politics.map((x) => x.q), labels) <
      brierScore(politics.map((x) => x.r.price), labels),
  );
});

Deno.test("synthesizeHistory() partitions have one winner and hidden probabilities summing to 1", () => {
  const { rows, hidden } = synthesizeHistory({ markets: 3000, seed: 5 });
  const events = new Map<string, { wins: number; q: number; n: number; size: number }>();
  rows.forEach((r, i) => {
    if (r.negRiskGroupSize === 1) return;
    const e = events.get(r.eventId) ?? { wins: 0, q: 0, n: 0, size: r.negRiskGroupSize };
    e.wins += r.label;
    e.q += hidden[i];
    e.n++;
    events.set(r.eventId, e);
  });
  assert.ok(events.size > 30);
  for (const e of events.values()) {
    assert.equal(e.wins, 1);
    assert.equal(e.n, e.size);
    assert.ok(Math.abs(e.q - 1) < 1e-9);
  }
});
