/**
 * `pmcollect export` against a real PostgreSQL schema: the Parquet files DuckDB reads back
 * hold exactly the database's rows (numeric scale, µs timestamps, nulls, json, arrays), and a
 * re-export replaces a day's folder.
 */
import { insertBookSnapshots } from "../db/books.ts";
import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { join } from "node:path";
import { BACKENDS, withDatabase } from "./_db.ts";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";
import { exportPartition, ExportWouldShrinkError } from "../export/export_partition.ts";
import { dayPartition, useCanonicalText } from "../export/partition.ts";
import { readColumns } from "../export/columns.ts";
import { duckString, openDuckDb, quoteIdent } from "../export/_duckdb.ts";
import { readManifest, verifyFiles } from "../export/manifest.ts";
import type { Sql } from "../db/client.ts";
import { retentionCutoff } from "../export/retention.ts";
import { main } from "../main.ts";

const PROGRAM = "pmcollect test";

/** A table with one column of each kind the export maps, and awkward values. */
export async function createProbe(sql: Sql): Promise<void> {
  await sql.unsafe(`create table probe (
    ts timestamptz not null, token text, price numeric, size numeric(20,6), n bigint,
    i integer, s smallint, f double precision, ok boolean, doc jsonb, tags text[],
    levels numeric[], seen timestamptz[], raw bytea, day date, huge numeric)`);
  await sql.unsafe(`insert into probe values
    ('2026-11-29 23:59:59.999999+00', 'a', 0.520, 1.5, 9007199254740993, 1, 2, 0.1, true,
     '{"b": [1, 2.50], "a": "x"}', '{x,"y z",NULL,""}', '{0.001,0.0025,NULL}',
     '{"2026-11-29 01:02:03.000004+00"}', '\\x00ff', '2026-11-29', 1),
    ('2026-11-30 00:00:00+00', 'b', 0.0025, null, null, null, null, null, null, null, '{}',
     '{}', null, null, null, 123456789012345678901234567890.123456789012345678901),
    ('2026-11-30 12:34:56.123456+00', null, 1, 0.000001, -5, -1, -2, 1e300, false, 'null',
     null, '{1.10}', '{}', '\\x', '2026-11-30', null),
    ('2026-11-30 23:59:59.999999+00', 'c', 0.99999, 999999.999999, 0, 0, 0, -0.5, true,
     '[]', '{"a,b"}', null, null, null, null, 0.5)`);
}

/** One row rendered comparably: decimals without trailing zeros, everything else as text. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value !== "string") return value ?? null;
  if (/^-?\d+\.\d+$/.test(value)) return value.replace(/\.?0+$/, "");
  if (/^-?\d+(\.\d+)?e[+-]?\d+$/i.test(value)) return String(Number(value));
  return value;
}

async function databaseRows(sql: Sql, day: string): Promise<unknown[][]> {
  const columns = await readColumns(sql, "probe");
  return await sql.begin(async (tx) => {
    await useCanonicalText(tx);
    const select = columns.map((c, i) =>
      (c.isArray
        ? `array_to_json(${quoteIdent(c.name)}::text[])::jsonb`
        : `${quoteIdent(c.name)}::text`) + ` as c${i}`
    );
    const rows = await tx.unsafe(
      `select ${select.join(", ")} from probe
       where ts >= $1::date and ts < $1::date + 1 order by ts`,
      [day],
    );
    return rows.map((r) => Object.values(r).map(normalize));
  });
}

async function parquetRows(out: string, day: string): Promise<unknown[][]> {
  const duck = await openDuckDb();
  try {
    await duck.run("set TimeZone = 'UTC'");
    const glob = join(out, "probe", `date=${day}`, "*.parquet");
    const described = await duck.rows(
      `describe select * from read_parquet(${duckString(glob)}, hive_partitioning = false)`,
    );
    const select = described.map((d) => {
      const name = quoteIdent(String(d.column_name));
      const type = String(d.column_type);
      if (type.endsWith("[]")) return `list_transform(${name}, x -> x::varchar) as ${name}`;
      if (type === "BLOB") return `'\\x' || lower(hex(${name})) as ${name}`;
      if (type === "BOOLEAN") {
        return `case when ${name} then 'true' when not ${name} then 'false' end as ${name}`;
      }
      return `${name}::varchar as ${name}`;
    });
    const rows = await duck.rows(
      `select ${select.join(", ")} from read_parquet(${
        duckString(glob)
      }, hive_partitioning = false) order by ts`,
    );
    return rows.map((r) => Object.values(r).map(normalize));
  } finally {
    duck.close();
  }
}

for (const backend of BACKENDS) {
  Deno.test(`exportPartition() writes Parquet that DuckDB reads back as exactly the day's rows (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await createProbe(db.sql);
      const out = await Deno.makeTempDir({ prefix: "pmcollect_export_" });
      try {
        const signal = new AbortController().signal;
        for (const day of ["2026-11-29", "2026-11-30"]) {
          const manifest = await exportPartition(db.sql, dayPartition("probe", "ts", day), {
            out,
            program: PROGRAM,
            signal,
            partRows: 2,
            batchRows: 1,
          });
          assertEquals(manifest.rows, day === "2026-11-29" ? 1 : 3);
          assertEquals(await parquetRows(out, day), await databaseRows(db.sql, day));
          const folder = join(out, "probe", `date=${day}`);
          assertEquals(await verifyFiles(folder, (await readManifest(folder))!), []);
        }
        const manifest = (await readManifest(join(out, "probe", "date=2026-11-30")))!;
        assertEquals(manifest.files.map((f) => f.rows), [2, 1]);
        const types = Object.fromEntries(manifest.columns.map((c) => [c.name, c.parquetType]));
        assertEquals(types.price, "DECIMAL(38,18)");
        assertEquals(types.size, "DECIMAL(20,6)");
        assertEquals(types.ts, "TIMESTAMPTZ");
        assertEquals(types.levels, "DECIMAL(38,18)[]");
        assertEquals(types.doc, "JSON");
        // A value outside DECIMAL(38,18) keeps its exact text in that partition only.
        assertEquals(types.huge, "VARCHAR");
        const first = (await readManifest(join(out, "probe", "date=2026-11-29")))!;
        assertEquals(first.columns.find((c) => c.name === "huge")?.parquetType, "DECIMAL(38,18)");
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}

Deno.test("exportPartition() re-export replaces the day's files and leaves no temporary folder; it never shrinks an export", async () => {
  await withDatabase("server", async (db) => {
    await createProbe(db.sql);
    const out = await Deno.makeTempDir({ prefix: "pmcollect_export_" });
    try {
      const signal = new AbortController().signal;
      const p = dayPartition("probe", "ts", "2026-11-30");
      await exportPartition(db.sql, p, { out, program: PROGRAM, signal, partRows: 1 });
      await db.sql`insert into probe (ts, token) values ('2026-11-30T13:00:00Z', 'late')`;
      const again = await exportPartition(db.sql, p, { out, program: PROGRAM, signal });
      assertEquals(again.rows, 4);
      const names = [];
      for await (const e of Deno.readDir(join(out, "probe"))) names.push(e.name);
      assertEquals(names, ["date=2026-11-30"]);
      const files = [];
      for await (const e of Deno.readDir(join(out, "probe", "date=2026-11-30"))) {
        files.push(e.name);
      }
      assertEquals(files.sort(), ["_manifest.json", "part-00000.parquet"]);
      assertEquals(await parquetRows(out, "2026-11-30"), await databaseRows(db.sql, "2026-11-30"));
      // Fewer rows than exported (as after retention): the export is kept as it is.
      await db.sql`delete from probe where token in ('c', 'late')`;
      await assertRejects(
        exportPartition(db.sql, p, { out, program: PROGRAM, signal }),
        ExportWouldShrinkError,
      );
      assertEquals((await readManifest(join(out, "probe", "date=2026-11-30")))?.rows, 4);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("exportPartition() exports a migrated time-series table (book_snapshots, jsonb levels)", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    // book_snapshots is a view over the compact rows (migration 0008): write through the writer.
    await insertBookSnapshots(db.sql, [{
      ts: new Date("2026-11-30T10:00:00Z"),
      tokenId: "123",
      conditionId: null,
      exchangeTs: null,
      bestBid: "0.48",
      bestAsk: "0.52",
      mid: "0.5",
      spread: "0.04",
      bidSize: "10.5",
      askSize: "3",
      tickSize: null,
      hash: null,
      bids: [{ price: "0.48", size: "10.5" }],
      asks: [{ price: "0.52", size: "3" }],
    }]);
    const out = await Deno.makeTempDir({ prefix: "pmcollect_export_" });
    try {
      const manifest = await exportPartition(
        db.sql,
        dayPartition("book_snapshots", "ts", "2026-11-30"),
        { out, program: PROGRAM, signal: new AbortController().signal },
      );
      assertEquals(manifest.rows, 1);
      const duck = await openDuckDb();
      try {
        const glob = join(out, "book_snapshots", "*", "*.parquet");
        const [row] = await duck.rows(`select token_id, best_bid::varchar as bid, bids::varchar
          as bids, date::varchar as date from read_parquet(${duckString(glob)},
          hive_partitioning = true)`);
        assertEquals(row, {
          token_id: "123",
          bid: "0.480000000000000000",
          bids: '[{"size": "10.5", "price": "0.48"}]',
          date: "2026-11-30",
        });
      } finally {
        duck.close();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("pmcollect export --retain-days exports every day, re-exports a day with late rows, then drops it", async () => {
  await withDatabase("server", async (db) => {
    await createProbe(db.sql);
    const out = await Deno.makeTempDir({ prefix: "pmcollect_export_" });
    try {
      const exportArgs = ["export", "--out", out, "--tables", "probe"];
      const retainArgs = [...exportArgs, "--retain-days", "1"];
      const env = { DATABASE_URL: db.url!, PMCOLLECT_LOG_LEVEL: "error" };
      assertEquals(await main([...retainArgs, "--dry-run"], env), 0);
      assertEquals(await exists(join(out, "probe", "date=2026-11-29")), false);
      const count = async () =>
        (await db.sql<{ n: number }[]>`select count(*)::int as n from probe`)[0]?.n;
      assertEquals(await count(), 4);

      assertEquals(await main(exportArgs, env), 0);
      const folder = join(out, "probe", "date=2026-11-29");
      assertEquals((await readManifest(folder))?.rows, 1);
      // A late row (a backfill) lands in a day already exported.
      await db.sql`insert into probe (ts, token) values ('2026-11-29T12:00:00Z', 'late')`;

      assertEquals(await main(retainArgs, env), 0);
      const cutoff = retentionCutoff(new Date(), 1);
      const [left] = await db.sql<{ old: number }[]>`
        select count(*) filter (where ts < ${cutoff})::int as old from probe`;
      assertEquals(left?.old, 0);
      const manifest = await readManifest(folder);
      assertEquals(manifest?.rows, 2);
      assertEquals(manifest?.program.startsWith("pmcollect "), true);
      // Another late row for the day retention dropped: exporting it again would replace the
      // export of the 2 dropped rows by one of this row alone. The export is kept, the row
      // stays in the database, and retention keeps it.
      await db.sql`insert into probe (ts, token) values ('2026-11-29T13:00:00Z', 'later')`;
      assertEquals(await main(retainArgs, env), 0);
      assertEquals((await readManifest(folder))?.rows, 2);
      assertEquals(
        (await db.sql<{ n: number }[]>`
          select count(*)::int as n from probe where ts::date = '2026-11-29'`)[0]?.n,
        1,
      );
      assertEquals(await main(exportArgs, env), 0);
      assertEquals((await readManifest(folder))?.rows, 2);
      assertEquals(await main(["export", "--tables", "probe"], env), 2);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
