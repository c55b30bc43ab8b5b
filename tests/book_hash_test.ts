/**
 * Book hashes (migration 0023, issue 26): a 40 lower-case hex hash is stored as its 20 bytes,
 * anything else verbatim, and `book_snapshots` gives back exactly the text written, whether
 * the row came from the writer or from before the migration (on TimescaleDB also from a
 * compressed chunk, which the migration leaves as it is).
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import type { Queryable } from "../db/client.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, serverTimescale, withDatabase } from "./_db.ts";

const log = silentLogger();
const T0 = new Date("2026-11-25T10:00:00Z");
const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const HEX = "78b396c8a7f4989f638fe6cf9b2e8ced15680ba7";

/** Every shape a hash may take, and whether it is stored as bytes. */
const SHAPES: readonly [hash: string | null, asBytes: boolean][] = [
  [HEX, true],
  ["0000000000000000000000000000000000000000", true],
  [HEX.toUpperCase(), false],
  ["0x" + HEX, false],
  [HEX.slice(1), false],
  [HEX + "0", false],
  [HEX.slice(0, 39) + "g", false],
  [" " + HEX.slice(1), false],
  [HEX + "\n", false],
  ["h", false],
  ["", false],
  ["é" + HEX.slice(2), false],
  [null, false],
];

function book(i: number, hash: string | null): BookSnapshotRow {
  return {
    ts: new Date(T0.getTime() + i * 300_000),
    tokenId: TOKEN,
    conditionId: "0x" + "ab".repeat(32),
    exchangeTs: null,
    bestBid: "0.5",
    bestAsk: "0.6",
    mid: "0.55",
    spread: "0.1",
    bidSize: "10",
    askSize: "5",
    tickSize: "0.01",
    hash,
    bids: [{ price: "0.5", size: "10" }],
    asks: [{ price: "0.6", size: "5" }],
  };
}

async function storedHashes(sql: Queryable) {
  return await sql<
    { ts: Date; hash: string | null; text: string | null; bytes: Uint8Array | null }[]
  >`
    select v.ts, v.book_hash as hash, d.book_hash as text, d.book_hash_bytes as bytes
    from book_snapshots v
    join book_snapshot_data d on d.ts = v.ts
    order by v.ts`;
}

for (const backend of BACKENDS) {
  Deno.test(`insertBookSnapshots() keeps every hash shape exactly on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: serverTimescale(db) });
      const rows = SHAPES.map(([hash], i) => book(i, hash));
      assert.equal(await insertBookSnapshots(db.sql, rows), rows.length);
      const stored = await storedHashes(db.sql);
      assert.deepEqual(stored.map((r) => r.hash), SHAPES.map(([hash]) => hash));
      for (const [i, [hash, asBytes]] of SHAPES.entries()) {
        const r = stored[i]!;
        if (asBytes) {
          assert.equal(r.text, null, `${hash} is not kept as text`);
          assert.equal(r.bytes?.length, 20);
          assert.equal(Array.from(r.bytes!, (b) => b.toString(16).padStart(2, "0")).join(""), hash);
        } else {
          assert.equal(r.bytes, null, `${hash} is not stored as bytes`);
          assert.equal(r.text, hash);
        }
      }
    }));

  Deno.test(`migration 0023 converts existing book hashes exactly on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      const timescale = serverTimescale(db);
      const { mode } = await migrate(db.sql, {
        log,
        timescale,
        migrations: MIGRATIONS.filter((m) => m.version < 23),
      });
      // Rows as the writer before 0023 left them: the hash as text. On TimescaleDB the first
      // half sits in a compressed chunk (a day earlier), the rest in an uncompressed one.
      const compressedDay = mode === "timescale" ? 86_400_000 : 0;
      for (const [i, [hash]] of SHAPES.entries()) {
        const ts = new Date(T0.getTime() + i * 300_000 - (i % 2 === 0 ? compressedDay : 0));
        await db.sql`
          insert into token_keys (token_id) values (${TOKEN}) on conflict do nothing`;
        await db.sql`
          insert into book_snapshot_data (ts, token_key, exchange_ts, book_hash, bid_prices,
            bid_sizes, ask_prices, ask_sizes)
          select ${ts}, token_key, ${ts}, ${hash}, '{500000}', '{10000000}', '{600000}',
                 '{5000000}'
          from token_keys where token_id = ${TOKEN}`;
      }
      let compressed = 0;
      if (mode === "timescale") {
        const ext = `"${(await timescaleSchema(db.sql))!}"`;
        // Only this test compresses: the schema's policies would race it for the same chunk.
        await db.sql.unsafe(
          `select ${ext}.alter_job(job_id, scheduled => false) from timescaledb_information.jobs
           where hypertable_schema = $1 or proc_schema = $1`,
          [db.schema],
        );
        const [c] = await db.sql.unsafe<{ n: number }[]>(
          `select count(${ext}.compress_chunk(format('%I.%I', chunk_schema, chunk_name)))::int
             as n
           from timescaledb_information.chunks
           where hypertable_schema = current_schema() and hypertable_name = 'book_snapshot_data'
             and range_end <= $1`,
          [T0],
        );
        compressed = c!.n;
        assert.equal(compressed, 1);
      }
      const view = `select *, bids::text as bids_text, asks::text as asks_text
                    from book_snapshots order by ts`;
      const before = await db.sql.unsafe(view);
      assert.deepEqual(before.map((r) => r.book_hash).sort(), SHAPES.map(([h]) => h).sort());
      const { applied } = await migrate(db.sql, {
        log,
        timescale,
        migrations: MIGRATIONS.filter((m) => m.version <= 23),
      });
      assert.deepEqual(applied, [23]);
      assert.deepEqual(await db.sql.unsafe(view), before);
      const stored = await storedHashes(db.sql);
      assert.equal(stored.length, SHAPES.length);
      for (const r of stored) {
        const asBytes = SHAPES.find(([h]) => h === r.hash)![1];
        // Rows of the compressed chunk keep their text; every other 40-hex hash is converted.
        const inCompressed = compressed > 0 && r.ts < T0;
        assert.equal(r.bytes !== null, asBytes && !inCompressed, `hash ${r.hash}`);
        assert.equal(r.text, r.bytes === null ? r.hash : null);
      }
      assert.ok(stored.some((r) => r.bytes !== null), "some hash was converted");
    }));
}
