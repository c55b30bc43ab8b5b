/**
 * The recorded stream as Parquet (docs/stream.md): `book_events` cut by `received_at` days and
 * `token_keys` exported whole, read back with DuckDB alone, give the same book as `bookAt`,
 * rebuilt by the plain SQL recipe the document gives to research tools.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { PACK_WINDOW_MS } from "../db/book_events.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { duckString, openDuckDb } from "../export/_duckdb.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { bookAt } from "../stream/book_at.ts";
import { packWindow } from "../stream/packer.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

const FIXTURE = new URL(
  "./fixtures/polymarket/ws-market/sequence_book_then_price_changes_2026-09.json",
  import.meta.url,
);
const T0 = Date.UTC(2026, 10, 30, 12, 0);

Deno.test("book_events exported as Parquet rebuild the same book with DuckDB alone", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>[];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql, { checkpointEvery: 20 });
    raw.slice(0, -1).forEach((m, i) =>
      rec.record(parseWsFrame(JSON.stringify(m), T0 + i).messages, 0)
    );
    await rec.flush();
    const token = String(raw[0]!.asset_id);
    const expected = await bookAt(db.sql, token);
    assert.ok(expected.covered);
    const out = await Deno.makeTempDir({ prefix: "pmcollect_stream_export_" });
    const signal = new AbortController().signal;
    try {
      const day = new Date(T0).toISOString().slice(0, 10);
      const m = await exportPartition(db.sql, dayPartition("book_events", "received_at", day), {
        out,
        program: "pmcollect test",
        signal,
      });
      assert.equal(m.rows, rec.stats.rowsRecorded);
      await exportPartition(db.sql, { table: "token_keys", timeColumn: null, day: null }, {
        out,
        program: "pmcollect test",
        signal,
      });
      const duck = await openDuckDb();
      try {
        const events = duckString(join(out, "book_events", "*", "*.parquet"));
        const keys = duckString(join(out, "token_keys", "*", "*.parquet"));
        // The recipe of docs/stream.md: from the token's last snapshot (kind 0), the last
        // value of each (side, price) in arrival order; size 0 means no level.
        const rows = await duck.rows(`
          with e as (
            select e.* from read_parquet(${events}) e
            join read_parquet(${keys}) k using (token_key)
            where k.token_id = ${duckString(token)}),
          s as (select session, seq from e where kind = 0 order by session desc, seq desc limit 1),
          l as (
            select side, price, size,
                   row_number() over (partition by side, price order by e.seq desc) as r
            from e, s where e.session = s.session and e.seq >= s.seq and e.kind in (1, 2))
          select side, (price / 1e6)::varchar as price, (size / 1e6)::varchar as size
          from l where r = 1 and size > 0
          order by side, case when side = 0 then -price else price end`);
        const trim = (x: string) => x.includes(".") ? x.replace(/\.?0+$/, "") : x;
        const side = (s: number) =>
          rows.filter((r) => r.side === s).map((r) => [
            trim(String(r.price)),
            trim(String(r.size)),
          ]);
        assert.deepEqual(side(0), expected.book.bids);
        assert.deepEqual(side(1), expected.book.asks);
      } finally {
        duck.close();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("a day of the stream is exported a window at a time: files of different windows never overlap", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>[];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql);
    // One frame every 10 minutes from 12:00: the day's rows span two packing windows.
    raw.forEach((m, i) =>
      rec.record(parseWsFrame(JSON.stringify(m), T0 + i * 10 * 60_000).messages, 0)
    );
    await rec.flush();
    const windows = new Set(raw.map((_, i) => Math.floor((T0 + i * 10 * 60_000) / PACK_WINDOW_MS)));
    const out = await Deno.makeTempDir({ prefix: "pmcollect_stream_hours_" });
    try {
      const day = new Date(T0).toISOString().slice(0, 10);
      const m = await exportPartition(db.sql, dayPartition("book_event_rows", "received_at", day), {
        out,
        program: "pmcollect test",
        signal: new AbortController().signal,
      });
      assert.ok(windows.size > 1);
      assert.equal(m.files.length, windows.size, "one file per window that has rows");
      assert.equal(m.files.reduce((n, f) => n + f.rows, 0), m.rows);
      const key = (k: readonly string[] | undefined) => k!.map(BigInt);
      for (let i = 1; i < m.files.length; i++) {
        const [ps, pq] = key(m.files[i - 1]!.last);
        const [s, q] = key(m.files[i]!.first);
        assert.ok(s! > ps! || (s === ps && q! > pq!), `file ${i} starts after file ${i - 1} ends`);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("retention of the stream applies to its stored rows, once they are exported", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>[];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql);
    raw.forEach((m, i) => rec.record(parseWsFrame(JSON.stringify(m), T0 + i).messages, 0));
    await rec.flush();
    // Most level rows packed (migration 0013): retention drops the packs with their day.
    assert.ok((await packWindow(db.sql, new Date(T0))).rows > 0);
    const out = await Deno.makeTempDir({ prefix: "pmcollect_stream_retention_" });
    const signal = new AbortController().signal;
    const options = { out, retainDays: 1, now: new Date(T0 + 3 * 86_400_000), signal };
    try {
      const viewOutcome = await applyRetention(db.sql, "book_events", {
        ...options,
        dryRun: false,
        timeColumn: "received_at",
      });
      assert.deepEqual(viewOutcome.map((o) => o.action), ["skipped"]);
      const day = new Date(T0).toISOString().slice(0, 10);
      await exportPartition(db.sql, dayPartition("book_event_rows", "received_at", day), {
        out,
        program: "pmcollect test",
        signal,
      });
      const [stored] = await db.sql<{ n: number }[]>`
        select ((select count(*) from book_event_rows) +
                (select coalesce(sum(n), 0) from book_event_packs))::int as n`;
      const outcome = await applyRetention(db.sql, "book_event_rows", {
        ...options,
        dryRun: false,
        timeColumn: "received_at",
      });
      assert.deepEqual(outcome.map((o) => o.action), ["dropped"]);
      assert.equal(outcome[0]!.rows, stored!.n);
      const [left] = await db.sql<{ n: number; packs: number }[]>`
        select (select count(*)::int from book_events) as n,
               (select count(*)::int from book_event_packs) as packs`;
      assert.deepEqual(left, { n: 0, packs: 0 });
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});
