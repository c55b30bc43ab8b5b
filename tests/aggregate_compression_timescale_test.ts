/**
 * Migration 0020 on TimescaleDB: every continuous aggregate (hourly and daily prices, hourly
 * trade volume, daily episodes) is compressed by its own policy job once its refresh policy has
 * materialized it, the hourly prices' merged chunks are re-cut by the rebatch job, and the
 * aggregates answer exactly what the same aggregation over the raw rows answers, before
 * compression, after it, after a backfill into a compressed bucket is refreshed by the policy,
 * and for a recent hour that only the real-time part covers. Jobs run with `CALL run_job` at the
 * ages a server would see, in simulated time (bench/_server_jobs.ts), so that chunks are
 * compressed one after the other as they age, as on a server. TimescaleDB only
 * (TEST_EXPECT_TIMESCALE=1); plain PostgreSQL's aggregates are views (migrate_test covers that
 * 0020 applies there).
 */
import assert from "node:assert/strict";
import type { Sql } from "../db/client.ts";
import { type EpisodeRow, upsertEpisodes } from "../db/episodes.ts";
import { migrate } from "../db/migrate.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { insertTrades, type TradeRow } from "../db/trades.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { silentLogger } from "../runtime/log.ts";
import { ServerJobs } from "../bench/_server_jobs.ts";
import { EXPECT_TIMESCALE, withDatabase } from "./_db.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A UTC midnight three weeks back by the server's clock, which the policies read. */
const START = Math.floor((Date.now() - 21 * DAY) / DAY) * DAY;
const TOKENS = ["101", "202", "303"];
const AGGREGATES = [
  "price_ohlc_1h_data",
  "price_ohlc_1d_data",
  "trade_volume_1h",
  "episodes_daily",
];

/** Three days of prices every 10 minutes, two trades an hour, three episodes a day. */
function rows(from: number, hours: number, salt: number) {
  const prices: PriceSnapshotRow[] = [];
  const trades: TradeRow[] = [];
  const episodes: EpisodeRow[] = [];
  for (let t = from; t < from + hours * HOUR; t += 10 * 60_000) {
    const step = Math.round((t - START) / (10 * 60_000)) + salt;
    for (const [i, token] of TOKENS.entries()) {
      prices.push({
        ts: new Date(t),
        tokenId: token,
        // Now and then a price that needs more than 6 decimals (kept in `exact`), or none.
        price: step % 53 === 0
          ? null
          : step % 41 === 0
          ? "0.1234567"
          : String(((step * (i + 3)) % 97 + 1) / 100),
        bestBid: "0.49",
        bestAsk: "0.51",
        lastTradePrice: null,
        volume24h: String(1000 + step),
        liquidity: "2500",
      });
      if (step % 3 === 0) {
        trades.push({
          ts: new Date(t + 7_000),
          tokenId: token,
          tradeKey: `k${step}#0`,
          conditionId: null,
          receivedAt: new Date(t + 7_040),
          price: String(((step * 7 + i) % 89 + 5) / 100),
          size: String((step % 13) + 1.5),
          side: step % 2 === 0 ? "BUY" : "SELL",
          feeRateBps: null,
          txHash: null,
          source: "ws",
        });
      }
    }
    if (step % 48 === 0) {
      episodes.push({
        startedAt: new Date(t),
        relationKey: `r${step}`,
        channel: step % 96 === 0 ? "live" : "replay",
        replayed: step % 96 !== 0,
        endedAt: new Date(t + 1_500 + step),
        endReason: "closed",
        peakAt: new Date(t + 500),
        peakProfit: String(step / 1000),
        peakShares: "10",
        peakCapacity: String(step / 100),
        survival250msProfit: null,
        survival1sProfit: step % 5 === 0 ? "0.01" : null,
        final: true,
        bookAgesMs: [10, 20],
        legs: [],
        observations: 3,
        startSequence: step,
      });
    }
  }
  return { prices, trades, episodes };
}

async function write(sql: Sql, r: ReturnType<typeof rows>): Promise<void> {
  await insertPriceSnapshots(sql, r.prices, { method: "copy" });
  await insertTrades(sql, r.trades);
  await upsertEpisodes(sql, r.episodes);
}

/** What the aggregates answer, and what the same aggregation over the raw rows answers. */
async function answers(sql: Sql) {
  const origin = "timestamptz '2000-01-03 00:00:00+00'";
  const ohlc = (width: string) =>
    `select date_bin('${width}', ts, ${origin}) as bucket, token_id,
            ((array_agg(price order by ts))[1])::text as open, max(price)::text as high,
            min(price)::text as low, ((array_agg(price order by ts desc))[1])::text as close,
            count(*)::int as samples
     from price_snapshots where price is not null group by 1, 2 order by 2, 1`;
  const view = (name: string) =>
    `select bucket, token_id, open::text, high::text, low::text, close::text,
            samples::int from ${name} order by token_id, bucket`;
  const volume = `select bucket, token_id, trades::int, volume::text, notional::text,
                         vwap::text from trade_volume_1h order by token_id, bucket`;
  const volumeRaw = `select date_bin('1 hour', ts, ${origin}) as bucket, token_id,
                            count(*)::int as trades, sum(size)::text as volume,
                            sum(price * size)::text as notional,
                            (sum(price * size) / nullif(sum(size), 0))::text as vwap
                     from trades group by 1, 2 order by 2, 1`;
  const daily = `select bucket, channel, replayed, episodes::int, profit::text,
                        capacity::text, mean_duration_s::text, survived_1s::int
                 from episodes_daily order by channel, replayed, bucket`;
  const dailyRaw = `select date_bin('1 day', started_at, ${origin}) as bucket, channel, replayed,
                           count(*)::int as episodes, sum(peak_profit)::text as profit,
                           sum(peak_capacity)::text as capacity,
                           avg(extract(epoch from ended_at - started_at))::text
                             as mean_duration_s,
                           sum(case when survival_1s_profit > 0 then 1 else 0 end)::int
                             as survived_1s
                    from episodes group by 1, 2, 3 order by 2, 3, 1`;
  const q = async (text: string) => [...await sql.unsafe(text)];
  return {
    views: {
      h1: await q(view("price_ohlc_1h")),
      d1: await q(view("price_ohlc_1d")),
      volume: await q(volume),
      daily: await q(daily),
    },
    raw: {
      h1: await q(ohlc("1 hour")),
      d1: await q(ohlc("1 day")),
      volume: await q(volumeRaw),
      daily: await q(dailyRaw),
    },
  };
}

/** Each aggregate's materialization chunks: how many, and how many compressed. */
async function aggregateChunks(sql: Sql, schema: string) {
  const list = await sql<{ view: string; chunks: number; compressed: number }[]>`
    select a.view_name as view, count(c.chunk_name)::int as chunks,
           count(c.chunk_name) filter (where c.is_compressed)::int as compressed
    from timescaledb_information.continuous_aggregates a
    left join timescaledb_information.chunks c
      on c.hypertable_schema = a.materialization_hypertable_schema
     and c.hypertable_name = a.materialization_hypertable_name
    where a.view_schema = ${schema}
    group by 1 order by 1`;
  return Object.fromEntries(
    list.map((r) => [r.view, { chunks: r.chunks, compressed: r.compressed }]),
  );
}

/** Compressed batches of each token of the hourly prices' aggregate, in token order. */
async function batchesPerToken(sql: Sql, schema: string): Promise<number[]> {
  const compressed = await sql<{ name: string }[]>`
    select format('%I.%I', cc.schema_name, cc.table_name) as name
    from _timescaledb_catalog.chunk c
    join _timescaledb_catalog.chunk cc on cc.id = c.compressed_chunk_id
    join _timescaledb_catalog.continuous_agg a on a.mat_hypertable_id = c.hypertable_id
    where a.user_view_schema = ${schema} and a.user_view_name = 'price_ohlc_1h_data'`;
  assert.equal(compressed.length, 1);
  const counts = await sql.unsafe(
    `select count(*)::int as n from ${compressed[0]!.name} group by token_key order by token_key`,
  );
  return counts.map((r) => r.n as number);
}

/** Runs (CALL run_job) every job of `proc` on this schema's aggregates; returns how many. */
async function runAggregateJobs(sql: Sql, schema: string, proc: string): Promise<number> {
  const ts = `"${(await timescaleSchema(sql))!.replaceAll('"', '""')}"`;
  const jobs = await sql<{ id: number }[]>`
    select j.job_id as id
    from timescaledb_information.jobs j
    join timescaledb_information.continuous_aggregates a
      on (j.hypertable_schema, j.hypertable_name) = (a.view_schema, a.view_name)
      or j.config->>'hypertable' = format('%I.%I', a.materialization_hypertable_schema,
                                          a.materialization_hypertable_name)
    where a.view_schema = ${schema} and j.proc_name = ${proc}
    order by j.job_id`;
  for (const j of jobs) await sql.unsafe(`call ${ts}.run_job(${j.id})`);
  return jobs.length;
}

Deno.test({
  name: "0020: the policies compress every aggregate, which answers the same before and after",
  ignore: !EXPECT_TIMESCALE,
  fn: async () => {
    await withDatabase("server", async (db) => {
      const sql = db.sql;
      await migrate(sql, { log: silentLogger(), timescale: "require" });
      await write(sql, rows(START, 72, 0));

      // Materialized by the refresh policies, nothing compressed yet.
      assert.equal(
        await runAggregateJobs(sql, db.schema, "policy_refresh_continuous_aggregate"),
        4,
      );
      const fresh = await answers(sql);
      assert.ok(fresh.views.h1.length >= 3 * 72 - 3, `hourly rows: ${fresh.views.h1.length}`);
      assert.ok(fresh.views.volume.length > 0 && fresh.views.daily.length > 0);
      assert.deepEqual(fresh.views, fresh.raw);
      const materialized = await aggregateChunks(sql, db.schema);
      assert.deepEqual(Object.keys(materialized).sort(), [...AGGREGATES].sort());
      for (const name of AGGREGATES) {
        assert.ok(materialized[name]!.chunks > 0, `${name} materialized nothing`);
        assert.equal(materialized[name]!.compressed, 0, `${name} compressed before its policy`);
      }

      // Ten days of the server's jobs, every 12 hours of simulated time: each aggregate chunk is
      // compressed once its policy's compress_after has passed, the hourly prices' 12-hour
      // chunks one after the other, each merging into the one before.
      const jobs = await ServerJobs.load(sql, db.schema, START);
      for (let t = START + 12 * HOUR; t <= START + 10 * DAY; t += 12 * HOUR) {
        await jobs.runDue(t);
      }
      for (const name of AGGREGATES) {
        const runs = jobs.runs.filter((r) => r.target === name && r.proc === "policy_compression");
        assert.equal(runs.length, 1, `${name} has one compression policy`);
        assert.ok(runs[0]!.runs > 0);
      }
      const compressed = await aggregateChunks(sql, db.schema);
      for (const name of AGGREGATES) {
        assert.equal(
          compressed[name]!.compressed,
          compressed[name]!.chunks,
          `${name}: ${JSON.stringify(compressed[name])}`,
        );
      }
      assert.equal(compressed["price_ohlc_1h_data"]!.chunks, 1, "12-hour chunks merged");
      assert.deepEqual((await answers(sql)).views, fresh.views);

      // The rebatch job has re-cut the merged chunk (one batch per token), same answers.
      const [recut] = await sql<{ n: number }[]>`
        select count(*)::int as n from rebatched_chunks r
        join timescaledb_information.chunks c
          on format('%I.%I', c.chunk_schema, c.chunk_name)::regclass = to_regclass(r.chunk)
        join timescaledb_information.continuous_aggregates a
          on a.materialization_hypertable_schema = c.hypertable_schema
         and a.materialization_hypertable_name = c.hypertable_name
        where a.view_schema = ${db.schema} and a.view_name = 'price_ohlc_1h_data'`;
      assert.equal(recut!.n, 1);
      assert.deepEqual(await batchesPerToken(sql, db.schema), [1, 1, 1]);
      assert.deepEqual((await answers(sql)).views, fresh.views);

      // A backfill into compressed buckets (a new token, other prices and trades in the first
      // day): the views miss it until the refresh policy rewrites those compressed buckets.
      const late = rows(START + 6 * HOUR, 12, 5);
      const backfill = {
        prices: late.prices.map((r) => ({ ...r, tokenId: r.tokenId + "9" })),
        trades: late.trades.map((r) => ({ ...r, ts: new Date(r.ts.getTime() + 1_000) })),
        episodes: late.episodes.map((r) => ({ ...r, relationKey: `${r.relationKey}-late` })),
      };
      await write(sql, backfill);
      const stale = await answers(sql);
      assert.notDeepEqual(stale.views.h1, stale.raw.h1, "the backfill is not materialized yet");
      await runAggregateJobs(sql, db.schema, "policy_refresh_continuous_aggregate");
      const refreshed = await answers(sql);
      assert.deepEqual(refreshed.views, refreshed.raw);
      assert.ok(refreshed.views.h1.length > fresh.views.h1.length);

      // The real-time part: an hour written just now, not materialized, answers too.
      await write(sql, rows(Math.floor(Date.now() / HOUR) * HOUR - HOUR, 1, 11));
      const live = await answers(sql);
      assert.deepEqual(live.views, live.raw);
      assert.ok(live.views.h1.length > refreshed.views.h1.length);
    });
  },
});
