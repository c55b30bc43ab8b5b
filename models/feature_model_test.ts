import assert from "node:assert/strict";
import { type FeatureInput, fitFeatureModel, predictFeatureModel } from "./feature_model.ts";
import { fitCalibration, predictCalibration } from "./calibration.ts";
import { sigmoid } from "./_logistic.ts";
import { brierScore } from "./metrics.ts";
import { seededUniform } from "./_random.ts";

/** True log-odds = market log-odds + 0.8 × news; news is NaN for a fifth of rows. */
function rows(n: number, seed: number): FeatureInput[] {
  const next = seededUniform(seed);
  return Array.from({ length: n }, () => {
    const z = 4 * next() - 2;
    const news = 2 * next() - 1;
    const q = sigmoid(z + 0.8 * news);
    return {
      price: sigmoid(z),
      label: next() < q ? 1 : 0,
      features: { news: next() < 0.2 ? NaN : news, noise: next() },
    };
  });
}

Deno.test("fitFeatureModel() learns an informative feature and beats the best price-only map", () => {
  const train = rows(20000, 1);
  const test = rows(20000, 2);
  const model = fitFeatureModel(train);
  assert.deepEqual(model.names, ["news", "noise"]);
  assert.deepEqual(model.indicators, [true, false]);
  // Standardised news has sd ≈ 0.577, so its weight ≈ 0.8 × 0.577.
  assert.ok(Math.abs(model.weights[2] - 0.8 * 0.577) < 0.08, `weight ${model.weights[2]}`);
  assert.ok(Math.abs(model.weights[3]) < 0.05, `noise weight ${model.weights[3]}`);
  const platt = fitCalibration(train.map((r) => r.price), train.map((r) => r.label!), "platt");
  const labels = test.map((r) => r.label!);
  const withFeatures = brierScore(test.map((r) => predictFeatureModel(model, r)), labels);
  const priceOnly = brierScore(test.map((r) => predictCalibration(platt, r.price)), labels);
  assert.ok(withFeatures < priceOnly - 0.002, `${withFeatures} vs ${priceOnly}`);
});

Deno.test("predictFeatureModel() reads an unknown feature as the training mean plus its flag", () => {
  const model = fitFeatureModel(rows(2000, 3));
  const known = predictFeatureModel(model, {
    price: 0.5,
    features: { news: model.means[0], noise: 0.5 },
  });
  const unknown = predictFeatureModel(model, { price: 0.5, features: { news: NaN, noise: 0.5 } });
  const flag = model.weights[4];
  assert.ok(
    Math.abs(Math.log(unknown / (1 - unknown)) - Math.log(known / (1 - known)) - flag) < 1e-9,
  );
});

Deno.test("fitFeatureModel() rejects rows without labels", () => {
  assert.throws(() => fitFeatureModel([]), /no rows/);
  assert.throws(() => fitFeatureModel([{ price: 0.5, features: {} }]), /no label/);
});
