/**
 * `db/market_metadata.ts` on both backends (real PostgreSQL schema and embedded PGlite): one
 * history row per change, none per repeated observation, sources merged without blanking each
 * other, the as-of query, and a v0.1 database (migrations 1–3, populated) migrating to 0006.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { silentLogger } from "../runtime/log.ts";
import { upsertEvents, upsertMarkets } from "../db/catalog.ts";
import {
  listMarketMetadataHistory,
  marketMetadataAsOf,
  type MetadataObservation,
  recordMarketMetadata,
} from "../db/market_metadata.ts";
import { rulesHash } from "../collectors/market_metadata.ts";
import { BACKENDS, withDatabase } from "./_db.ts";
import { marketRow } from "./_collector_env.ts";

const log = silentLogger();
const T0 = new Date("2026-11-01T00:00:00Z");
const T1 = new Date("2026-11-01T06:00:00Z");
const T2 = new Date("2026-11-01T12:00:00Z");
const RULES = 'This market will resolve to "Yes" if it rains.';

function gamma(rate: string, rules = RULES): MetadataObservation {
  const hash = rulesHash(rules);
  return {
    marketId: "7",
    fields: {
      feesEnabled: true,
      feeRate: rate,
      feeExponent: "1",
      feeTakerOnly: true,
      feeRebateRate: "0.25",
      tickSize: "0.01",
      negRisk: true,
      negRiskMarketId: "0x" + "ab".repeat(31) + "00",
      questionIndex: 3,
      negRiskOther: false,
      line: "-1.5",
      rulesHash: hash,
    },
    rules: { hash, text: rules },
  };
}

for (const backend of BACKENDS) {
  Deno.test(`recordMarketMetadata() writes one row per change and answers as-of on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "auto" });
      await upsertMarkets(db.sql, [marketRow({ marketId: "7", conditionId: null })]);
      const src = { source: "gamma" };
      assert.equal(await recordMarketMetadata(db.sql, [gamma("0.04")], { at: T0, ...src }), 1);
      // The same observation on later cycles, and a batch repeating the market: no new rows.
      assert.equal(await recordMarketMetadata(db.sql, [gamma("0.04")], { at: T1, ...src }), 0);
      assert.equal(
        await recordMarketMetadata(db.sql, [gamma("0.04"), gamma("0.04")], { at: T1, ...src }),
        0,
      );
      assert.equal(await recordMarketMetadata(db.sql, [gamma("0.05")], { at: T2, ...src }), 1);
      assert.equal(await recordMarketMetadata(db.sql, [gamma("0.05")], { at: T2, ...src }), 0);

      const history = await listMarketMetadataHistory(db.sql, "7");
      assert.deepEqual(history.map((h) => [h.validFrom.toISOString(), h.metadata.feeRate]), [
        [T0.toISOString(), "0.04"],
        [T2.toISOString(), "0.05"],
      ]);
      assert.equal(await marketMetadataAsOf(db.sql, "7", new Date(T0.getTime() - 1)), null);
      assert.equal((await marketMetadataAsOf(db.sql, "7", T1))?.metadata.feeRate, "0.04");
      const before = await marketMetadataAsOf(db.sql, "7", new Date(T2.getTime() - 1));
      assert.equal(before?.metadata.feeRate, "0.04");
      const after = await marketMetadataAsOf(db.sql, "7", T2);
      assert.equal(after?.metadata.feeRate, "0.05");
      assert.equal(after?.metadata.questionIndex, 3);
      assert.equal(after?.metadata.line, "-1.5");
      assert.equal(after?.metadata.is5050Outcome, null, "never observed");

      const [m] = await db.sql`
        select fee_rate::text, fee_taker_only, question_index, line::text, rules_hash,
               metadata_valid_from from markets where market_id = '7'`;
      assert.equal(m?.fee_rate, "0.05");
      assert.equal(m?.fee_taker_only, true);
      assert.equal(m?.question_index, 3);
      assert.equal(m?.line, "-1.5");
      assert.equal(m?.rules_hash, rulesHash(RULES));
      assert.equal((m?.metadata_valid_from as Date).toISOString(), T2.toISOString());
      const rules = await db.sql`select description from market_rules`;
      assert.deepEqual(rules.map((r) => r.description), [RULES], "one row per distinct text");
    }));

  Deno.test(`recordMarketMetadata() merges sources without blanking fields on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "auto" });
      await upsertMarkets(db.sql, [marketRow({ marketId: "7", conditionId: null })]);
      await recordMarketMetadata(db.sql, [gamma("0.04")], { at: T0, source: "gamma" });
      // The CLOB knows the 50-50 flag but not the fee schedule; same instant: folded.
      const clob: MetadataObservation = {
        marketId: "7",
        fields: { is5050Outcome: true, tickSize: "0.01" },
        rules: null,
      };
      assert.equal(await recordMarketMetadata(db.sql, [clob], { at: T0, source: "clob" }), 1);
      assert.equal(await recordMarketMetadata(db.sql, [clob], { at: T1, source: "clob" }), 0);
      // Gamma again (it has no 50-50 flag): nothing changed.
      assert.equal(
        await recordMarketMetadata(db.sql, [gamma("0.04")], { at: T1, source: "gamma" }),
        0,
      );
      const history = await listMarketMetadataHistory(db.sql, "7");
      assert.equal(history.length, 1);
      assert.equal(history[0]?.source, "gamma+clob");
      assert.equal(history[0]?.metadata.feeRate, "0.04");
      assert.equal(history[0]?.metadata.is5050Outcome, true);
      // A rules amendment is a change, and its text is stored once more under its own hash.
      const amended = gamma("0.04", RULES + " Amended.");
      assert.equal(await recordMarketMetadata(db.sql, [amended], { at: T2, source: "gamma" }), 1);
      const [n] = await db.sql`select count(*)::int as n from market_rules`;
      assert.equal(n?.n, 2);
    }));
}

Deno.test("a populated v0.1 database migrates to 0006 and keeps its rows", () =>
  withDatabase("server", async (db) => {
    const v01 = MIGRATIONS.filter((m) => m.version <= 3);
    await migrate(db.sql, { log, timescale: "auto", migrations: v01 });
    await upsertEvents(db.sql, [{
      eventId: "1",
      slug: "e",
      title: "E",
      negRisk: true,
      negRiskMarketId: "0x" + "cd".repeat(32),
      active: true,
      closed: false,
      startDate: null,
      endDate: null,
    }]);
    await upsertMarkets(db.sql, [
      marketRow({ marketId: "7", conditionId: null }, { tickSize: "0.001", eventId: "1" }),
    ]);
    const result = await migrate(db.sql, { log, timescale: "auto" });
    assert.deepEqual(
      result.applied,
      MIGRATIONS.filter((m) => m.version > 3).map((m) => m.version),
    );
    const [m] = await db.sql`
      select tick_size::text, fee_rate, metadata_digest, clob_checked_at from markets`;
    assert.deepEqual({ ...m }, {
      tick_size: "0.001",
      fee_rate: null,
      metadata_digest: null,
      clob_checked_at: null,
    });
    const [e] = await db.sql`select neg_risk, neg_risk_augmented from events`;
    assert.deepEqual({ ...e }, { neg_risk: true, neg_risk_augmented: null });
    // The migrated row takes metadata like a new one.
    assert.equal(await recordMarketMetadata(db.sql, [gamma("0.04")], { at: T0, source: "g" }), 1);
    const [after] = await db.sql`select fee_rate::text from markets`;
    assert.equal(after?.fee_rate, "0.04");
  }));
