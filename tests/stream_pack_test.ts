/**
 * Packed level changes (migration 0013, stream/pack.ts, stream/packer.ts): the codec round
 * trips; packing the windows of a recorded simulator stream (with real recorded frames and values
 * that only `exact` holds mixed in) changes nothing a reader sees: the view `book_events`,
 * `book_events_between`, `bookAt` at many instants and the replay are the same before and
 * after, on both backends; SQL's `book_event_unpack` equals `decodePack`; packing again moves
 * nothing; a replayed row that is already packed is not stored twice; a crash between the pack
 * insert and the row delete (a failing statement, or the packer's connection killed) loses and
 * duplicates nothing, and packing again completes.
 */
import assert from "node:assert/strict";
import { type BookEventRow, insertBookEvents } from "../db/book_events.ts";
import { migrate } from "../db/migrate.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { bookAt } from "../stream/book_at.ts";
import { decodePack, encodePack, packable, type PackRow } from "../stream/pack.ts";
import { PACK_WINDOW_MS, packWindow, windowOf } from "../stream/packer.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { testRecorder } from "./_recorder.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { BACKENDS, serverTimescale, type TestDatabase, withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 10, 30, 10, 0);
const HOUR = 3_600_000;
const HOURS = 3;
/** The packing windows the recorded hours (10:00 to 13:00) fall in: 06:00 and 12:00. */
const WINDOWS = [windowOf(T0).getTime(), windowOf(T0).getTime() + PACK_WINDOW_MS];

Deno.test("encodePack/decodePack round trip, negative deltas and large values included", () => {
  let s = 3;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows: PackRow[] = [];
  let seq = 10, at = T0;
  for (let i = 0; i < 500; i++) {
    seq += 1 + Math.floor(rand() * 5000);
    at += Math.floor(rand() * 90_000) - 30_000;
    rows.push({
      seq,
      atMs: at,
      kind: [1, 2, 9][i % 3]!,
      side: i % 2,
      price: Math.floor(rand() * 10_000),
      size: i === 7 ? 2 ** 48 - 1 : Math.floor(rand() * 1e9),
      lag: i === 9 ? -(2 ** 47) : Math.floor(rand() * 200) - 20,
    });
  }
  const data = encodePack(rows);
  assert.deepEqual(
    decodePack(data, { n: rows.length, firstSeq: rows[0]!.seq, firstAtMs: rows[0]!.atMs }),
    rows,
  );
  // Under half of the 38 bytes the columns take at fixed width, for these random values.
  assert.ok(data.length < rows.length * 19, `${data.length} bytes for ${rows.length} rows`);
  assert.throws(() => decodePack(data.slice(0, -1), { n: 500, firstSeq: 0, firstAtMs: 0 }));
  assert.ok(rows.every(packable));
  assert.ok(!packable({ ...rows[0]!, size: 2 ** 48 }), "too large to pack: stays a row");
  assert.ok(!packable({ ...rows[0]!, kind: 0 }), "a snapshot header stays a row");
});

/** Frames of `HOURS` hours of the realistic model over 30 markets, and a few odd ones. */
function frames(): { text: string; at: number; conn: number }[] {
  let nowMs = T0;
  const universe = createUniverse({ markets: 30, seed: 4, now: T0 });
  const world = new World(universe, { seed: 4, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const out: { text: string; at: number; conn: number }[] = [];
  const open = universe.markets.filter((m) => m.status === "open");
  for (const [i, m] of open.entries()) {
    for (const o of [0, 1] as const) {
      out.push({ text: JSON.stringify([wsBook(m, world.book(m), o)]), at: T0, conn: i % 3 });
    }
  }
  const stepMs = (20 * 1000) / model.eventsPerSecond;
  for (let step = 1; step * stepMs < HOURS * HOUR - 1000; step++) {
    nowMs = T0 + Math.round(step * stepMs);
    const messages = world.stepRealistic(model, 20).map((e) => e.message);
    out.push({ text: JSON.stringify(messages), at: nowMs + 40, conn: step % 3 });
  }
  // A level finer than the stored units (kept in `exact`: never packed) in the middle.
  const m = open[0]!;
  const token = JSON.parse(out[0]!.text)[0].asset_id as string;
  out.splice(Math.floor(out.length / 2), 0, {
    text: JSON.stringify({
      event_type: "price_change",
      market: m.conditionId,
      timestamp: String(T0 + HOUR + 5),
      price_changes: [{ asset_id: token, price: "0.5", size: "12.345678", side: "BUY" }],
    }),
    at: T0 + HOUR + 10,
    conn: 0,
  });
  return out.sort((a, b) => a.at - b.at);
}

async function recorded(db: TestDatabase): Promise<string[]> {
  await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
  const rec = testRecorder(db.sql, { method: db.url === undefined ? "unnest" : "copy" });
  for (const f of frames()) {
    const parsed = parseWsFrame(f.text, f.at);
    assert.equal(parsed.rejects.length, 0);
    rec.record(parsed.messages, f.conn);
  }
  await rec.flush();
  return (await db.sql<{ id: string }[]>`select token_id as id from token_keys order by 1`)
    .map((r) => r.id);
}

/** Everything a reader sees. */
async function seen(db: TestDatabase, tokens: readonly string[]) {
  const view = await db.sql`select * from book_events order by session, seq`;
  const between = await db.sql`
    select * from book_events_between(${new Date(T0 + HOUR)}, ${new Date(T0 + 2 * HOUR)})
    order by session, seq`;
  const books: unknown[] = [];
  for (const [i, token] of tokens.entries()) {
    for (const minutes of [0, 7, 59, 61, 95, 150, 179, 240]) {
      books.push(await bookAt(db.sql, token, { at: new Date(T0 + minutes * 60_000 + i * 997) }));
    }
  }
  const replay = [];
  for await (const e of replayBookEvents(db.sql)) replay.push(e);
  const some = [];
  for await (
    const e of replayBookEvents(db.sql, {
      tokenIds: tokens.slice(0, 3),
      from: new Date(T0 + 30 * 60_000),
      to: new Date(T0 + 150 * 60_000),
    })
  ) some.push(e);
  // The day exported as Parquet: its rows and checksum (the export reads packs through
  // book_events_between).
  const out = await Deno.makeTempDir();
  try {
    const m = await exportPartition(
      db.sql,
      dayPartition("book_events", "received_at", "2026-11-30"),
      {
        out,
        program: "test",
        signal: new AbortController().signal,
        // After the day ends: the export refuses a day in progress (export/day_complete.ts).
        now: () => new Date(T0 + 2 * 86_400_000),
      },
    );
    const exported = { rows: m.rows, checksum: m.checksum, files: m.files.map((f) => f.rows) };
    return { view, between, books, replay, some, exported };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

for (const backend of BACKENDS) {
  Deno.test(`packing windows changes nothing a reader sees (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      const tokens = await recorded(db);
      const [before] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from book_event_rows`;
      const was = await seen(db, tokens);
      assert.ok(was.view.length > 2000, `${was.view.length} events`);
      assert.ok(was.between.length > 0);
      let moved = 0;
      for (const w of WINDOWS) moved += (await packWindow(db.sql, new Date(w))).rows;
      const [after] = await db.sql<{ n: number; packs: number }[]>`
        select (select count(*)::int from book_event_rows) as n,
               (select count(*)::int from book_event_packs) as packs`;
      assert.ok(moved > 0.9 * before!.n, `${moved} of ${before!.n} rows packed`);
      assert.equal(after!.n, before!.n - moved);
      assert.ok(after!.packs > 0);
      // The row kept in `exact` is still a row.
      const [exact] = await db.sql`select 1 from book_event_rows where exact is not null`;
      assert.ok(exact !== undefined);
      const now = await seen(db, tokens);
      assert.deepEqual(now.view, was.view);
      assert.deepEqual(now.between, was.between);
      assert.deepEqual(now.books, was.books);
      assert.deepEqual(now.replay, was.replay);
      assert.deepEqual(now.some, was.some);
      assert.deepEqual(now.exported, was.exported);
      assert.equal(was.exported.rows, was.view.length);
      assert.ok(was.books.some((b) => (b as { covered: boolean }).covered));
      // Packing again moves nothing.
      for (const w of WINDOWS) assert.equal((await packWindow(db.sql, new Date(w))).rows, 0);
      // SQL's decoder and the TypeScript one agree.
      const packs = await db.sql<
        { key: number; session: string; first: string; at: Date; n: number; data: Uint8Array }[]
      >`select token_key as key, session, first_seq as first, first_at as at, n, data
        from book_event_packs order by token_key, session, first_seq limit 20`;
      for (const p of packs) {
        const sqlRows = await db.sql<PackRow[]>`
          select seq::float8 as seq, (extract(epoch from received_at) * 1000)::float8 as "atMs",
                 kind, side, price, size::float8 as size, ts_lag::float8 as lag
          from book_event_packs q cross join lateral book_event_unpack(q) u
          where q.token_key = ${p.key} and q.session = ${p.session} and q.first_seq = ${p.first}`;
        assert.deepEqual(
          decodePack(new Uint8Array(p.data), {
            n: p.n,
            firstSeq: Number(p.first),
            firstAtMs: p.at.getTime(),
          }),
          sqlRows.map((r) => ({ ...r })),
        );
      }
    });
  });
}

Deno.test("a replayed row that is already packed is not stored twice", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rows: BookEventRow[] = [];
    rows.push({
      session: 5,
      seq: 1,
      conn: 0,
      tokenId: "77",
      kind: 0,
      side: null,
      price: "0.01",
      size: null,
      ts: T0,
      receivedAt: T0,
    });
    for (let i = 2; i <= 40; i++) {
      rows.push({
        session: 5,
        seq: i,
        conn: 0,
        tokenId: "77",
        kind: 2,
        side: (i % 2) as 0 | 1,
        price: String(i / 100),
        size: String(i * 3),
        ts: T0 + i,
        receivedAt: T0 + i * 10,
      });
    }
    await insertBookEvents(db.sql, rows, { method: "copy" });
    const view = await db.sql`select * from book_events order by session, seq`;
    assert.equal((await packWindow(db.sql, new Date(T0))).rows, 39);
    // A spill file replayed after the hour was packed: COPY, then the idempotent statement.
    for (const method of ["copy", "unnest"] as const) {
      await insertBookEvents(db.sql, rows, { method });
      await insertBookEvents(db.sql, rows.slice(10, 20), { method });
      assert.deepEqual(await db.sql`select * from book_events order by session, seq`, view);
    }
    // A new row after them is stored.
    await insertBookEvents(db.sql, [{ ...rows[5]!, seq: 41, receivedAt: T0 + 500 }], {
      method: "copy",
    });
    assert.equal((await db.sql`select * from book_events`).length, view.length + 1);
  });
});

Deno.test("rows written into a window while a slice is packed stay rows, stored once", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const row = (seq: number): BookEventRow => ({
      session: 5,
      seq,
      conn: 0,
      tokenId: "77",
      kind: 2,
      side: (seq % 2) as 0 | 1,
      price: String(seq / 100),
      size: String(seq * 3),
      ts: T0 + seq,
      receivedAt: T0 + seq * 10,
    });
    const first = Array.from({ length: 40 }, (_, i) => row(i + 1));
    await insertBookEvents(db.sql, first, { method: "copy" });
    // The packer's first pack insert waits for an advisory lock the test holds: it has read
    // its slice's rows by then and not yet deleted them.
    await db.sql.unsafe(`
      create function pack_test_wait() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock_shared(4242);
        return new;
      end $$`);
    await db.sql.unsafe(`
      create trigger pack_test_wait before insert on book_event_packs
      for each row execute function pack_test_wait()`);
    const holder = await db.sql.reserve();
    try {
      await holder`select pg_advisory_lock(4242)`;
      const packing = packWindow(db.sql, new Date(T0));
      for (let waiting = 0; waiting === 0;) {
        await new Promise((r) => setTimeout(r, 20));
        [{ waiting }] = await db.sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_locks
          where locktype = 'advisory' and objid = 4242 and not granted`;
      }
      // A spill file written back meanwhile: rows of the same token, session and window.
      const late = Array.from({ length: 10 }, (_, i) => row(41 + i));
      await insertBookEvents(db.sql, late, { method: "copy" });
      await holder`select pg_advisory_unlock(4242)`;
      assert.equal((await packing).rows, 40, "the rows the packer read, and only those");
    } finally {
      holder.release();
    }
    const [left] = await db.sql<{ seqs: number[] }[]>`
      select array_agg(seq::int order by seq) as seqs from book_event_rows`;
    assert.deepEqual(left!.seqs, Array.from({ length: 10 }, (_, i) => 41 + i));
    const [all] = await db.sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct seq)::int as distinct from book_events`;
    assert.deepEqual(all, { n: 50, distinct: 50 });
    assert.equal((await packWindow(db.sql, new Date(T0))).rows, 10, "packed by the next pass");
  });
});

Deno.test("the recorder packs each window once it is packAfterMs old, between flushes", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    // A wall clock a minute further at every look, from after the second window's end.
    let wall = WINDOWS[1]! + PACK_WINDOW_MS;
    const rec = testRecorder(db.sql, {
      flushMs: 5,
      now: () => (wall += 61_000),
      pack: { sql: db.sql, afterMs: 60_000 },
    });
    for (const f of frames()) rec.record(parseWsFrame(f.text, f.at).messages, f.conn);
    const stop = new AbortController();
    const done = rec.run(stop.signal);
    let windows: number[] = [];
    for (let i = 0; i < 200 && windows.length < WINDOWS.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      windows = (await db.sql<{ at: Date }[]>`
        select distinct first_at as at from book_event_packs`)
        .map((r) => windowOf(r.at.getTime()).getTime());
      windows = [...new Set(windows)].sort();
    }
    stop.abort();
    await done;
    assert.deepEqual(windows, WINDOWS);
    const [packed] = await db.sql<{ n: number }[]>`select sum(n)::int as n from book_event_packs`;
    assert.equal(rec.stats.rowsPacked, packed!.n);
    assert.ok(rec.stats.packedThrough! >= new Date(WINDOWS[1]! + PACK_WINDOW_MS).toISOString());
    const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from book_events`;
    // Every recorded row, and the segment ends of the clean stop.
    assert.equal(n!.n, rec.stats.rowsRecorded);
  });
});

/**
 * Installs a crash at one point of packing, for the upper half of the token keys only (the
 * packer's later slices), so that earlier slices commit first: a real failure inside
 * PostgreSQL, not a mock. "error"
 * raises in a trigger; "kill" terminates the packer's own connection mid-transaction (server
 * only), as a killed process or a cut database would.
 */
async function injectCrash(
  db: TestDatabase,
  at: "pack insert" | "row delete",
  how: "error" | "kill",
): Promise<() => Promise<void>> {
  const [table, when, rec] = at === "pack insert"
    ? ["book_event_packs", "insert", "new"]
    : ["book_event_rows", "delete", "old"];
  const kill = how === "kill" ? "perform pg_terminate_backend(pg_backend_pid());" : "";
  await db.sql.unsafe(`
    create function pack_test_crash() returns trigger language plpgsql as $$
    begin
      if ${rec}.token_key > (select max(token_key) from token_keys) / 2 then
        ${kill}
        raise exception 'injected crash at the ${at}';
      end if;
      return ${rec};
    end $$`);
  await db.sql.unsafe(`
    create trigger pack_test_crash before ${when} on ${table}
    for each row execute function pack_test_crash()`);
  return async () => {
    await db.sql.unsafe(`drop trigger pack_test_crash on ${table}`);
    await db.sql.unsafe(`drop function pack_test_crash()`);
  };
}

const CRASHES = [
  ["server", "pack insert", "error"],
  ["server", "pack insert", "kill"],
  ["server", "row delete", "error"],
  ["server", "row delete", "kill"],
  ["embedded", "pack insert", "error"],
  ["embedded", "row delete", "error"],
] as const;

for (const [backend, at, how] of CRASHES) {
  Deno.test(`a crash at the ${at} (${how}) loses and duplicates nothing; packing again completes (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await recorded(db);
      const view = () => db.sql`select * from book_events order by session, seq`;
      const count = async () => {
        const [r] = await db.sql<{ rows: number; packed: number }[]>`
          select (select count(*)::int from book_event_rows) as rows,
                 (select coalesce(sum(n), 0)::int from book_event_packs) as packed`;
        return r!;
      };
      const was = await view();
      const stored = await count();
      const heal = await injectCrash(db, at, how);
      // The first window's slices before the crash commit; the crashed one must not.
      await assert.rejects(
        packWindow(db.sql, new Date(WINDOWS[0]!)),
        /injected crash|CONNECTION_CLOSED/,
      );
      const crashed = await count();
      assert.ok(crashed.packed > 0, "slices before the crash were packed");
      assert.equal(crashed.rows + crashed.packed, stored.rows, "each row once: a row or packed");
      assert.deepEqual(await view(), was);
      await heal();
      let moved = crashed.packed;
      for (const w of WINDOWS) moved += (await packWindow(db.sql, new Date(w))).rows;
      const done = await count();
      assert.equal(done.packed, moved);
      assert.equal(done.rows + done.packed, stored.rows);
      assert.ok(moved > 0.9 * stored.rows, `${moved} of ${stored.rows} rows packed`);
      assert.deepEqual(await view(), was);
      for (const w of WINDOWS) assert.equal((await packWindow(db.sql, new Date(w))).rows, 0);
    });
  });
}
