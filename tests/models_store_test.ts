import assert from "node:assert/strict";
import { withDatabase } from "./_db.ts";
import {
  getModel,
  insertModel,
  latestModel,
  modelHash,
  type ModelRecord,
} from "../models/store.ts";
import migration from "../migrations/0015_models.sql" with { type: "text" };

const record: ModelRecord = {
  method: "beta",
  trainFrom: new Date("2025-01-01T00:00:00Z"),
  trainUntil: new Date("2025-06-30T00:00:00Z"),
  horizons: ["24h", "7d"],
  features: ["logDepthUsd"],
  params: { folds: [{ cells: { "politics/24h": { a: 1.8, b: 1.7, c: 0.01 } } }] },
  metrics: { "24h": { brier: 0.18, market: 0.19 } },
};

Deno.test("insertModel() stores a version and finds it again by hash instead of copying it", async () => {
  await withDatabase("server", async (db) => {
    await db.sql.unsafe(migration);
    assert.equal(await latestModel(db.sql), undefined);
    const first = await insertModel(db.sql, record);
    assert.equal(first.hash, modelHash(record));
    assert.deepEqual(first.horizons, ["24h", "7d"]);
    assert.deepEqual(first.params, record.params);
    assert.deepEqual(first.metrics, record.metrics);
    assert.equal(first.trainUntil.toISOString(), "2025-06-30T00:00:00.000Z");
    const again = await insertModel(db.sql, { ...record, metrics: { other: 1 } });
    assert.equal(again.version, first.version);
    const changed = await insertModel(db.sql, { ...record, params: { folds: [] } });
    assert.ok(changed.version > first.version);
    assert.equal((await latestModel(db.sql))?.version, changed.version);
    assert.equal(await latestModel(db.sql, { method: "platt" }), undefined);
    assert.deepEqual((await getModel(db.sql, first.version))?.params, record.params);
  });
});

Deno.test("modelHash() ignores key order and metrics, and sees any change of parameters", () => {
  const reordered = {
    ...record,
    params: { folds: [{ cells: { "politics/24h": { c: 0.01, b: 1.7, a: 1.8 } } }] },
  };
  assert.equal(modelHash(reordered), modelHash(record));
  assert.equal(modelHash({ ...record, metrics: {} }), modelHash(record));
  assert.notEqual(modelHash({ ...record, horizons: ["24h"] }), modelHash(record));
});
