/**
 * Retention of the public views (issue 27): a day of `price_snapshots`, `book_snapshots` and
 * `quotes` is exported as the view (token ids and decimals, no internal keys or millionths),
 * verified against that export, and freed in the table that stores it; a storage table is
 * refused by name, and a day whose storage holds a row the view does not show is kept. On the
 * real PostgreSQL (own schema) and PGlite.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { BACKENDS, withDatabase } from "./_db.ts";
import type { Sql } from "../db/client.ts";
import { exportPartition } from "../export/export_partition.ts";
import { readManifest } from "../export/manifest.ts";
import { dayPartition } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { KEPT_DAY, OLD_DAY, RETENTION_NOW, seedSeries, VIEWS } from "./_export_views_seed.ts";

const STORED = {
  price_snapshots: "price_snapshot_data",
  book_snapshots: "book_snapshot_data",
  quotes: "quote_data",
} as const;

async function storedPerDay(sql: Sql, table: string): Promise<Record<string, number>> {
  const rows = await sql.unsafe<{ day: string; n: number }[]>(
    `select to_char(ts at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
     from ${table} group by 1 order by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.day, r.n]));
}

async function withOut(fn: (out: string) => Promise<void>): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "pmcollect_export_views_" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const signal = new AbortController().signal;
const options = (out: string, dryRun: boolean) => ({
  out,
  retainDays: 1,
  now: RETENTION_NOW,
  dryRun,
  signal,
});

for (const backend of BACKENDS) {
  Deno.test(`applyRetention() frees a verified day of each public view from the table that stores it (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await seedSeries(db.sql);
      await withOut(async (out) => {
        for (const view of VIEWS) {
          const m = await exportPartition(db.sql, dayPartition(view, "ts", OLD_DAY), {
            out,
            program: "test",
            signal,
          });
          assertEquals(m.rows, 8);
          // Readable without this program: token ids and decimals, no keys or millionths.
          const manifest = (await readManifest(join(out, view, `date=${OLD_DAY}`)))!;
          const names = manifest.columns.map((c) => c.name);
          assertEquals(names.includes("token_id"), true);
          assertEquals(names.some((n) => n.endsWith("_key") || n === "exact"), false);
        }
        for (const view of VIEWS) {
          const stored = STORED[view];
          assertEquals(await storedPerDay(db.sql, stored), { [OLD_DAY]: 8, [KEPT_DAY]: 8 });
          const dry = await applyRetention(db.sql, view, options(out, true));
          assertEquals(dry.map((o) => [o.days, o.action, o.rows, o.stored]), [
            [OLD_DAY, "would_drop", 8, stored],
          ]);
          assertEquals(await storedPerDay(db.sql, stored), { [OLD_DAY]: 8, [KEPT_DAY]: 8 });
          const done = await applyRetention(db.sql, view, options(out, false));
          assertEquals(done.map((o) => [o.days, o.action, o.rows, o.stored]), [
            [OLD_DAY, "dropped", 8, stored],
          ]);
          assertEquals(await storedPerDay(db.sql, stored), { [KEPT_DAY]: 8 });
        }
      });
    });
  });

  Deno.test(`applyRetention() keeps a view's day whose storage holds a row the view does not show (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await seedSeries(db.sql);
      // A stored quote whose token key has no token id: invisible in the view, so not in
      // its export either; dropping the day would lose it.
      await db.sql`insert into quote_data (ts, token_key, best_bid, best_ask)
        values (${new Date(`${OLD_DAY}T12:00:00Z`)}, 999999, 400000, 600000)`;
      await withOut(async (out) => {
        await exportPartition(db.sql, dayPartition("quotes", "ts", OLD_DAY), {
          out,
          program: "test",
          signal,
        });
        const outcomes = await applyRetention(db.sql, "quotes", options(out, false));
        assertEquals(outcomes.map((o) => [o.days, o.action, o.reason]), [[
          OLD_DAY,
          "skipped",
          "quote_data holds 9 rows of the day, the view quotes shows 8: not dropped",
        ]]);
        assertEquals(await storedPerDay(db.sql, "quote_data"), { [OLD_DAY]: 9, [KEPT_DAY]: 8 });
      });
    });
  });
}

Deno.test("applyRetention() refuses a storage table by name: its export would hold keys and millionths", async () => {
  await withDatabase("server", async (db) => {
    await seedSeries(db.sql);
    await withOut(async (out) => {
      await exportPartition(db.sql, dayPartition("quote_data", "ts", OLD_DAY), {
        out,
        program: "test",
        signal,
      });
      const outcomes = await applyRetention(db.sql, "quote_data", options(out, false));
      assertEquals(outcomes.map((o) => [o.action, o.reason]), [[
        "skipped",
        "stores the rows of the view quotes: apply retention to quotes, " +
        "whose export holds token ids and decimals",
      ]]);
      assertEquals(await storedPerDay(db.sql, "quote_data"), { [OLD_DAY]: 8, [KEPT_DAY]: 8 });
    });
  });
});
