import assert from "node:assert/strict";
import { walkForward } from "./walk_forward.ts";
import { synthesizeHistory } from "./synthetic.ts";
import { brierScore } from "./metrics.ts";
import type { DatasetRow } from "./dataset_row.ts";

const DAY = 86_400_000;
const history = synthesizeHistory({ markets: 6000, seed: 21 });
const week = synthesizeHistory({ markets: 2000, seed: 22, horizon: "7d" });
const rows: DatasetRow[] = [...history.rows, ...week.rows];

Deno.test("walkForward() never predicts a row with a model that saw it or anything resolved after its instant", () => {
  const result = walkForward(rows, { method: "beta", folds: 4 });
  assert.equal(result.embargoMs, 7 * DAY);
  assert.equal(result.predictions.length + result.trainingOnly, rows.length);
  const folds = new Map(result.folds.map((f) => [f.fold, f]));
  const seen = new Map(result.folds.map((f) => [f.fold, new Set(f.trainIndices)]));
  const newestTrained = new Map(
    result.folds.map((
      f,
    ) => [f.fold, f.trainIndices.reduce((m, i) => Math.max(m, rows[i].resolvedAt), 0)]),
  );
  for (const p of result.predictions) {
    const fold = folds.get(p.fold)!;
    assert.ok(p.row.resolvedAt >= fold.testFrom && p.row.resolvedAt < fold.testUntil);
    assert.ok(!seen.get(p.fold)!.has(p.index));
    const newest = newestTrained.get(p.fold)!;
    assert.ok(newest < p.row.instant, "trained on a market resolved after the instant");
  }
  assert.equal(new Set(result.predictions.map((p) => p.index)).size, result.predictions.length);
});

Deno.test("walkForward() predictions do not move when the future's outcomes change", () => {
  const base = walkForward(rows, { method: "isotonic", folds: 4 });
  const lastFrom = base.folds[base.folds.length - 1].testFrom;
  // Every outcome resolved in the last block inverted: earlier folds must not notice.
  const poisoned = rows.map((r) =>
    r.resolvedAt >= lastFrom ? { ...r, label: (1 - r.label) as 0 | 1 } : r
  );
  const after = walkForward(poisoned, { method: "isotonic", folds: 4 });
  const early = (ps: typeof base.predictions) => ps.filter((p) => p.row.resolvedAt < lastFrom);
  assert.ok(early(base.predictions).length > 1000);
  assert.deepEqual(
    early(after.predictions).map((p) => p.probability),
    early(base.predictions).map((p) => p.probability),
  );
});

Deno.test("walkForward() fits per domain and horizon, pools small cells, and beats a distorted market", () => {
  const result = walkForward(rows, { method: "beta", folds: 4 });
  const politics = result.predictions.filter((p) =>
    p.row.domain === "politics" && p.row.horizon === "24h"
  );
  // The first fold trains on a fifth of the rows minus the embargo: politics may pool there.
  assert.ok(politics.filter((p) => p.fold > 1).every((p) => p.cell === "domain"));
  const labels = politics.map((p) => p.row.label);
  const model = brierScore(politics.map((p) => p.probability), labels);
  const market = brierScore(politics.map((p) => p.row.price), labels);
  assert.ok(model < market - 0.005, `model ${model} vs market ${market}`);
  const other = result.predictions.filter((p) => p.row.domain === "other");
  // Never a model of its own: the pooled one, or the price where the pooled one was gated.
  assert.ok(other.some((p) => p.cell === "pooled"));
  assert.ok(other.every((p) => p.cell === "pooled" || p.cell === "gated"));
  const keys = [...result.folds[3].models.keys()];
  assert.ok(keys.some((k) => k.endsWith("7d")) && keys.some((k) => k.endsWith("24h")));
});

Deno.test("walkForward() makes complete neg-risk partitions sum to 1", () => {
  const result = walkForward(history.rows, { method: "platt", folds: 3 });
  assert.ok(result.coherentPartitions > 20);
  const sums = new Map<string, number>();
  for (const p of result.predictions) {
    if (p.row.negRiskGroupSize > 1) {
      sums.set(p.row.eventId, (sums.get(p.row.eventId) ?? 0) + p.probability);
    }
  }
  for (const sum of sums.values()) assert.ok(Math.abs(sum - 1) < 1e-9);
});

Deno.test("walkForward() falls back to the market price when no cell has enough rows", () => {
  const result = walkForward(history.rows.slice(0, 200), { method: "beta", folds: 2 });
  assert.ok(result.predictions.every((p) => p.cell === "market"));
  assert.ok(
    result.predictions.filter((p) => p.row.negRiskGroupSize === 1).every((p) =>
      p.probability === p.row.price
    ),
  );
});

Deno.test("walkForward() rejects bad options", () => {
  assert.throws(
    () => walkForward(rows.slice(0, 3), { method: "beta", folds: 5 }),
    /distinct resolution/,
  );
  assert.throws(() => walkForward(rows, { method: "beta", folds: 0 }), /Folds/);
});

Deno.test("walkForward() gates a calibrated cell to the market price and keeps a distorted one", () => {
  const result = walkForward(history.rows, { method: "beta", folds: 3 });
  const late = result.predictions.filter((p) => p.fold > 1);
  const sports = late.filter((p) => p.row.domain === "sports");
  const politics = late.filter((p) => p.row.domain === "politics");
  assert.ok(politics.every((p) => p.cell === "domain"));
  assert.ok(sports.filter((p) => p.cell === "gated").length > sports.length / 2);
  assert.ok(sports.filter((p) => p.cell === "gated").every((p) => p.probability === p.row.price));
  const ungated = walkForward(history.rows, { method: "beta", folds: 3, gate: false });
  assert.ok(ungated.predictions.every((p) => p.cell !== "gated"));
});
