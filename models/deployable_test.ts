import assert from "node:assert/strict";
import { fitDeployable, predictDeployable } from "./deployable.ts";
import { synthesizeHistory } from "./synthetic.ts";
import { inTail } from "./walk_forward.ts";
import { brierScore } from "./metrics.ts";

const train = synthesizeHistory({ markets: 6000, seed: 31 });
const later = synthesizeHistory({ markets: 3000, seed: 32, start: Date.UTC(2026, 0, 1) });

Deno.test("fitDeployable() fits a cell per domain and gates the calibrated ones", () => {
  const model = fitDeployable(train.rows, { method: "beta" });
  const kind = (domain: string) => model.cells.find((c) => c.domain === domain)?.kind;
  assert.equal(kind("politics"), "domain");
  assert.equal(kind("crypto"), "domain");
  assert.equal(kind("sports"), "gated");
  assert.equal(model.cells.find((c) => c.domain === "sports")?.model, null);
  assert.equal(model.unseen.length, 1);
  // The stored form survives JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(model)), model);
});

Deno.test("predictDeployable() beats the market on later rows and keeps the tail and calibrated cells at their price", () => {
  const model = JSON.parse(JSON.stringify(fitDeployable(train.rows, { method: "beta" })));
  const rows = later.rows;
  const p = predictDeployable(model, rows);
  const standalone = rows.map((r, i) => ({ r, p: p[i] })).filter((x) => x.r.negRiskGroupSize === 1);
  assert.ok(
    standalone.filter((x) => inTail(x.r) || x.r.domain === "sports").every((x) =>
      x.p === x.r.price
    ),
  );
  const politics = standalone.filter((x) => x.r.domain === "politics" && !inTail(x.r));
  const labels = politics.map((x) => x.r.label);
  assert.ok(
    brierScore(politics.map((x) => x.p), labels) <
      brierScore(politics.map((x) => x.r.price), labels) - 0.004,
  );
});

Deno.test("predictDeployable() gives a domain unseen in training the pooled map or the price", () => {
  const model = fitDeployable(train.rows, { method: "platt" });
  const row = {
    ...train.rows.find((r) => r.negRiskGroupSize === 1 && !inTail(r))!,
    domain: "weather",
  };
  const [p] = predictDeployable(model, [row]);
  const pooled = model.unseen[0];
  // The pool is mostly distorted, so its map passes the gate and an unseen domain gets it.
  assert.equal(pooled.kind, "pooled");
  assert.notEqual(pooled.model, null);
  assert.notEqual(p, row.price);
});
