import assert from "node:assert/strict";
import { evaluateForecasts, formatEvaluation } from "./evaluate.ts";
import { synthesizeHistory } from "./synthetic.ts";
import { brierScore } from "./metrics.ts";
import { assertClose } from "./_assert_close.ts";

const { rows, hidden } = synthesizeHistory({ markets: 4000, seed: 8 });
const oracle = rows.map((row, i) => ({ row, probability: hidden[i] }));

Deno.test("evaluateForecasts() separates the tail and scores each segment on its own rows", () => {
  const [h] = evaluateForecasts(oracle, { resamples: 200, excluded: ["3 voided markets"] });
  assert.equal(h.horizon, "24h");
  const all = h.segments.find((s) => s.kind === "all")!;
  const tail = h.segments.find((s) => s.kind === "tail")!;
  assert.equal(all.rows + tail.rows, rows.length);
  const body = oracle.filter((f) => f.row.price >= 0.05 && f.row.price <= 0.95);
  assertClose(
    all.model.brier,
    brierScore(body.map((f) => f.probability), body.map((f) => f.row.label)),
  );
  assertClose(
    all.market.brier,
    brierScore(body.map((f) => f.row.price), body.map((f) => f.row.label)),
  );
  for (const kind of ["domain", "price", "liquidity"] as const) {
    const total = h.segments.filter((s) => s.kind === kind).reduce((n, s) => n + s.rows, 0);
    assert.equal(total, all.rows, `${kind} segments partition the non-tail rows`);
  }
  assert.equal(h.excluded[0], "3 voided markets");
  assert.match(h.excluded[1], new RegExp(`^${tail.rows} near-certain-tail rows`));
});

Deno.test("evaluateForecasts() finds the oracle better than a distorted market and not a calibrated one", () => {
  const [h] = evaluateForecasts(oracle, { resamples: 300 });
  const politics = h.segments.find((s) => s.value === "politics")!;
  assert.ok(politics.difference.high < 0);
  const sports = h.segments.find((s) => s.value === "sports")!;
  // Sports prices are the hidden probabilities rounded to a tick: no difference to speak of.
  assert.ok(Math.abs(sports.difference.difference) < 1e-4);
});

Deno.test("formatEvaluation() prints the sample construction with every line", () => {
  const text = formatEvaluation(evaluateForecasts(oracle, { resamples: 100 }));
  assert.match(text, /^horizon t-24h; excluded: \d+ near-certain-tail rows/);
  const lines = text.split("\n").filter((l) => l.startsWith("politics"));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /politics\s+\d+\s+\d+\s+2025-\d\d-\d\d\.\.2025-\d\d-\d\d/);
  assert.match(lines[0], /model better/);
});
