/**
 * Migration 0012 on TimescaleDB: compressed chunks merge into the one before them up to the
 * rollup interval, and the `rebatch_rollups` job recompresses each full merged chunk once, so a
 * token's rows of several chunks end up in one compressed batch; every row reads back the same.
 * Plain PostgreSQL has nothing to roll up (migrate_test covers that 0012 applies there).
 */
import assert from "node:assert/strict";
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { silentLogger } from "../runtime/log.ts";
import { EXPECT_TIMESCALE, withDatabase } from "./_db.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 4, 4); // a Monday midnight: 7-day rollups start on chunk bounds

Deno.test({
  name: "rollup: two days of 4-hour price chunks become one batch per token, rows unchanged",
  ignore: !EXPECT_TIMESCALE,
  fn: async () => {
    await withDatabase("server", async (db) => {
      const sql = db.sql;
      await migrate(sql, { log: silentLogger(), timescale: "require" });
      // Three tokens, one row every 10 minutes for 2 days: 12 chunks of 4 hours, 288 rows each.
      const rows: PriceSnapshotRow[] = [];
      for (let t = START; t < START + 48 * HOUR; t += 10 * 60_000) {
        for (const token of ["101", "202", "303"]) {
          const step = (t - START) / (10 * 60_000);
          rows.push({
            ts: new Date(t),
            tokenId: token,
            price: String(0.5 + (step % 7) / 100),
            bestBid: "0.49",
            bestAsk: "0.51",
            lastTradePrice: null,
            volume24h: String(1000 + step),
            liquidity: "25072.141289999992",
          });
        }
      }
      await insertPriceSnapshots(sql, rows, { method: "copy" });
      const read = () =>
        sql`select ts, token_id, price::text, best_bid::text, best_ask::text,
                   last_trade_price::text, volume_24h::text, liquidity::text
            from price_snapshots order by token_id, ts`;
      const before = await read();
      assert.equal(before.length, rows.length);
      const chunks = () =>
        sql<{ n: number; compressed: number }[]>`
          select count(*)::int as n, count(*) filter (where is_compressed)::int as compressed
          from timescaledb_information.chunks
          where hypertable_schema = ${db.schema} and hypertable_name = 'price_snapshot_data'`;
      assert.deepEqual([...await chunks()], [{ n: 12, compressed: 0 }]);

      // Oldest first, as the policy compresses: every chunk after the first merges into it.
      const names = await sql<{ name: string }[]>`
        select format('%I.%I', chunk_schema, chunk_name) as name
        from timescaledb_information.chunks
        where hypertable_schema = ${db.schema} and hypertable_name = 'price_snapshot_data'
        order by range_start`;
      for (const { name } of names) {
        await sql.unsafe(`select public.compress_chunk($1::regclass)`, [name]);
      }
      assert.deepEqual([...await chunks()], [{ n: 1, compressed: 1 }]);
      const batches = () => batchesPerToken(sql, db.schema);
      assert.deepEqual(await batches(), [12, 12, 12], "merged, still a batch per original chunk");

      // The merged chunk ended more than the rollup interval ago: the job recompresses it.
      const [job] = await sql<{ id: number }[]>`
        select job_id as id from timescaledb_information.jobs
        where proc_name = 'rebatch_rollups' and proc_schema = ${db.schema}
          and to_regclass(config->>'hypertable') = 'price_snapshot_data'::regclass`;
      assert.ok(job, "0012 schedules a rebatch job for price_snapshot_data");
      await sql.unsafe(`call public.run_job(${job.id})`);
      assert.deepEqual(await batches(), [1, 1, 1]);
      assert.deepEqual(await read(), before);
      const [done] = await sql<{ n: number; at: Date }[]>`
        select count(*)::int as n, max(rebatched_at) as at from rebatched_chunks`;
      assert.equal(done!.n, 1);

      // Once only: a second run leaves the chunk alone.
      await sql.unsafe(`call public.run_job(${job.id})`);
      const [again] = await sql<
        { at: Date }[]
      >`select max(rebatched_at) as at from rebatched_chunks`;
      assert.deepEqual(again!.at, done!.at);

      // A replayed row into the recompressed chunk is still refused, and nothing moved.
      assert.equal(await insertPriceSnapshots(sql, rows.slice(0, 5), { method: "unnest" }), 0);
      assert.deepEqual(await read(), before);
    });
  },
});

/** Compressed batches of each token of price_snapshot_data, in token order. */
async function batchesPerToken(sql: Sql, schema: string): Promise<number[]> {
  const [compressed] = await sql<{ name: string }[]>`
    select format('%I.%I', cc.schema_name, cc.table_name) as name
    from _timescaledb_catalog.chunk c
    join _timescaledb_catalog.chunk cc on cc.id = c.compressed_chunk_id
    join _timescaledb_catalog.hypertable h on h.id = c.hypertable_id
    where h.schema_name = ${schema} and h.table_name = 'price_snapshot_data'`;
  const counts = await sql.unsafe(
    `select count(*)::int as n from ${compressed!.name} group by token_key order by token_key`,
  );
  return counts.map((r) => r.n as number);
}
