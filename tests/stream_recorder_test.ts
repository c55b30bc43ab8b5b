/**
 * The stream recorder and `bookAt` on the real PostgreSQL server: a recorded sequence of real
 * frames rebuilds the venue's own later book exactly; random streams rebuild the book at
 * sampled past instants (through checkpoints); a tick change and an outage in the gap ledger
 * end a segment; replayed batches and spill files insert nothing twice.
 */
import assert from "node:assert/strict";
import { type BookEventRow, insertBookEvents } from "../db/book_events.ts";
import { migrate } from "../db/migrate.ts";
import { recordGaps } from "../db/ops.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { silentLogger } from "../runtime/log.ts";
import { bookAt } from "../stream/book_at.ts";
import { formatBookAgreement, measureBookAgreement } from "../stream/book_agreement.ts";
import { insertBookSnapshots } from "../db/books.ts";
import { testRecorder } from "./_recorder.ts";
import { StreamSpill } from "../stream/_spill.ts";
import { replayBookEvents } from "../stream/replay.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { serverTimescale, type TestDatabase, withDatabase } from "./_db.ts";

const FIXTURE = new URL(
  "./fixtures/polymarket/ws-market/sequence_book_then_price_changes_2026-09.json",
  import.meta.url,
);
const T0 = Date.UTC(2026, 10, 30, 12, 0);

async function migrated(db: TestDatabase): Promise<void> {
  await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
}

function frame(raw: unknown, receivedAt: number): WsMessage[] {
  const f = parseWsFrame(JSON.stringify(raw), receivedAt);
  assert.equal(f.rejects.length, 0);
  return f.messages;
}

Deno.test("bookAt() rebuilds the venue's later book from its first book and the deltas", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>[];
  const last = raw.at(-1)!;
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql);
    raw.slice(0, -1).forEach((m, i) => rec.record(frame(m, T0 + i), 0));
    await rec.flush();
    const r = await bookAt(db.sql, String(last.asset_id));
    assert.ok(r.covered, JSON.stringify(r));
    const levels = (side: unknown) =>
      (side as { price: string; size: string }[]).map((l) => [l.price, l.size]);
    const byPrice = (dir: number) => (a: string[], b: string[]) =>
      dir * (Number(a[0]) - Number(b[0]));
    assert.deepEqual(r.book.bids, levels(last.bids).sort(byPrice(-1)));
    assert.deepEqual(r.book.asks, levels(last.asks).sort(byPrice(1)));
    // The other token of the pair only ever got deltas: no book is invented for it.
    const other = raw.flatMap((m) =>
      ((m.price_changes ?? []) as { asset_id: string }[]).map((c) => c.asset_id)
    ).find((t) => t !== last.asset_id)!;
    assert.deepEqual(await bookAt(db.sql, other), { covered: false, reason: "no_snapshot" });
  });
});

/** A seeded stream of one token: a book, then random level changes, one per millisecond. */
function randomStream(tokenId: string, n: number, seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const market = "0x" + "ab".repeat(32);
  const frames: { raw: unknown; at: number }[] = [{
    raw: {
      event_type: "book",
      market,
      asset_id: tokenId,
      timestamp: String(T0),
      hash: "h",
      bids: [{ price: "0.4", size: "10" }],
      asks: [{ price: "0.6", size: "12.5" }],
    },
    at: T0,
  }];
  for (let i = 1; i <= n; i++) {
    const bid = rand() < 0.5;
    const tick = 1 + Math.floor(rand() * 49);
    const price = String((bid ? tick : tick + 50) / 100);
    const size = rand() < 0.3 ? "0" : String(Math.floor(rand() * 500_000) / 100);
    frames.push({
      raw: {
        event_type: "price_change",
        market,
        timestamp: String(T0 + i),
        price_changes: [{ asset_id: tokenId, price, size, side: bid ? "BUY" : "SELL" }],
      },
      at: T0 + i,
    });
  }
  return frames;
}

/** The book after the first `count` frames, computed directly. */
function reference(frames: { raw: unknown }[], count: number) {
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  for (const { raw } of frames.slice(0, count)) {
    const m = raw as Record<string, never>;
    if (m.event_type === "book") {
      for (const l of m.bids as { price: string; size: string }[]) bids.set(l.price, l.size);
      for (const l of m.asks as { price: string; size: string }[]) asks.set(l.price, l.size);
      continue;
    }
    for (const c of m.price_changes as { price: string; size: string; side: string }[]) {
      const side = c.side === "BUY" ? bids : asks;
      if (Number(c.size) === 0) side.delete(c.price);
      else side.set(c.price, c.size);
    }
  }
  const sort = (m: Map<string, string>, dir: number) =>
    [...m].sort((a, b) => dir * (Number(a[0]) - Number(b[0])));
  return { bids: sort(bids, -1), asks: sort(asks, 1) };
}

Deno.test("bookAt() at sampled past instants equals the book then, across checkpoints", async () => {
  const token = "1234567890";
  const frames = randomStream(token, 3000, 7);
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql, { checkpointEvery: 250 });
    for (const f of frames) rec.record(frame(f.raw, f.at), 3);
    await rec.flush();
    assert.ok(rec.stats.checkpoints >= 10);
    for (const i of [0, 1, 249, 250, 251, 777, 1500, 2999, 3000]) {
      const r = await bookAt(db.sql, token, { at: new Date(T0 + i) });
      assert.ok(r.covered);
      assert.deepEqual(r.book, reference(frames, i + 1), `at frame ${i}`);
    }
    assert.deepEqual(
      await bookAt(db.sql, token, { at: new Date(T0 - 1) }),
      { covered: false, reason: "no_snapshot" },
    );
  });
});

Deno.test("a checkpoint that falls due while the rows before it are being written waits for them", async () => {
  // Frames 0–20 (a book, then a change a millisecond) are written by one flush; frames 21–60
  // arrive while that write is in flight, and make checkpoints due (every 10 changes) whose
  // rows are not stored yet. Built then, such a checkpoint lacks frames 21 on and stands after
  // them: every later book rebuilt from it misses them (CI saw a removed level come back).
  const token = "1234567890";
  const frames = randomStream(token, 60, 11);
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql, { checkpointEvery: 10 });
    for (const f of frames.slice(0, 21)) rec.record(frame(f.raw, f.at), 3);
    const writing = rec.flush();
    for (const f of frames.slice(21)) rec.record(frame(f.raw, f.at), 3);
    await writing;
    await rec.flush();
    assert.equal(rec.stats.checkpoints, 6);
    for (let i = 0; i <= 60; i++) {
      const r = await bookAt(db.sql, token, { at: new Date(T0 + i) });
      assert.ok(r.covered);
      assert.deepEqual(r.book, reference(frames, i + 1), `at frame ${i}`);
    }
  });
});

Deno.test("bookAt() ends a segment at a tick_size_change and at an outage, until the next book", async () => {
  const token = "555";
  const frames = randomStream(token, 20, 3);
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql);
    for (const f of frames) rec.record(frame(f.raw, f.at), 0);
    rec.record(
      frame({
        event_type: "tick_size_change",
        market: "0x" + "ab".repeat(32),
        asset_id: token,
        old_tick_size: "0.01",
        new_tick_size: "0.001",
        timestamp: String(T0 + 100),
      }, T0 + 100),
      0,
    );
    const again = randomStream(token, 5, 9).map((f, i) => ({ raw: f.raw, at: T0 + 200 + i }));
    for (const f of again) rec.record(frame(f.raw, f.at), 1);
    await rec.flush();
    const at = async (ms: number) => await bookAt(db.sql, token, { at: new Date(T0 + ms) });
    assert.deepEqual((await at(50)).covered, true);
    assert.deepEqual(await at(150), { covered: false, reason: "tick_size_change" });
    assert.deepEqual(await at(204), { covered: true, ...pick(await at(204)) });
    assert.deepEqual((await at(204) as { book: unknown }).book, reference(again, 5));
    // A connection outage that began after the new segment started hides everything after it.
    await recordGaps(db.sql, [{
      collector: "trades",
      scope: "conn:1",
      startAt: new Date(T0 + 300),
      endAt: new Date(T0 + 400),
      cause: "disconnected",
      tokens: [token],
    }]);
    assert.equal((await at(299)).covered, true);
    assert.deepEqual(await at(350), { covered: false, reason: "gap" });
    assert.deepEqual(await at(500), { covered: false, reason: "gap" });
  });
});

function pick(r: unknown) {
  const { book, since } = r as { book: unknown; since: unknown };
  return { book, since };
}

Deno.test("insertBookEvents() and spill replays store every row once", async () => {
  const rows: BookEventRow[] = Array.from({ length: 100 }, (_, i) => ({
    session: 9,
    seq: i,
    conn: 2,
    tokenId: `tok${i % 3}`,
    kind: i % 10 === 0 ? 0 : 2,
    side: i % 10 === 0 ? null : (i % 2) as 0 | 1,
    price: i % 10 === 0 ? null : i % 7 === 0 ? "0.12345678" : "0.5",
    size: i % 10 === 0 ? null : String(i),
    ts: T0 + i,
    receivedAt: T0 + i + 3,
  }));
  await withDatabase("server", async (db) => {
    await migrated(db);
    const count = async () =>
      (await db.sql<{ n: number }[]>`select count(*)::int as n from book_events`)[0]!.n;
    await insertBookEvents(db.sql, rows.slice(0, 60), { method: "copy" });
    assert.equal(await count(), 60);
    // A batch that partly overlaps what is stored: COPY fails, the idempotent path fills in.
    await insertBookEvents(db.sql, rows, { method: "copy" });
    assert.equal(await count(), 100);
    const spillDir = await Deno.makeTempDir();
    try {
      const spill = new StreamSpill(spillDir);
      await spill.write(rows);
      const store = (b: BookEventRow[]) => insertBookEvents(db.sql, b, { method: "copy" });
      assert.equal(await spill.replay(store), 100);
      assert.equal(await spill.replay(store), 0);
      assert.equal(await count(), 100);
      const [odd] = await db.sql`select price, exact from book_events where seq = 7`;
      assert.deepEqual(odd, { price: null, exact: { price: "0.12345678" } });
    } finally {
      await Deno.remove(spillDir, { recursive: true });
    }
  });
});

Deno.test("a new recording session ledgers the downtime since the last one: no book across it", async () => {
  const token = "888";
  await withDatabase("server", async (db) => {
    await migrated(db);
    const first = testRecorder(db.sql);
    for (const f of randomStream(token, 10, 1)) first.record(frame(f.raw, f.at), 0);
    await first.flush(); // then the process dies: nothing tells the database it stopped
    const second = testRecorder(db.sql, { session: T0 + 60_000 });
    const stop = new AbortController();
    stop.abort();
    await second.run(stop.signal);
    const [gap] = await db.sql`select collector, scope, start_at, end_at, cause from gaps`;
    assert.deepEqual(gap, {
      collector: "stream",
      scope: "*",
      start_at: new Date(T0 + 10),
      end_at: new Date(T0 + 60_000),
      cause: "downtime",
    });
    assert.equal((await bookAt(db.sql, token, { at: new Date(T0 + 9) })).covered, true);
    assert.deepEqual(await bookAt(db.sql, token, { at: new Date(T0 + 30_000) }), {
      covered: false,
      reason: "gap",
    });
  });
});

Deno.test("measureBookAgreement() counts REST snapshots that agree, disagree or fall in a gap", async () => {
  const token = "999";
  const frames = randomStream(token, 400, 21);
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql, { checkpointEvery: 100 });
    for (const f of frames) rec.record(frame(f.raw, f.at), 0);
    await rec.flush();
    const snapshot = (ms: number, book: { bids: string[][]; asks: string[][] }) => ({
      ts: new Date(T0 + ms),
      tokenId: token,
      conditionId: null,
      exchangeTs: null,
      bestBid: book.bids[0]?.[0] ?? null,
      bestAsk: book.asks[0]?.[0] ?? null,
      mid: null,
      spread: null,
      bidSize: "0",
      askSize: "0",
      tickSize: null,
      hash: null,
      // REST lists levels worst first: the comparison must not depend on order.
      bids: book.bids.map(([price, size]) => ({ price: price!, size: size! })).reverse(),
      asks: book.asks.map(([price, size]) => ({ price: price!, size: size! })),
    });
    const wrong = reference(frames, 201);
    wrong.asks[0] = [wrong.asks[0]![0], "123456"];
    await insertBookSnapshots(db.sql, [
      snapshot(100, reference(frames, 101)),
      snapshot(150, reference(frames, 151)),
      snapshot(200, wrong),
      snapshot(350, reference(frames, 351)),
    ]);
    await recordGaps(db.sql, [{
      collector: "trades",
      scope: "conn:0",
      startAt: new Date(T0 + 300),
      endAt: new Date(T0 + 360),
      cause: "stalled",
      tokens: [token],
    }]);
    const a = await measureBookAgreement(db.sql, { now: new Date(T0 + 1000), windowMs: 10_000 });
    assert.deepEqual(
      { ...a, examples: a.examples.map((e) => e.ts.getTime() - T0) },
      {
        snapshots: 4,
        agree: 2,
        disagree: 1,
        uncovered: { gap: 1 },
        agreementPercent: 66.7,
        atCycleStart: 4,
        examples: [200],
      },
    );
    assert.match(formatBookAgreement(a), /66\.7% agree .*not covered: 1 gap/);
  });
});

Deno.test("replayBookEvents() gives the same events whatever the page size, with an exact value", async () => {
  const token = "4242";
  const frames = randomStream(token, 300, 13);
  await withDatabase("server", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql);
    for (const f of frames) rec.record(frame(f.raw, f.at), 1);
    rec.record(
      frame({
        event_type: "price_change",
        market: "0x" + "ab".repeat(32),
        timestamp: String(T0 + 400),
        price_changes: [
          { asset_id: token, price: "0.5", size: "1.1234567", side: "BUY" },
          { asset_id: token, price: "0.51", size: "2", side: "BUY" },
        ],
      }, T0 + 401),
      1,
    );
    await rec.flush();
    const read = async (pageRows?: number) => {
      const out: BookEvent[] = [];
      for await (const e of replayBookEvents(db.sql, { pageRows })) out.push(e);
      return out;
    };
    const events = await read();
    assert.equal(events.length, 302);
    // Every level comes back as the venue printed it.
    frames.slice(1).forEach((f, i) => {
      const c = (f.raw as { price_changes: Record<string, string>[] }).price_changes[0]!;
      assert.deepEqual((events[i + 1] as unknown as { changes: unknown[] }).changes, [
        { price: c.price, size: c.size, side: c.side },
      ]);
    });
    assert.deepEqual(await read(7), events);
    assert.deepEqual(events.at(-1), {
      kind: "price_change",
      tokenId: token,
      exchangeTs: T0 + 400,
      receivedAt: T0 + 401,
      connection: 1,
      sequence: rec.stats.rowsRecorded - 2,
      changes: [
        { price: "0.5", size: "1.1234567", side: "BUY" },
        { price: "0.51", size: "2", side: "BUY" },
      ],
    });
  });
});

Deno.test("an unsubscribed token's segment ends, and a clean stop ends every segment", async () => {
  const frames = randomStream("31", 20, 4);
  const other = randomStream("32", 20, 5);
  await withDatabase("server", async (db) => {
    await migrated(db);
    let clock = T0 + 30;
    const rec = testRecorder(db.sql, { now: () => clock });
    for (const f of [...frames, ...other]) rec.record(frame(f.raw, f.at), 0);
    rec.forget(["31", "404"]);
    clock = T0 + 40;
    const stop = new AbortController();
    stop.abort();
    await rec.run(stop.signal);
    const at = async (token: string, ms: number) =>
      await bookAt(db.sql, token, { at: new Date(T0 + ms) });
    assert.equal((await at("31", 29)).covered, true);
    assert.deepEqual(await at("31", 30), { covered: false, reason: "ended" });
    assert.equal((await at("32", 39)).covered, true);
    assert.deepEqual(await at("32", 40), { covered: false, reason: "ended" });
    const segments = await db.sql`
      select end_cause, ended_at from stream_segments order by token_key`;
    assert.deepEqual([...segments], [
      { end_cause: "ended", ended_at: new Date(T0 + 30) },
      { end_cause: "ended", ended_at: new Date(T0 + 40) },
    ]);
  });
});

Deno.test("on embedded PGlite the recorder, bookAt, checkpoints and replay work without COPY", async () => {
  const token = "6060";
  const frames = randomStream(token, 120, 8);
  await withDatabase("embedded", async (db) => {
    await migrated(db);
    const rec = testRecorder(db.sql, { method: "unnest", checkpointEvery: 50 });
    for (const f of frames) rec.record(frame(f.raw, f.at), 0);
    await rec.flush();
    assert.equal(rec.stats.checkpoints, 2);
    for (const i of [10, 60, 120]) {
      const r = await bookAt(db.sql, token, { at: new Date(T0 + i) });
      assert.ok(r.covered);
      assert.deepEqual(r.book, reference(frames, i + 1));
    }
    let n = 0;
    for await (const _ of replayBookEvents(db.sql, { pageRows: 50 })) n++;
    assert.equal(n, 121);
  });
});

Deno.test("a level and its mirror on the other token are one stored row; book_events reads every row back", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>[];
  const pc = raw.find((m) => m.event_type === "price_change")!;
  const [a, b] = pc.price_changes as Record<string, string>[];
  // Not mirrors: another size, or the same side. Both stay rows of their own.
  const unpaired = [
    { ...pc, price_changes: [{ ...a, size: "10" }, { ...b, size: "11" }] },
    { ...pc, price_changes: [{ ...a }, { ...b, side: a!.side }] },
  ];
  // A broken venue clock: its timestamp is decades before the receive time.
  const stale = { ...pc, timestamp: "946684800123" };
  const frames = [...raw, ...unpaired, stale];
  const record = async (db: TestDatabase, pairs: boolean) => {
    await migrated(db);
    const rec = testRecorder(db.sql, { pairs, checkpointEvery: 7 });
    frames.forEach((m, i) => rec.record(frame(m, T0 + i), 0));
    await rec.flush();
    const rows = await db.sql`
      select e.session, e.seq, e.conn, k.token_id, e.kind, e.side, e.price, e.size, e.ts,
             e.received_at, e.exact
      from book_events e join token_keys k using (token_key) order by session, seq`;
    const [stored] = await db.sql<{ n: number; paired: number }[]>`
      select count(*)::int as n, (count(*) filter (where kind = 9))::int as paired
      from book_event_rows`;
    const books = [];
    for (const t of [a!.asset_id!, b!.asset_id!]) {
      for (const at of [T0 + 10, T0 + 30, T0 + frames.length]) {
        books.push(await bookAt(db.sql, t, { at: new Date(at) }));
      }
    }
    const checkpoints = await db.sql`
      select k.token_id, c.seq, c.bid_prices, c.bid_sizes, c.ask_prices, c.ask_sizes
      from book_checkpoints c join token_keys k using (token_key) order by 1, 2`;
    const events: BookEvent[] = [];
    for await (const e of replayBookEvents(db.sql, { tokenIds: [b!.asset_id!] })) events.push(e);
    return { rows, stored: stored!, books, checkpoints, events, recorded: rec.stats.rowsRecorded };
  };
  await withDatabase("server", async (one) => {
    await withDatabase("server", async (two) => {
      const paired = await record(one, true);
      const plain = await record(two, false);
      assert.equal(plain.stored.paired, 0);
      assert.equal(paired.rows.length, plain.rows.length);
      assert.deepEqual(paired.rows, plain.rows);
      assert.deepEqual(paired.rows.at(-1)!.ts, new Date(946684800123));
      assert.deepEqual(
        paired.rows.findLast((r) => r.kind === 0)!.ts,
        new Date(Number(raw.at(-1)!.timestamp)),
      );
      assert.equal(paired.recorded, plain.rows.length);
      // Every price change of the fixture (and the stale one) is a mirrored pair: half of
      // those rows are stored.
      const pairs = raw.filter((m) => m.event_type === "price_change").length + 1;
      assert.equal(paired.stored.paired, pairs);
      assert.equal(paired.stored.n, plain.stored.n - pairs);
      assert.ok(paired.books.some((r) => r.covered));
      assert.deepEqual(paired.books, plain.books);
      assert.ok(paired.checkpoints.length > 0);
      assert.deepEqual(paired.checkpoints, plain.checkpoints);
      assert.ok(paired.events.length > 0);
      assert.deepEqual(paired.events, plain.events);
    });
  });
});
