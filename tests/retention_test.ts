/**
 * Retention on plain PostgreSQL: only days whose export verifies (files intact, database rows
 * and checksum unchanged) are deleted; a tampered file, a day never exported, a day that
 * changed after its export (a late row, or one value changed at the same row count) and the
 * dry run all leave the database untouched. Under
 * TEST_EXPECT_TIMESCALE=1 the same story runs on a hypertable with one-day chunks, one of them
 * compressed: retention there is `drop_chunks` of whole verified chunks.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { BACKENDS, EXPECT_TIMESCALE, withDatabase } from "./_db.ts";
import type { Sql } from "../db/client.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import {
  applyRetention,
  type RetentionOptions,
  type RetentionOutcome,
} from "../export/retention.ts";

const NOW = new Date("2026-12-01T08:00:00Z");

async function seed(sql: Sql, hypertable = false): Promise<void> {
  await sql.unsafe(`create table series (ts timestamptz not null, token_id text not null,
    price numeric, primary key (token_id, ts))`);
  if (hypertable) {
    // As the migrations install it: in `public`, which a test schema's search path leaves out.
    await sql.unsafe("create extension if not exists timescaledb with schema public");
    await sql.unsafe(
      `select public.create_hypertable('series', 'ts', chunk_time_interval => interval '1 day')`,
    );
  }
  // Four old days (26th–29th of November) and one recent day (the 30th).
  await sql.unsafe(`insert into series
    select d + make_interval(mins => g), 't' || g, round(random()::numeric, 3)
    from unnest(array['2026-11-26','2026-11-27','2026-11-28','2026-11-29','2026-11-30']
                ::timestamptz[]) d, generate_series(0, 9) g`);
}

async function rowsPerDay(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ day: string; n: number }[]>`
    select to_char(ts at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
    from series group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.day, r.n]));
}

/**
 * Exports the 26th, 27th, 28th and 30th into a fresh folder; then one byte of the 27th's
 * Parquet file changes and a late row lands in the 28th after its export. The 29th is never
 * exported. Runs `fn` with retention options for that folder (1 day kept, now = NOW), then
 * removes it.
 */
async function withSpoiledExport(
  sql: Sql,
  fn: (options: Omit<RetentionOptions, "dryRun">) => Promise<void>,
): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "pmcollect_retention_" });
  try {
    const signal = new AbortController().signal;
    for (const day of ["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-30"]) {
      await exportPartition(sql, dayPartition("series", "ts", day), {
        out,
        program: "test",
        signal,
      });
    }
    const tampered = join(out, "series", "date=2026-11-27", "part-00000.parquet");
    const bytes = await Deno.readFile(tampered);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
    await Deno.writeFile(tampered, bytes);
    await sql`insert into series values ('2026-11-28T23:00:00Z', 'late', 0.5)`;
    await fn({ out, retainDays: 1, now: NOW, signal });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const brief = (o: readonly RetentionOutcome[]) =>
  o.map((x) =>
    `${x.days} ${x.action}${x.reason === undefined ? "" : ` ${x.reason.split(" ")[0]}`}`
  );

for (const backend of BACKENDS) {
  Deno.test(`applyRetention() drops only verified days, refuses tampered or stale exports (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await seed(db.sql);
      await withSpoiledExport(db.sql, async (options) => {
        const dry = await applyRetention(db.sql, "series", { ...options, dryRun: true });
        assertEquals(brief(dry), [
          "2026-11-26 would_drop",
          "2026-11-27 skipped files:",
          "2026-11-28 skipped database",
          "2026-11-29 skipped not",
        ]);
        const before = await rowsPerDay(db.sql);
        assertEquals(before["2026-11-26"], 10);

        const done = await applyRetention(db.sql, "series", { ...options, dryRun: false });
        assertEquals(brief(done), [
          "2026-11-26 dropped",
          "2026-11-27 skipped files:",
          "2026-11-28 skipped database",
          "2026-11-29 skipped not",
        ]);
        assertEquals(done[0]?.rows, 10);
        assertEquals(await rowsPerDay(db.sql), {
          "2026-11-27": 10,
          "2026-11-28": 11,
          "2026-11-29": 10,
          "2026-11-30": 10,
        });
        // Nothing left to drop on a second run for the 26th; the others stay refused.
        const again = await applyRetention(db.sql, "series", { ...options, dryRun: false });
        assertEquals(brief(again), [
          "2026-11-27 skipped files:",
          "2026-11-28 skipped database",
          "2026-11-29 skipped not",
        ]);
      });
    });
  });
}

Deno.test("applyRetention() skips a view and says to use its base table", async () => {
  await withDatabase("embedded", async (db) => {
    await seed(db.sql);
    await db.sql.unsafe("create view series_view as select * from series");
    const out = await Deno.makeTempDir({ prefix: "pmcollect_retention_" });
    try {
      const outcomes = await applyRetention(db.sql, "series_view", {
        out,
        retainDays: 1,
        now: NOW,
        dryRun: false,
      });
      assertEquals(brief(outcomes), ["* skipped a"]);
      assertEquals(Object.values(await rowsPerDay(db.sql)).reduce((a, b) => a + b), 50);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test({
  name: "applyRetention() on a TimescaleDB hypertable drops only whole verified chunks",
  ignore: !EXPECT_TIMESCALE,
  fn: () =>
    withDatabase("server", async (db) => {
      await seed(db.sql, true);
      await db.sql.unsafe(`alter table series set (timescaledb.compress,
        timescaledb.compress_segmentby = 'token_id')`);
      await db.sql.unsafe(`select public.compress_chunk(c) from public.show_chunks('series',
        older_than => '2026-11-27T00:00:00Z'::timestamptz) c`);
      const chunks = async () =>
        (await db.sql<
          { n: number }[]
        >`select count(*)::int as n from public.show_chunks('series')`)[0]!.n;
      assertEquals(await chunks(), 5);
      await withSpoiledExport(db.sql, async (options) => {
        const dry = await applyRetention(db.sql, "series", { ...options, dryRun: true });
        assertEquals(dry.filter((o) => o.action === "would_drop").length, 1, JSON.stringify(dry));
        assertEquals(await chunks(), 5);
        const done = await applyRetention(db.sql, "series", { ...options, dryRun: false });
        const dropped = done.filter((o) => o.action === "dropped");
        assertEquals(dropped.length, 1, JSON.stringify(done));
        assertEquals(dropped[0]!.days.startsWith("2026-11-26"), true, JSON.stringify(done));
        assertEquals(dropped[0]!.rows, 10);
        assertEquals(await chunks(), 4);
        assertEquals(await rowsPerDay(db.sql), {
          "2026-11-27": 10,
          "2026-11-28": 11,
          "2026-11-29": 10,
          "2026-11-30": 10,
        });
      });
    }),
});

const CONTENT_CASES = [
  ...BACKENDS.map((backend) => ({ backend, hypertable: false })),
  ...(EXPECT_TIMESCALE ? [{ backend: "server" as const, hypertable: true }] : []),
];

for (const { backend, hypertable } of CONTENT_CASES) {
  const where = hypertable ? "timescale hypertable" : backend;
  Deno.test(`applyRetention() keeps a day whose content changed at the same row count (${where})`, async () => {
    await withDatabase(backend, async (db) => {
      await seed(db.sql, hypertable);
      const out = await Deno.makeTempDir({ prefix: "pmcollect_retention_" });
      try {
        const signal = new AbortController().signal;
        for (const day of ["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"]) {
          await exportPartition(db.sql, dayPartition("series", "ts", day), {
            out,
            program: "test",
            signal,
          });
        }
        // One value of the 27th changes after its export; the day still holds 10 rows.
        const changed = await db.sql`update series set price = price + 0.001
          where ts = '2026-11-27T00:05:00Z' and token_id = 't5'`;
        assertEquals(changed.count, 1);
        const before = await rowsPerDay(db.sql);
        assertEquals(before["2026-11-27"], 10);
        const options = { out, retainDays: 1, now: NOW, signal };
        for (const dryRun of [true, false]) {
          const outcomes = await applyRetention(db.sql, "series", { ...options, dryRun });
          const refused = outcomes.filter((o) => o.action === "skipped");
          assertEquals(refused.length, 1, JSON.stringify(outcomes));
          assertEquals(refused[0]!.days.includes("2026-11-27"), true, JSON.stringify(outcomes));
          assertEquals(refused[0]!.staleDays, ["2026-11-27"]);
          const reason = refused[0]!.reason ?? "";
          assertEquals(
            /the same 10 rows, but their content changed .*: export the day again$/.test(reason),
            true,
            reason,
          );
        }
        // The changed day is still all there, the changed value with it; the other days went.
        assertEquals(await rowsPerDay(db.sql), { "2026-11-27": 10, "2026-11-30": 10 });
        const [kept] = await db.sql<{ n: number }[]>`select count(*)::int as n from series
          where ts = '2026-11-27T00:05:00Z' and token_id = 't5'`;
        assertEquals(kept!.n, 1);
        // Exported again, the day verifies and goes.
        await exportPartition(db.sql, dayPartition("series", "ts", "2026-11-27"), {
          out,
          program: "test",
          signal,
        });
        const again = await applyRetention(db.sql, "series", { ...options, dryRun: false });
        assertEquals(again.map((o) => o.action), ["dropped"]);
        assertEquals(await rowsPerDay(db.sql), { "2026-11-30": 10 });
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}
