/**
 * What a compressed book costs per row and per distinct book, column by column (issue 26).
 *
 * Books for `--tokens` tokens are taken every 5 minutes over `--hours` simulated hours from the
 * simulator under the realistic activity model, turned into rows as the books collector does
 * (REST book → parseBook → toBookRow) and written with the real writer (insertBookSnapshots).
 * The same rows are copied into a twin hypertable in the encoding before migration 0023 (the
 * hash as 40 hex characters of text), and into a second twin that keeps only the levels that
 * changed (a layout not built, measured here: see copyDelta), with the same chunks and
 * compression settings. All three are compressed the same way, as the server's jobs leave them:
 * every chunk oldest first (each merges into the one before it, migration 0012), then every
 * merged chunk recompressed once (the rebatch job's re-cut into batches of up to 1,000 rows). The simulated hours end more than
 * a rollup interval ago, as a week the job has re-cut.
 *
 * Printed for each table: rows, distinct books (levels changed since the token's previous book),
 * compressed batches and bytes; then, per column of the compressed chunks, bytes per row and a
 * least-squares fit of its bytes in each batch to a fixed cost, a cost per distinct book and a
 * cost per row (the whole batch row too: the outside run found 686 B + 92.8 B per
 * distinct book + 5.1 B per row). Then the time to read every hash back as text from either
 * table, as a ratio; last, how many levels a distinct book changes (added, resized or removed)
 * against its levels.
 *
 * Run: `deno task bench books` (400 tokens × 96 h), or e.g.
 * `deno run -A bench/books_bench.ts --tokens 400 --hours 170` (the figures in docs/schema.md),
 * against TEST_DATABASE_URL (TimescaleDB; plain PostgreSQL compresses nothing: it says so).
 */
import { parseArgs } from "node:util";
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { pauseJobs } from "./_compress_as_policy.ts";
import { batchColumnFit } from "./_book_batch_columns.ts";
import { bookRows } from "./_book_rows.ts";

const BOOK_EVERY_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** The simulated hours end this long before now: past the 7-day rollup, so re-cut as a week. */
const ENDED_AGO_MS = 8 * DAY_MS;
const BEFORE = "book_snapshot_before";

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      tokens: { type: "string", default: "400" },
      hours: { type: "string", default: "96" },
    },
  });
  const tokens = 2 * Math.round(Number(values.tokens) / 2);
  const hours = Number(values.hours);
  if (!(tokens >= 2 && tokens <= 20_000) || !(Number.isInteger(hours) && hours >= 6)) {
    throw new RangeError("--tokens must be 2..20,000 and --hours a whole number ≥ 6");
  }
  return { tokens, hours };
}

/** Writes the books of `hours` simulated hours with the real writer; returns the rows written. */
async function writeBooks(sql: Sql, tokens: number, hours: number): Promise<number> {
  const end = Math.floor((Date.now() - ENDED_AGO_MS) / DAY_MS) * DAY_MS;
  const start = end - hours * 3_600_000;
  let nowMs = start;
  const universe = createUniverse({ markets: tokens / 2, seed: 26, now: start });
  const world = new World(universe, { seed: 26, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const open = universe.markets.filter((m) => m.status === "open");
  let written = 0;
  let rows: BookSnapshotRow[] = [];
  for (let t = start; t < end; t += BOOK_EVERY_MS) {
    nowMs = t;
    rows.push(...bookRows(world, open, t));
    for (let second = 0; second < BOOK_EVERY_MS / 1000; second++) {
      nowMs = t + second * 1000;
      world.stepRealistic(model, world.realisticEventsIn(model, 1000));
    }
    if (rows.length >= 20_000) {
      written += await insertBookSnapshots(sql, rows);
      rows = [];
    }
  }
  return written + await insertBookSnapshots(sql, rows);
}

/** The twin in 0022's encoding: the same rows, chunks and compression settings. */
async function copyBefore(sql: Sql, ts: string): Promise<void> {
  await sql.unsafe(`create table ${BEFORE} (like book_snapshot_data including all)`);
  await sql.unsafe(`alter table ${BEFORE} drop column book_hash_bytes`);
  await sql.unsafe(`select ${ts}.create_hypertable('${BEFORE}', 'ts',
    chunk_time_interval => interval '6 hours', create_default_indexes => false)`);
  await sql.unsafe(`alter table ${BEFORE} set (timescaledb.compress,
    timescaledb.compress_segmentby = 'token_key, condition_key',
    timescaledb.compress_orderby = 'ts', timescaledb.compress_chunk_time_interval = '7 days')`);
  const columns = (await sql<{ name: string }[]>`
    select attname as name from pg_attribute
    where attrelid = ${BEFORE}::regclass and attnum > 0 and not attisdropped
    order by attnum`).map((r) => r.name);
  const select = columns.map((c) =>
    c === "book_hash" ? "coalesce(book_hash, encode(book_hash_bytes, 'hex'))" : c
  );
  await sql.unsafe(`insert into ${BEFORE} (${columns.join(", ")})
    select ${select.join(", ")} from book_snapshot_data order by token_key, ts`);
}

/** A full book every this many distinct books of a token in the changed-levels twin. */
const FULL_EVERY = 6;
const DELTA = "book_snapshot_delta";

/**
 * A twin with only the levels that changed (the layout not built, measured): a token's first
 * book and every FULL_EVERY-th distinct book after it keep all their levels (`full`); any other
 * row keeps, per side, the levels added or resized since the token's previous row and the
 * prices removed with size 0, by price (none when the book did not change).
 */
async function copyDelta(sql: Sql, ts: string): Promise<void> {
  await sql.unsafe(`create table ${DELTA} (like book_snapshot_data including all)`);
  await sql.unsafe(`alter table ${DELTA} add column full_book boolean`);
  await sql.unsafe(`select ${ts}.create_hypertable('${DELTA}', 'ts',
    chunk_time_interval => interval '6 hours', create_default_indexes => false)`);
  await sql.unsafe(`alter table ${DELTA} set (timescaledb.compress,
    timescaledb.compress_segmentby = 'token_key, condition_key',
    timescaledb.compress_orderby = 'ts', timescaledb.compress_chunk_time_interval = '7 days')`);
  const side = (p: string, s: string) =>
    `select coalesce(array_agg(p order by p), '{}') as p, coalesce(array_agg(s order by p), '{}') as s
     from (select p, s from unnest(${p}, ${s}) x(p, s)
           where (p, s) not in (select * from unnest(prev_${p}, prev_${s}))
           union all
           select p, 0 from unnest(prev_${p}) x(p) where p <> all(${p})) c`;
  await sql.unsafe(`
    insert into ${DELTA} (ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid,
      spread, bid_size, ask_size, tick_size, book_hash, book_hash_bytes, exact, full_book,
      bid_prices, bid_sizes, ask_prices, ask_sizes)
    select ts, token_key, condition_key, exchange_ts, best_bid, best_ask, mid, spread, bid_size,
           ask_size, tick_size, book_hash, book_hash_bytes, exact, full_book,
           case when full_book then bid_prices else b.p end,
           case when full_book then bid_sizes else b.s end,
           case when full_book then ask_prices else a.p end,
           case when full_book then ask_sizes else a.s end
    from (select *, changed and (sum(changed::int) over w - 1) % ${FULL_EVERY} = 0 as full_book
          from (select *,
                       lag(bid_prices) over w as prev_bid_prices,
                       lag(bid_sizes) over w as prev_bid_sizes,
                       lag(ask_prices) over w as prev_ask_prices,
                       lag(ask_sizes) over w as prev_ask_sizes,
                       (bid_prices, bid_sizes, ask_prices, ask_sizes) is distinct from
                         lag((bid_prices, bid_sizes, ask_prices, ask_sizes)) over w as changed
                from book_snapshot_data window w as (partition by token_key order by ts)) r
          window w as (partition by token_key order by ts)) d
    cross join lateral (${side("bid_prices", "bid_sizes")}) b
    cross join lateral (${side("ask_prices", "ask_sizes")}) a
    order by token_key, ts`);
}

/** Compresses every chunk oldest first (merging), then recompresses each merged chunk once. */
async function compressAsJobs(sql: Sql, ts: string, table: string): Promise<void> {
  const chunks = async (compressed: boolean) =>
    await sql<{ chunk: string }[]>`
      select format('%I.%I', chunk_schema, chunk_name) as chunk
      from timescaledb_information.chunks
      where hypertable_schema = current_schema() and hypertable_name = ${table}
        and is_compressed = ${compressed}
      order by range_start`;
  for (const { chunk } of await chunks(false)) {
    await sql.unsafe(`select ${ts}.compress_chunk($1::regclass)`, [chunk]);
  }
  for (const { chunk } of await chunks(true)) {
    await sql.unsafe(`select ${ts}.compress_chunk($1::regclass, recompress => true)`, [chunk]);
  }
}

/**
 * Levels a distinct book changes against the token's previous book: per side, the (price, size)
 * pairs not in the previous book plus the prices the previous book had and this one has not.
 */
async function changedLevels(sql: Sql): Promise<string> {
  const [r] = await sql<{ books: number; levels: number; changed: number }[]>`
    with b as (
      select bid_prices bp, bid_sizes bs, ask_prices ap, ask_sizes az,
             lag(bid_prices) over w pbp, lag(bid_sizes) over w pbs,
             lag(ask_prices) over w pap, lag(ask_sizes) over w paz,
             row_number() over w as n
      from book_snapshot_data window w as (partition by token_key order by ts))
    select count(*)::float8 as books,
           avg(cardinality(bp) + cardinality(ap))::float8 as levels,
           avg((select count(*) from unnest(bp, bs) x(p, s)
                where (p, s) not in (select * from unnest(pbp, pbs)))
             + (select count(*) from unnest(pbp) x(p) where p <> all(bp))
             + (select count(*) from unnest(ap, az) x(p, s)
                where (p, s) not in (select * from unnest(pap, paz)))
             + (select count(*) from unnest(pap) x(p) where p <> all(ap)))::float8 as changed
    from b
    where n > 1 and (bp, bs, ap, az) is distinct from (pbp, pbs, pap, paz)`;
  return `changed levels: ${r!.books} distinct books after a token's first, ` +
    `${r!.levels.toFixed(1)} levels each on average, of which ${r!.changed.toFixed(2)} ` +
    `added, resized or removed since the token's previous book ` +
    `(${(r!.changed / r!.levels * 100).toFixed(1)}%)`;
}

/**
 * Reading every hash back as text from the compressed rows, the view's expression against the
 * text column before 0023: the fastest of five interleaved runs each, as a ratio.
 */
async function hashReadRatio(sql: Sql): Promise<string> {
  const queries = {
    before: `select sum(length(book_hash)) from ${BEFORE}`,
    after: `select sum(length(coalesce(book_hash, encode(book_hash_bytes, 'hex'))))
            from book_snapshot_data`,
  };
  const best = { before: Infinity, after: Infinity };
  for (let run = 0; run < 5; run++) {
    for (const k of ["before", "after"] as const) {
      const t = performance.now();
      await sql.unsafe(queries[k]);
      best[k] = Math.min(best[k], performance.now() - t);
    }
  }
  return `reading every hash as text: ${best.after.toFixed(0)} ms from the bytes, ` +
    `${best.before.toFixed(0)} ms from the text (${(best.after / best.before).toFixed(2)}×)`;
}

if (import.meta.main) {
  const { tokens, hours } = parseOptions(Deno.args);
  const db = await createTestDatabase("server");
  try {
    const { mode } = await migrate(db.sql, { log: silentLogger(), timescale: "auto" });
    const ts = await timescaleSchema(db.sql);
    if (mode !== "timescale" || ts === null) {
      printText(
        "stdout",
        "books bench: needs TimescaleDB (nothing compresses on plain PostgreSQL)",
      );
      Deno.exit(2);
    }
    await pauseJobs(db.sql);
    printText("stdout", `load before: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const t0 = performance.now();
    const rows = await writeBooks(db.sql, tokens, hours);
    printText(
      "stdout",
      `${rows} book rows written for ${tokens} tokens × ${hours} h ` +
        `in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    await copyBefore(db.sql, `"${ts}"`);
    await copyDelta(db.sql, `"${ts}"`);
    for (const table of [BEFORE, "book_snapshot_data", DELTA]) {
      await compressAsJobs(db.sql, `"${ts}"`, table);
      await db.sql.unsafe(`vacuum analyze ${table}`);
      printText(
        "stdout",
        await batchColumnFit(db.sql, table, {
          extensionSchema: ts,
          levelsFrom: table === DELTA ? BEFORE : table,
        }),
      );
    }
    printText("stdout", await hashReadRatio(db.sql));
    printText("stdout", await changedLevels(db.sql));
    printText("stdout", `load after: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await db.dispose();
  }
}
