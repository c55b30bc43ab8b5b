/**
 * The exported Parquet of a day answers the same questions in DuckDB as the database's public
 * views (issue 27, "Done when"): a day of prices, books, quotes and trades is exported (and
 * then dropped by retention), and per-token counts, minimum and maximum prices, sums of sizes
 * and amounts, and book depth asked of DuckDB over the files equal, exactly, what SQL over the
 * views answered before the day was dropped. On the real PostgreSQL through `pmcollect export
 * --retain-days`, and on PGlite through the export and retention functions.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { BACKENDS, withDatabase } from "./_db.ts";
import type { Sql } from "../db/client.ts";
import { duckString, openDuckDb } from "../export/_duckdb.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { main } from "../main.ts";
import { KEPT_DAY, OLD_DAY, RETENTION_NOW, seedSeries, SERIES } from "./_export_views_seed.ts";

type Table = typeof SERIES[number];

/** Each question once, over `{src}`: the view's day in SQL, the day's files in DuckDB. */
const QUESTIONS: Readonly<Record<Table, readonly string[]>> = {
  price_snapshots: [
    `select token_id, count(*) as n, min(price) as lo, max(price) as hi,
       sum(volume_24h) as volume, sum(liquidity) as liquidity, count(best_ask) as asks,
       max(best_bid) as best_bid, min(last_trade_price) as last_trade
     from {src} group by token_id order by token_id`,
  ],
  book_snapshots: [
    `select token_id, count(*) as n, min(best_bid) as bid, max(best_ask) as ask,
       sum(bid_size) as bid_size, sum(ask_size) as ask_size, sum(mid) as mids,
       sum(bid_levels) as bid_levels, max(tick_size) as tick, count(distinct book_hash) as hashes,
       min(condition_id) as condition
     from {src} group by token_id order by token_id`,
  ],
  quotes: [
    `select token_id, count(*) as n, count(best_bid) as bids, min(best_bid) as bid,
       max(best_ask) as ask, sum(best_ask) as asks
     from {src} group by token_id order by token_id`,
  ],
  trades: [
    `select token_id, side, count(*) as n, min(price) as lo, max(price) as hi,
       sum(size) as size, count(fee_rate_bps) as fees, min(tx_hash) as tx
     from {src} group by token_id, side order by token_id, side`,
  ],
};

/** Book depth from the levels: the JSON is read by each engine its own way. */
const DEPTH = {
  sql: `select token_id, count(*) as levels, sum((e->>'size')::numeric) as depth,
          max((e->>'price')::numeric) as top
        from {src}, jsonb_array_elements(src.bids) e group by token_id order by token_id`,
  duck: `select token_id, count(*) as levels, sum(cast(e->>'size' as decimal(38,18))) as depth,
           max(cast(e->>'price' as decimal(38,18))) as top
         from (select token_id, unnest(from_json(bids, '["JSON"]')) as e from {src})
         group by token_id order by token_id`,
};

/** Values as exact text: decimals without trailing zeros (the engines differ in scale only). */
function normalize(rows: Record<string, unknown>[]): string[][] {
  return rows.map((r) =>
    Object.values(r).map((v) => {
      const text = v === null || v === undefined ? "null" : String(v);
      return /^-?\d+\.\d+$/.test(text) ? text.replace(/\.?0+$/, "") : text;
    })
  );
}

async function sqlAnswers(sql: Sql, day: string): Promise<string[][][]> {
  const from = `${day}T00:00:00Z`;
  const answers: string[][][] = [];
  const ask = async (question: string, table: string) => {
    const src = `(select * from ${table} where ts >= '${from}'::timestamptz
                  and ts < '${from}'::timestamptz + interval '1 day') src`;
    const rows = await sql.unsafe(
      `select * from (${question.replaceAll("{src}", src)}) q`,
    ) as Record<string, unknown>[];
    // numeric and bigint come back as strings from both drivers.
    answers.push(normalize(rows));
  };
  for (const table of SERIES) for (const q of QUESTIONS[table]) await ask(q, table);
  await ask(DEPTH.sql, "book_snapshots");
  return answers;
}

async function duckAnswers(out: string, day: string): Promise<string[][][]> {
  const duck = await openDuckDb();
  try {
    const answers: string[][][] = [];
    const ask = async (question: string, table: string) => {
      const src = `read_parquet(${duckString(join(out, table, `date=${day}`, "*.parquet"))})`;
      // As text inside DuckDB: the JS conversion would turn DECIMAL into a float.
      const rows = await duck.rows(
        `select columns(*)::varchar from (${question.replaceAll("{src}", src)})`,
      );
      answers.push(normalize(rows));
    };
    for (const table of SERIES) for (const q of QUESTIONS[table]) await ask(q, table);
    await ask(DEPTH.duck, "book_snapshots");
    return answers;
  } finally {
    duck.close();
  }
}

/** Rows left in the storage of each series, for the day. */
async function storedRows(sql: Sql, day: string): Promise<Record<string, number>> {
  const tables = ["price_snapshot_data", "book_snapshot_data", "quote_data", "trades"];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from ${table}
       where ts >= $1::timestamptz and ts < $1::timestamptz + interval '1 day'`,
      [`${day}T00:00:00Z`],
    );
    counts[table] = row!.n;
  }
  return counts;
}

const NONE = { price_snapshot_data: 0, book_snapshot_data: 0, quote_data: 0, trades: 0 };
const SEEDED = { price_snapshot_data: 8, book_snapshot_data: 8, quote_data: 8, trades: 8 };

Deno.test("pmcollect export --retain-days: DuckDB over a dropped day's files answers as the views did (server)", async () => {
  await withDatabase("server", async (db) => {
    await seedSeries(db.sql);
    const before = { [OLD_DAY]: await sqlAnswers(db.sql, OLD_DAY) };
    assertEquals(before[OLD_DAY]![0]!.length, 2, "two tokens priced");
    const out = await Deno.makeTempDir({ prefix: "pmcollect_export_answers_" });
    try {
      const env = { DATABASE_URL: db.url!, PMCOLLECT_LOG_LEVEL: "error" };
      // The default tables: the three views and trades; every day is older than a day.
      assertEquals(await main(["export", "--out", out, "--retain-days", "1"], env), 0);
      assertEquals(await storedRows(db.sql, OLD_DAY), NONE);
      assertEquals(await storedRows(db.sql, KEPT_DAY), NONE);
      assertEquals(await duckAnswers(out, OLD_DAY), before[OLD_DAY]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

for (const backend of BACKENDS) {
  Deno.test(`exported days answer in DuckDB as the views do, before and after retention (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await seedSeries(db.sql);
      const out = await Deno.makeTempDir({ prefix: "pmcollect_export_answers_" });
      try {
        const signal = new AbortController().signal;
        const expected: Record<string, string[][][]> = {};
        for (const day of [OLD_DAY, KEPT_DAY]) {
          expected[day] = await sqlAnswers(db.sql, day);
          for (const table of SERIES) {
            await exportPartition(db.sql, dayPartition(table, "ts", day), {
              out,
              program: "test",
              signal,
            });
          }
          assertEquals(await duckAnswers(out, day), expected[day]);
        }
        for (const table of SERIES) {
          const done = await applyRetention(db.sql, table, {
            out,
            retainDays: 1,
            now: RETENTION_NOW,
            dryRun: false,
            signal,
          });
          assertEquals(done.map((o) => [o.days, o.action]), [[OLD_DAY, "dropped"]]);
        }
        assertEquals(await storedRows(db.sql, OLD_DAY), NONE);
        assertEquals(await storedRows(db.sql, KEPT_DAY), SEEDED);
        // The dropped day now lives in its files only, and they still answer as the views did.
        assertEquals(await duckAnswers(out, OLD_DAY), expected[OLD_DAY]);
        assertEquals(await sqlAnswers(db.sql, KEPT_DAY), expected[KEPT_DAY]);
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}
