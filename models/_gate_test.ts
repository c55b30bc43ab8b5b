import assert from "node:assert/strict";
import { criticalValue, improves, passesGate } from "./_gate.ts";
import { fitModel } from "./model.ts";
import { synthesizeHistory } from "./synthetic.ts";
import { inTail } from "./walk_forward.ts";

const { rows } = synthesizeHistory({ markets: 8000, seed: 41 });
const body = rows.filter((r) => !inTail(r));
const politics = body.filter((r) => r.domain === "politics");
const sports = body.filter((r) => r.domain === "sports");

Deno.test("passesGate() keeps a map of a distorted domain and refuses one of a calibrated domain", () => {
  for (const method of ["platt", "beta", "isotonic", "features"] as const) {
    assert.ok(passesGate(politics, fitModel(politics, method), 0.01), `${method} politics`);
    assert.ok(!passesGate(sports, fitModel(sports, method), 0.01), `${method} sports`);
  }
  assert.ok(!passesGate(politics, { method: "identity" }, 0.01));
  assert.throws(() => passesGate(politics, fitModel(politics, "platt"), 0.2), /Gate level/);
});

Deno.test("improves() lends a map only to rows it clearly helps", () => {
  const politicsMap = fitModel(politics, "platt");
  assert.ok(improves(politics.slice(0, 800), politicsMap, 0.01));
  // The underconfident domain's correction makes calibrated prices overconfident.
  assert.ok(!improves(sports, politicsMap, 0.01));
});

Deno.test("criticalValue() reads the table and approximates beyond it", () => {
  assert.equal(criticalValue(3, 0.01), 11.34);
  // df 35 is not tabulated: the next row (40) answers, never below the exact 57.34.
  assert.equal(criticalValue(35, 0.01), 63.69);
  // Exact χ²(0.99, 120) = 158.950; χ²(0.95, 200) = 233.994.
  assert.ok(Math.abs(criticalValue(120, 0.01) - 158.95) < 0.3);
  assert.ok(Math.abs(criticalValue(200, 0.05) - 233.994) < 0.3);
  assert.throws(() => criticalValue(2, 0.2), /Gate level/);
});
