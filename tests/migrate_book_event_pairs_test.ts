/**
 * Migration 0011 on a database recorded before it: `book_events` (a table until 0010) becomes
 * the stored rows `book_event_rows` plus a view of the same name, and every row, segment and
 * book reads back as before.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { silentLogger } from "../runtime/log.ts";
import { bookAt } from "../stream/book_at.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

Deno.test("migration 0011 keeps every recorded row, segment and book of a 0010 database", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    const timescale = serverTimescale(db);
    await migrate(db.sql, {
      log,
      timescale,
      migrations: MIGRATIONS.filter((m) => m.version <= 10),
    });
    await db.sql`insert into token_keys (token_key, token_id) values (1, '111'), (2, '222')`;
    // Token 111: a book (tick 0.01; bid 0.40 × 100, ask 0.45 × 50), then a price change that
    // came with its mirror on token 222; later a segment end, whose venue time is decades off
    // its receive time (more milliseconds apart than int4 holds).
    await db.sql`
      insert into book_events (session, seq, conn, token_key, kind, side, price, size, ts,
                               received_at, exact)
      values (7, 0, 0, 1, 0, null, 10000, null, '2026-11-30T11:59:59.9Z', '2026-11-30T12:00:00.1Z', null),
             (7, 1, 0, 1, 1, 0, 400000, 100000000, '2026-11-30T12:00:00Z', '2026-11-30T12:00:00.1Z', null),
             (7, 2, 0, 1, 1, 1, 450000, 50000000, '2026-11-30T12:00:00Z', '2026-11-30T12:00:00.1Z', null),
             (7, 3, 0, 1, 2, 0, 410000, 20000000, '2026-11-30T12:00:01Z', '2026-11-30T12:00:01.1Z', null),
             (7, 4, 0, 2, 2, 1, 590000, 20000000, '2026-11-30T12:00:01Z', '2026-11-30T12:00:01.1Z', null),
             (7, 5, 0, 1, 2, 1, null, 1500000, '2026-11-30T12:00:02Z', '2026-11-30T12:00:02.1Z',
              '{"price": "0.4475"}'),
             (7, 6, 0, 1, 2, 0, 123457, 1234567, '2026-11-30T12:00:02Z', '2026-11-30T12:00:02.1Z',
              null),
             (7, 7, -1, 1, 8, null, null, null, '2000-01-01T00:00:00.123Z', '2026-11-30T12:00:03Z',
              null)`;
    if (timescale === "require") {
      // The rows as a long-running 0010 database holds them: in a compressed chunk.
      await db.sql.unsafe(
        `select public.compress_chunk(c) from public.show_chunks('book_events') c`,
      );
    }
    const read = () => db.sql`select * from book_events order by session, seq`;
    const segments = () => db.sql`select * from stream_segments order by session, start_seq`;
    const before = { rows: await read(), segments: await segments() };
    assert.equal(before.rows.length, 8);
    assert.equal(before.segments.length, 1);

    await migrate(db.sql, { log, timescale });
    const after = await read();
    // Prices finer than 10^-4 and sizes finer than 0.01 (the venue sends none) move to `exact`.
    assert.deepEqual(after.filter((r) => r.seq !== "6"), before.rows.filter((r) => r.seq !== "6"));
    assert.deepEqual(after.find((r) => r.seq === "6"), {
      ...before.rows.find((r) => r.seq === "6"),
      price: null,
      size: null,
      exact: { price: "0.123457", size: "1.234567" },
    });
    assert.deepEqual(await segments(), before.segments);
    const [stored] = await db.sql<{ n: number }[]>`select count(*)::int as n from book_event_rows`;
    assert.equal(stored!.n, 8);
    assert.deepEqual(await bookAt(db.sql, "111", { at: new Date("2026-11-30T12:00:02.5Z") }), {
      covered: true,
      book: {
        bids: [["0.41", "20"], ["0.4", "100"], ["0.123457", "1.234567"]],
        asks: [["0.4475", "1.5"], ["0.45", "50"]],
      },
      since: new Date("2026-11-30T12:00:00.1Z"),
    });
    assert.deepEqual(await bookAt(db.sql, "111"), { covered: false, reason: "ended" });
  });
});
