/**
 * Packing on TimescaleDB window after window, as a running server goes (issue 26): three
 * consecutive 6-hour windows of a recorded simulator stream, each packed with the server's own
 * compression and rollup jobs run between them (`CALL run_job`), the second while the first
 * window's chunk is compressed, the third after its own chunk was compressed (a collector that
 * was down longer than `compress_after`), then late rows of another session written into the
 * first window, merged, compressed and rolled up by then, and that window packed again. The
 * packer runs on connections that take a generic plan for every prepared statement and allow
 * 100 decompressed tuples per transaction (a strict server, scaled to this test): packing must
 * touch nothing outside its window, decompress what it needs of its own, and leave `book_events`
 * exactly as it was, every row stored once, as a row or in a pack. TimescaleDB only
 * (TEST_EXPECT_TIMESCALE=1); tests/stream_pack_test.ts covers packing on both backends.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { Sql } from "../db/client.ts";
import { type BookEventRow, insertBookEvents } from "../db/book_events.ts";
import { migrate } from "../db/migrate.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { PACK_WINDOW_MS, packWindow } from "../stream/packer.ts";
import { testRecorder } from "./_recorder.ts";
import { EXPECT_TIMESCALE, type TestDatabase, withDatabase } from "./_db.ts";

const DAY = 86_400_000;
/**
 * A UTC midnight three days back by the server's clock, which the policies read: every window
 * is past `compress_after`, and the day chunk the three merge into is past the rollup interval.
 */
const START = Math.floor((Date.now() - 3 * DAY) / DAY) * DAY;
const WINDOWS = [0, 1, 2].map((i) => START + i * PACK_WINDOW_MS);

/** Frames of the realistic model over 20 markets, by window (receive time), books first. */
function framesByWindow(): { text: string; at: number; conn: number }[][] {
  let nowMs = START;
  const universe = createUniverse({ markets: 20, seed: 26, now: START });
  const world = new World(universe, { seed: 26, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const out: { text: string; at: number; conn: number }[][] = [[], [], []];
  const open = universe.markets.filter((m) => m.status === "open");
  for (const [i, m] of open.entries()) {
    for (const o of [0, 1] as const) {
      out[0]!.push({ text: JSON.stringify([wsBook(m, world.book(m), o)]), at: START, conn: i % 2 });
    }
  }
  const stepMs = (20 * 1000) / model.eventsPerSecond;
  for (let step = 1; step * stepMs < 3 * PACK_WINDOW_MS - 60_000; step++) {
    nowMs = START + Math.round(step * stepMs);
    const messages = world.stepRealistic(model, 20).map((e) => e.message);
    const at = nowMs + 40;
    out[Math.floor((at - START) / PACK_WINDOW_MS)]!.push({
      text: JSON.stringify(messages),
      at,
      conn: step % 2,
    });
  }
  return out;
}

interface Chunk {
  readonly name: string;
  readonly start: Date;
  readonly end: Date;
  readonly compressed: boolean;
  /** Rows in the chunk's own (uncompressed) table, and those of them before `since`. */
  readonly heap: number;
  readonly heapBefore: number;
}

async function chunks(db: TestDatabase, since: number): Promise<Chunk[]> {
  const list = await db.sql<{ name: string; start: Date; end: Date; compressed: boolean }[]>`
    select format('%I.%I', chunk_schema, chunk_name) as name, range_start as start,
           range_end as "end", is_compressed as compressed
    from timescaledb_information.chunks
    where hypertable_schema = ${db.schema} and hypertable_name = 'book_event_rows'
    order by range_start`;
  const out: Chunk[] = [];
  for (const c of list) {
    const [h] = await db.sql.unsafe<{ heap: number; before: number }[]>(
      `select count(*)::int as heap, count(*) filter (where received_at < $1)::int as before
       from only ${c.name}`,
      [new Date(since)],
    );
    out.push({ ...c, heap: h!.heap, heapBefore: h!.before });
  }
  return out;
}

/** The view whole, and how many rows are stored (rows + packed rows). */
async function state(db: TestDatabase) {
  const view = await db.sql`select * from book_events order by session, seq`;
  const [n] = await db.sql<{ rows: number; packed: number; packs: number }[]>`
    select (select count(*)::int from book_event_rows) as rows,
           (select coalesce(sum(n), 0)::int from book_event_packs) as packed,
           (select count(*)::int from book_event_packs) as packs`;
  return { view, ...n! };
}

/** Level rows of the window the packer should have moved and did not. */
async function leftToPack(db: TestDatabase, w: number): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from book_event_rows
    where received_at >= ${new Date(w)} and received_at < ${new Date(w + PACK_WINDOW_MS)}
      and kind in (1, 2, 9) and exact is null`;
  return r!.n;
}

async function runJobs(db: TestDatabase, ts: string, which: "compression" | "rollup") {
  const jobs = await db.sql<{ id: number }[]>`
    select job_id as id from timescaledb_information.jobs
    where ${
    which === "compression"
      ? db.sql`proc_name = 'policy_compression' and hypertable_schema = ${db.schema}
               and hypertable_name = 'book_event_rows'`
      : db.sql`proc_name = 'rebatch_rollups' and proc_schema = ${db.schema}
               and to_regclass(config->>'hypertable') = 'book_event_rows'::regclass`
  }`;
  assert.equal(jobs.length, 1, `one ${which} job for book_event_rows`);
  await db.sql.unsafe(`call ${ts}.run_job(${jobs[0]!.id})`);
}

Deno.test({
  name: "packing three windows between the compression and rollup jobs loses nothing, " +
    "stores nothing twice and touches only its window (TimescaleDB)",
  ignore: !EXPECT_TIMESCALE,
  fn: async () => {
    await withDatabase("server", async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: "require" });
      const ts = `"${(await timescaleSchema(db.sql))!}"`;
      // Only this test runs the schema's jobs, when a server would have.
      await db.sql.unsafe(
        `select ${ts}.alter_job(job_id, scheduled => false) from timescaledb_information.jobs
         where hypertable_schema = $1 or proc_schema = $1`,
        [db.schema],
      );
      const packer: Sql = postgres(db.url!, {
        max: 4,
        onnotice: () => {},
        connection: {
          plan_cache_mode: "force_generic_plan",
          "timescaledb.max_tuples_decompressed_per_dml_transaction": "100",
        },
      });
      try {
        const frames = framesByWindow();
        const rec = testRecorder(db.sql);
        const record = async (i: number) => {
          for (const f of frames[i]!) rec.record(parseWsFrame(f.text, f.at).messages, f.conn);
          await rec.flush();
        };
        const pack = async (i: number) => {
          const before = await state(db);
          const r = await packWindow(packer, new Date(WINDOWS[i]!));
          const after = await state(db);
          assert.ok(r.rows > 0 && r.packs > 0, `window ${i + 1}: ${r.rows} rows packed`);
          assert.equal(await leftToPack(db, WINDOWS[i]!), 0, `window ${i + 1}: all packed`);
          assert.equal(after.rows, before.rows - r.rows);
          assert.equal(after.packed, before.packed + r.rows);
          assert.deepEqual(after.view, before.view, `window ${i + 1}: the view is unchanged`);
          return r;
        };

        // Window 1, packed after it ends, then compressed by the policy an hour later.
        await record(0);
        await pack(0);
        await runJobs(db, ts, "compression");
        let c = await chunks(db, WINDOWS[1]!);
        assert.deepEqual(c.map((x) => [x.start.getTime(), x.compressed, x.heap]), [
          [WINDOWS[0], true, 0],
        ]);

        // Window 2, while window 1's chunk is compressed: nothing of it is decompressed.
        await record(1);
        await pack(1);
        c = await chunks(db, WINDOWS[1]!);
        assert.deepEqual(c.map((x) => [x.start.getTime(), x.compressed, x.heap]), [
          [WINDOWS[0], true, 0],
          [WINDOWS[1], false, c[1]!.heap],
        ], "packing window 2 left window 1's compressed chunk as it was");
        await runJobs(db, ts, "compression");
        await runJobs(db, ts, "rollup");
        c = await chunks(db, WINDOWS[2]!);
        assert.deepEqual(c.map((x) => [x.start.getTime(), x.end.getTime(), x.compressed]), [
          [WINDOWS[0], WINDOWS[2], true],
        ], "window 2's chunk merged into window 1's");

        // Window 3, compressed (merged into the same chunk) before it is packed.
        await record(2);
        await runJobs(db, ts, "compression");
        c = await chunks(db, WINDOWS[2]!);
        assert.deepEqual(c.map((x) => [x.end.getTime(), x.compressed, x.heap]), [
          [WINDOWS[2] + PACK_WINDOW_MS, true, 0],
        ], "window 3 is compressed before it is packed");
        await pack(2);
        c = await chunks(db, WINDOWS[2]!);
        assert.equal(c.length, 1);
        assert.equal(c[0]!.heapBefore, 0, "nothing of windows 1 and 2 was decompressed");
        assert.ok(c[0]!.heap > 0, "window 3's rows that stay rows are decompressed");
        await runJobs(db, ts, "compression");
        await runJobs(db, ts, "rollup");

        // Late rows of another session (a spill file) into window 1, long compressed: packed
        // again, and only they move.
        const [token] = await db.sql<{ id: string }[]>`
          select token_id as id from token_keys order by token_key limit 1`;
        const late: BookEventRow[] = [];
        for (let i = 0; i < 30; i++) {
          const at = WINDOWS[0]! + 3_600_000 + i * 1000;
          late.push({
            session: 2,
            seq: 1 + i,
            conn: 0,
            tokenId: token!.id,
            kind: 2,
            side: (i % 2) as 0 | 1,
            price: String((40 + i) / 100),
            size: String(10 + i),
            ts: at - 30,
            receivedAt: at,
          });
        }
        await insertBookEvents(db.sql, late, { method: "copy" });
        const r = await pack(0);
        assert.equal(r.rows, late.length);
        // Decompressed: at most the batches of the late rows' token in window 1, no other; what
        // stays of them is its rows that stay rows. (2.28.3 decompresses none: the delete names
        // the rows it wants by their kind, and no compressed batch of the token holds one.)
        c = await chunks(db, WINDOWS[0]!);
        assert.equal(c.length, 1);
        const [heap] = await db.sql.unsafe<{ n: number; other: number; stays: number }[]>(
          `select count(*)::int as n,
                  count(*) filter (where k.token_key is null or h.received_at >= $2)::int as other,
                  (select count(*)::int from book_event_rows r join token_keys k using (token_key)
                   where k.token_id = $3 and r.received_at >= $1 and r.received_at < $2) as stays
           from only ${c[0]!.name} h left join token_keys k on k.token_key = h.token_key
             and k.token_id = $3`,
          [new Date(WINDOWS[0]!), new Date(WINDOWS[1]!), token!.id],
        );
        assert.equal(heap!.other, 0, "nothing of another token or window was decompressed");
        assert.ok(heap!.n <= heap!.stays, `${heap!.n} rows decompressed of ${heap!.stays}`);
        assert.ok(heap!.stays > 0);

        // The server's jobs again: the chunk is compressed whole again, the stream unchanged.
        const before = await state(db);
        await runJobs(db, ts, "compression");
        await runJobs(db, ts, "rollup");
        c = await chunks(db, WINDOWS[0]!);
        assert.deepEqual(c.map((x) => [x.compressed, x.heap]), [[true, 0]]);
        const after = await state(db);
        assert.deepEqual(after, before);
        // Every event recorded and every late row is in the view, once.
        const [counted] = await db.sql<{ n: number; distinct: number }[]>`
          select count(*)::int as n, count(distinct (session, seq))::int as distinct
          from book_events`;
        assert.equal(counted!.n, counted!.distinct);
        assert.equal(counted!.n, rec.stats.rowsRecorded + late.length);
        assert.ok(after.packed > 0.5 * (after.rows + after.packed), "most rows are packed");
      } finally {
        await packer.end();
      }
    });
  },
});
