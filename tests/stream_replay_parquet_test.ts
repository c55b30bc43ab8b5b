/**
 * Replay from the Parquet export (stream/replay_parquet.ts) yields exactly what replay from the
 * database yields: over two days, several files per day, two recording sessions whose batches
 * were written interleaved (so some files' key ranges overlap), for all tokens and for chosen
 * tokens in a window. A folder whose rows are out of order is refused, not replayed wrongly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { exportPartition } from "../export/export_partition.ts";
import { type Manifest, readManifest, writeManifest } from "../export/manifest.ts";
import { dayPartition } from "../export/partition.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { testRecorder } from "./_recorder.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { ParquetReplayError, replayBookEventsFromParquet } from "../stream/replay_parquet.ts";
import { withDatabase } from "./_db.ts";

/** Five minutes before midnight UTC: the recording crosses into the next day. */
const T0 = Date.UTC(2026, 10, 29, 23, 55);

/** Simulator messages (JSON) of 12 tokens: their books, then realistic price changes. */
function frames(): string[] {
  let now = T0;
  const universe = createUniverse({ markets: 6, seed: 7, now: T0 });
  const world = new World(universe, { seed: 7, now: () => now, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const out: string[] = [];
  for (const m of universe.markets.filter((m) => m.status === "open")) {
    for (const o of [0, 1] as const) out.push(JSON.stringify(wsBook(m, world.book(m), o)));
  }
  while (out.length < 1500) {
    now += 400;
    for (const e of world.stepRealistic(model, 100)) out.push(JSON.stringify(e.message));
  }
  return out;
}

async function collect(events: AsyncIterable<BookEvent>): Promise<BookEvent[]> {
  const out: BookEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

Deno.test("replay from Parquet equals replay from the database", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const first = testRecorder(db.sql, { session: 1, checkpointEvery: 200 });
    const second = testRecorder(db.sql, { session: 2, checkpointEvery: 200 });
    const all = frames();
    // Session 1 writes part of its rows, session 2 all of its own, then session 1 the rest:
    // the table holds them interleaved, as a late batch or a replayed spill file leaves them.
    const at = (i: number) => T0 + i * 600;
    for (let i = 0; i < 600; i++) first.record(parseWsFrame(all[i]!, at(i)).messages, 0);
    await first.flush();
    for (let i = 600; i < 900; i++) second.record(parseWsFrame(all[i]!, at(i)).messages, 1);
    await second.flush();
    for (let i = 900; i < all.length; i++) first.record(parseWsFrame(all[i]!, at(i)).messages, 0);
    await first.flush();

    const out = await Deno.makeTempDir({ prefix: "pmcollect_replay_parquet_" });
    const signal = new AbortController().signal;
    try {
      const options = { out, program: "pmcollect test", signal, partRows: 700, batchRows: 100 };
      for (const day of ["2026-11-29", "2026-11-30"]) {
        await exportPartition(db.sql, dayPartition("book_events", "received_at", day), options);
      }
      await exportPartition(db.sql, { table: "token_keys", timeColumn: null, day: null }, options);

      // What the test is about: several sorted files, some of whose key ranges overlap.
      const ranges: number[][][] = [];
      for (const day of ["2026-11-29", "2026-11-30"]) {
        const m = await readManifest(join(out, "book_events", `date=${day}`));
        assert.deepEqual(m?.order, ["session", "seq"]);
        ranges.push(...m!.files.map((f) => [f.first!.map(Number), f.last!.map(Number)]));
      }
      const key = ([session, seq]: number[]) => session! * 1e9 + seq!;
      const overlapping = ranges.filter(([a0, a1]) =>
        ranges.some(([b0, b1]) => b0 !== a0 && key(b0!) <= key(a1!) && key(a0!) <= key(b1!))
      );
      assert.ok(ranges.length >= 4, `${ranges.length} files`);
      assert.ok(overlapping.length >= 2 && overlapping.length < ranges.length);

      const everything = await collect(replayBookEventsFromParquet(out));
      assert.ok(everything.length > 1000, `${everything.length} events`);
      assert.deepEqual(everything, await collect(replayBookEvents(db.sql)));

      // The two busiest tokens (most of the realistic model's markets are quiet).
      const counts = new Map<string, number>();
      for (const e of everything) counts.set(e.tokenId, (counts.get(e.tokenId) ?? 0) + 1);
      const tokenIds = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([id]) => id);
      const window = {
        tokenIds,
        from: new Date(T0 + 200_000),
        to: new Date(T0 + 500_000),
      };
      const chosen = await collect(replayBookEventsFromParquet(out, window));
      assert.ok(chosen.length > 0);
      assert.deepEqual(chosen, await collect(replayBookEvents(db.sql, window)));

      // Files exported without their order (no `order` in the manifest) are sorted instead.
      const manifests = new Map<string, Manifest>();
      for (const day of ["2026-11-29", "2026-11-30"]) {
        const folder = join(out, "book_events", `date=${day}`);
        const m = (await readManifest(folder))!;
        manifests.set(folder, m);
        await writeManifest(folder, { ...m, order: undefined });
      }
      assert.deepEqual(await collect(replayBookEventsFromParquet(out)), everything);
      for (const [folder, m] of manifests) await writeManifest(folder, m);

      // Manifests that claim the overlapping files follow one another: refused, not replayed.
      let n = 0;
      for (const day of ["2026-11-29", "2026-11-30"]) {
        const folder = join(out, "book_events", `date=${day}`);
        const m = (await readManifest(folder))!;
        const files = m.files.map((f) => ({
          ...f,
          first: ["0", String(n)],
          last: ["0", String(n++)],
        }));
        await writeManifest(folder, { ...m, files });
      }
      await assert.rejects(
        () => collect(replayBookEventsFromParquet(out)),
        (err: unknown) =>
          err instanceof ParquetReplayError && /out of arrival order/.test(err.message),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("a folder without its token dictionary is refused with what to export", async () => {
  const out = await Deno.makeTempDir({ prefix: "pmcollect_replay_parquet_" });
  try {
    await Deno.mkdir(join(out, "book_events"));
    await assert.rejects(
      () => collect(replayBookEventsFromParquet(out)),
      (err: unknown) => err instanceof ParquetReplayError && /export token_keys/.test(err.message),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("replay from Parquet gives back sizes beyond 2^53 micro and values that did not fit", async () => {
  const token = "4242";
  const market = "0x" + "ab".repeat(32);
  const at = Date.UTC(2026, 10, 29, 12);
  const messages = [
    {
      event_type: "book",
      asset_id: token,
      market,
      bids: [{ price: "0.48", size: "9007199255.5" }, { price: "0.12345", size: "3" }],
      asks: [{ price: "0.52", size: "12345678901234567.5" }],
      timestamp: String(at - 50),
      hash: "0x01",
    },
    {
      event_type: "price_change",
      market,
      timestamp: String(at - 40),
      price_changes: [
        { asset_id: token, price: "0.49", size: "1.1234567", side: "BUY" },
        { asset_id: token, price: "0.50", size: "9007199254.75", side: "BUY" },
        { asset_id: token, price: "0.51", size: "0", side: "SELL" },
      ],
    },
  ];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const rec = testRecorder(db.sql);
    rec.record(parseWsFrame(JSON.stringify(messages), at).messages, 0);
    await rec.flush();
    const out = await Deno.makeTempDir({ prefix: "pmcollect_replay_parquet_" });
    const signal = new AbortController().signal;
    try {
      const options = { out, program: "pmcollect test", signal };
      await exportPartition(
        db.sql,
        dayPartition("book_events", "received_at", "2026-11-29"),
        options,
      );
      await exportPartition(db.sql, { table: "token_keys", timeColumn: null, day: null }, options);
      const events = await collect(replayBookEventsFromParquet(out));
      assert.deepEqual(events, await collect(replayBookEvents(db.sql)));
      assert.equal(events.length, 2);
      const [book, change] = events as unknown as [
        { bids: string[][]; asks: string[][] },
        { changes: unknown[] },
      ];
      assert.deepEqual(book.bids, [["0.48", "9007199255.5"], ["0.12345", "3"]]);
      assert.deepEqual(book.asks, [["0.52", "12345678901234567.5"]]);
      assert.deepEqual(change.changes, [
        { price: "0.49", size: "1.1234567", side: "BUY" },
        { price: "0.5", size: "9007199254.75", side: "BUY" },
        { price: "0.51", size: "0", side: "SELL" },
      ]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});
