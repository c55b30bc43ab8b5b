/**
 * `status --quality`'s stream-vs-REST check compares each REST book with the recorded stream
 * at the instant the venue took it (its `exchange_ts`, carried over to the stream's receive
 * clock), not at the start of its books cycle. The venue's events arrive 40 ms after their
 * venue time here; the REST rows' cycle starts lie 150 ms before the books were taken, as on
 * a universe whose cycle takes a while.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { formatBookAgreement, measureBookAgreement } from "../stream/book_agreement.ts";
import { testRecorder } from "./_recorder.ts";
import { withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0);
const LAG_MS = 40;
const TOKEN = "4242";
const MARKET = "0x" + "cd".repeat(32);

type Book = { bids: [string, string][]; asks: [string, string][] };

/** A book, then one price change a venue millisecond, each received LAG_MS later. */
function stream(n: number): { raw: Record<string, unknown>; at: number }[] {
  let s = 5;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const frames = [{
    raw: {
      event_type: "book",
      market: MARKET,
      asset_id: TOKEN,
      timestamp: String(T0),
      hash: "h",
      bids: [{ price: "0.4", size: "10" }],
      asks: [{ price: "0.6", size: "12" }],
    } as Record<string, unknown>,
    at: T0 + LAG_MS,
  }];
  for (let i = 1; i <= n; i++) {
    const bid = rand() < 0.5;
    const tick = 1 + Math.floor(rand() * 49);
    frames.push({
      raw: {
        event_type: "price_change",
        market: MARKET,
        timestamp: String(T0 + i),
        price_changes: [{
          asset_id: TOKEN,
          price: String((bid ? tick : tick + 50) / 100),
          size: rand() < 0.3 ? "0" : String(1 + Math.floor(rand() * 5000)),
          side: bid ? "BUY" : "SELL",
        }],
      },
      at: T0 + i + LAG_MS,
    });
  }
  return frames;
}

/** The venue's book after every frame with venue time ≤ T0 + ms. */
function venueBook(frames: { raw: Record<string, unknown> }[], ms: number): Book {
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  for (const { raw } of frames) {
    if (Number(raw.timestamp) > T0 + ms) break;
    if (raw.event_type === "book") {
      for (const l of raw.bids as { price: string; size: string }[]) bids.set(l.price, l.size);
      for (const l of raw.asks as { price: string; size: string }[]) asks.set(l.price, l.size);
      continue;
    }
    for (const c of raw.price_changes as { price: string; size: string; side: string }[]) {
      const side = c.side === "BUY" ? bids : asks;
      if (c.size === "0") side.delete(c.price);
      else side.set(c.price, c.size);
    }
  }
  const sort = (m: Map<string, string>, dir: number) =>
    [...m].sort((a, b) => dir * (Number(a[0]) - Number(b[0])));
  return { bids: sort(bids, -1), asks: sort(asks, 1) };
}

function restRow(cycleStart: number, venueAt: number | null, book: Book): BookSnapshotRow {
  return {
    ts: new Date(T0 + cycleStart),
    tokenId: TOKEN,
    conditionId: null,
    exchangeTs: venueAt === null ? null : new Date(T0 + venueAt),
    bestBid: book.bids[0]?.[0] ?? null,
    bestAsk: book.asks[0]?.[0] ?? null,
    mid: null,
    spread: null,
    bidSize: "0",
    askSize: "0",
    tickSize: null,
    hash: null,
    bids: book.bids.map(([price, size]) => ({ price, size })),
    asks: book.asks.map(([price, size]) => ({ price, size })),
  };
}

Deno.test("measureBookAgreement() compares each REST book at the venue instant it was taken", async () => {
  const frames = stream(400);
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const rec = testRecorder(db.sql, { checkpointEvery: 100 });
    for (const f of frames) {
      const parsed = parseWsFrame(JSON.stringify(f.raw), f.at);
      assert.equal(parsed.rejects.length, 0);
      rec.record(parsed.messages, 0);
    }
    await rec.flush();
    // Taken at venue ms 200 and 330 by cycles that started 150 ms earlier.
    const taken = [200, 330];
    for (const ms of taken) {
      // The books the check must not confuse it with: at the cycle start, and at the venue
      // instant read as a receive time (LAG_MS of events short).
      assert.notDeepEqual(venueBook(frames, ms), venueBook(frames, ms - 150));
      assert.notDeepEqual(venueBook(frames, ms), venueBook(frames, ms - LAG_MS));
    }
    await insertBookSnapshots(
      db.sql,
      taken.map((ms) => restRow(ms - 150, ms, venueBook(frames, ms))),
    );
    const a = await measureBookAgreement(db.sql, { now: new Date(T0 + 1000), windowMs: 10_000 });
    assert.equal(a.snapshots, 2);
    assert.deepEqual({ agree: a.agree, disagree: a.disagree, cycleStart: a.atCycleStart }, {
      agree: 2,
      disagree: 0,
      cycleStart: 0,
    });
    assert.match(formatBookAgreement(a), /^.*100% agree .*each at the REST book's venue instant$/);
  });
});
