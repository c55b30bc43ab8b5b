/**
 * Migration 0008 (storage v2) on a populated v0.1 database: every row survives, and every
 * query function gives the same answers before and after.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { insertPriceSnapshots, latestPrices, priceOhlc } from "../db/prices.ts";
import { measureDataQuality } from "../backfill/quality.ts";
import { silentLogger } from "../runtime/log.ts";
import type { Queryable } from "../db/client.ts";
import { BACKENDS, type TestDatabase, withDatabase } from "./_db.ts";

const log = silentLogger();
// The last layout before storage v2: v0.1's time-series tables, with every migration before 0008
// (the query functions of today read columns those added, e.g. gaps.tokens).
const V01 = MIGRATIONS.filter((m) => m.version < 8);
const TOKEN_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const TOKEN_B = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
const TOKEN_C = "1234567";
const COND = "0x" + "ab".repeat(32);
// Recent, so that latestPrices (a lookback from the wall clock) sees the rows.
const NOW = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const at = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

/** v0.1 rows as the v0.1 writers left them, with values that fit millionths and some not. */
async function populateV01(sql: Queryable): Promise<void> {
  await sql`insert into markets (market_id, condition_id, active, closed, first_seen_at)
            values ('1', ${COND}, true, false, ${at(3000)})`;
  await sql`insert into tokens (token_id, condition_id, market_id, outcome_index, first_seen_at)
            values (${TOKEN_A}, ${COND}, '1', 0, ${at(3000)}),
                   (${TOKEN_B}, ${COND}, '1', 1, ${at(3000)})`;
  const prices = ["0.52", "0.5843311669077693146635445446077281", "0.0105", "0.50", "1", "0"];
  for (let m = 0; m < 150; m++) {
    const p = prices[m % prices.length]!;
    await sql`insert into price_snapshots values
      (${at(m)}, ${TOKEN_A}, ${p}, '0.51', '0.53', ${m % 3 === 0 ? null : "0.5"},
       '25072.141289999992', '20328.3747'),
      (${at(m)}, ${TOKEN_B}, ${m % 7 === 0 ? null : "0.48"}, null, '0.49', null,
       '12', '3000000000000000')`;
  }
  // TOKEN_C has prices but no tokens row (the collector writes whatever Gamma lists).
  await sql`insert into price_snapshots (ts, token_id, price) values (${at(5)}, ${TOKEN_C}, '0.3')`;
  await sql`insert into book_snapshots values
    (${at(10)}, ${TOKEN_A}, ${COND}, ${at(10)}, '0.5', '0.6', '0.55', '0.1', '10', '20.5', 1, 2,
     '0.01', 'h1', '[{"price":"0.5","size":"10"}]',
     '[{"price":"0.6","size":"5"},{"price":"0.7","size":"15.5"}]'),
    (${at(5)}, ${TOKEN_A}, null, null, null, null, null, null, '0', '0', 0, 0, null, null,
     '[]', '[]'),
    (${at(5)}, ${TOKEN_B}, ${COND}, null, '0.4', '0.45', '0.425', '0.05', '1.1234567', '3', 1,
     1, '0.005', 'h2', '[{"price":"0.4","size":"1.1234567"}]', '[{"price":"0.45","size":"3"}]'),
    (${at(4)}, ${TOKEN_B}, ${COND}, null, null, '0.45', null, '0.07', '9', '3', 1, 1, null,
     'h3', '[{"price":"0.4","size":"1"}]', '[{"price":"0.45","size":"3"}]')`;
  await sql`insert into quotes values (${at(3)}, ${TOKEN_A}, '0.51', '0.53'),
    (${at(2)}, ${TOKEN_A}, null, '0.5300001'), (${at(1)}, ${TOKEN_B}, '0.001', null)`;
}

/** Everything a reader can see: the relations' rows and the query functions' answers. */
async function answers(sql: Queryable) {
  const range = { from: new Date(NOW.getTime() - 86_400_000), to: new Date(NOW.getTime() + 1) };
  return {
    prices: await sql`select * from price_snapshots order by token_id, ts`,
    books: await sql`select *, bids::text as bids_text, asks::text as asks_text
                     from book_snapshots order by token_id, ts`,
    quotes: await sql`select * from quotes order by token_id, ts`,
    ohlc1h: await sql`select * from price_ohlc_1h order by token_id, bucket`,
    ohlc1d: await sql`select * from price_ohlc_1d order by token_id, bucket`,
    latest: await latestPrices(sql, [TOKEN_A, TOKEN_B, TOKEN_C, "999"]),
    barsA: await priceOhlc(sql, TOKEN_A, { ...range, interval: "1h" }),
    barsB: await priceOhlc(sql, TOKEN_B, { ...range, interval: "1d" }),
    quality: await measureDataQuality(sql, { now: NOW }),
  };
}

async function migratedV01(db: TestDatabase) {
  await migrate(db.sql, { log, timescale: "auto", migrations: V01 });
  await populateV01(db.sql);
  const before = await answers(db.sql);
  const { applied } = await migrate(db.sql, { log, timescale: "auto" });
  return { before, applied };
}

for (const backend of BACKENDS) {
  Deno.test(`migration 0008 keeps every row and every answer of a v0.1 database on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      const { before, applied } = await migratedV01(db);
      assert.deepEqual(applied.filter((v) => v <= 8), [8]);
      assert.equal(before.prices.length, 301);
      assert.equal(before.books.length, 4);
      assert.equal(before.quotes.length, 3);
      const after = await answers(db.sql);
      assert.deepEqual(after, before);
      // The values are really in the compact columns, and only the misfits in `exact`.
      const [counts] = await db.sql`
        select count(*) filter (where exact is null)::int as compact,
               count(*) filter (where exact ? 'price')::int as exact_price,
               count(price)::int as micro_price,
               count(volume_24h_scale)::int as scaled_volume
        from price_snapshot_data`;
      // TOKEN_A's noisy volume is a count of 10^-12; TOKEN_B's liquidity (3e15) never fits;
      // 1 in 3 of TOKEN_A's prices don't.
      assert.deepEqual({ ...counts }, {
        compact: 101,
        exact_price: 50,
        micro_price: 229,
        scaled_volume: 150,
      });
    }));
}

Deno.test("after 0008 the writer continues a migrated token and ignores a replayed minute", () =>
  withDatabase("server", async (db) => {
    await migratedV01(db);
    const row = (minutes: number, price: string) => ({
      ts: new Date(at(minutes)),
      tokenId: TOKEN_A,
      price,
      bestBid: null,
      bestAsk: null,
      lastTradePrice: null,
      volume24h: null,
      liquidity: null,
    });
    assert.equal(await insertPriceSnapshots(db.sql, [row(0, "0.9")]), 0);
    assert.equal(await insertPriceSnapshots(db.sql, [row(-1, "0.61")], { method: "copy" }), 1);
    const [key] = await db.sql`select count(distinct token_key)::int as n from price_snapshot_data
                               join token_keys using (token_key) where token_id = ${TOKEN_A}`;
    assert.equal(key?.n, 1);
    const [latest] = await latestPrices(db.sql, [TOKEN_A], { lookbackMs: 86_400_000 * 2 });
    assert.equal(latest?.price, "0.61");
  }));
