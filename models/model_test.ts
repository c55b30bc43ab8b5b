import assert from "node:assert/strict";
import { chooseMap, fitModel, predictModel } from "./model.ts";
import { seededUniform } from "./_random.ts";

/** Rows whose true probability is `truth(q)` at price q, q uniform on [0.01, 0.99]. */
function rowsOf(n: number, seed: number, truth: (q: number) => number) {
  const next = seededUniform(seed);
  return Array.from({ length: n }, () => {
    const price = 0.01 + 0.98 * next();
    const label: 0 | 1 = next() < truth(price) ? 1 : 0;
    return { price, label, features: {} };
  });
}

const clamp = (p: number) => Math.min(1, Math.max(0, p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

Deno.test("chooseMap() picks isotonic for a longshot floor (prices up to 0.2 that mean 0), which beta cannot bend to", () => {
  const rows = rowsOf(6_000, 1, (q) => clamp((q - 0.2) / 0.6));
  assert.equal(chooseMap(rows), "isotonic");
  // And the choice is right out of sample: auto beats beta on fresh rows.
  const fresh = rowsOf(6_000, 2, (q) => clamp((q - 0.2) / 0.6));
  const brier = (method: "auto" | "beta") => {
    const model = fitModel(rows, method);
    return fresh.reduce((s, r) => s + (predictModel(model, r) - r.label) ** 2, 0) / fresh.length;
  };
  assert.ok(brier("auto") < brier("beta"), `auto ${brier("auto")} vs beta ${brier("beta")}`);
});

Deno.test("chooseMap() picks beta for a smooth underconfident map, and beta below 200 rows", () => {
  const smooth = (q: number) => sigmoid(logit(q) / 0.6);
  assert.equal(chooseMap(rowsOf(3_000, 3, smooth)), "beta");
  assert.equal(chooseMap(rowsOf(199, 4, (q) => clamp((q - 0.2) / 0.6))), "beta");
});
