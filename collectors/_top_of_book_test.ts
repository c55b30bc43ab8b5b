import assert from "node:assert/strict";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { TopOfBook } from "./_top_of_book.ts";

const SEQUENCE = new URL(
  "../tests/fixtures/polymarket/ws-market/sequence_book_then_price_changes_2026-09.json",
  import.meta.url,
);
const DAY_MS = 86_400_000;

const market = "0x" + "ab".repeat(32);
const apply = (tob: TopOfBook, msg: Record<string, unknown>, receivedAt = 0) => {
  const frame = parseWsFrame(JSON.stringify(msg), receivedAt);
  assert.equal(frame.rejects.length, 0);
  for (const m of frame.messages) tob.apply(m);
};
const book = (bids: [string, string][], asks: [string, string][]) => ({
  event_type: "book",
  market,
  asset_id: "1",
  timestamp: "1000",
  hash: "h",
  bids: bids.map(([price, size]) => ({ price, size })),
  asks: asks.map(([price, size]) => ({ price, size })),
});
const change = (price: string, size: string, side: "BUY" | "SELL", ts = "2000") => ({
  event_type: "price_change",
  market,
  timestamp: ts,
  price_changes: [{
    asset_id: "1",
    price,
    size,
    side,
    hash: "h",
    best_bid: "0.1",
    best_ask: "0.9",
  }],
});

Deno.test("TopOfBook seeds from book, applies price_change and drains only changes", () => {
  const tob = new TopOfBook();
  apply(tob, book([["0.48", "10"], ["0.5", "5"]], [["0.53", "3"], ["0.52", "1"]]));
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [["0.5", "0.52"]]);
  apply(tob, change("0.51", "4", "BUY"));
  apply(tob, change("0.52", "0", "SELL"));
  const [q] = tob.drain();
  assert.deepEqual([q.bestBid, q.bestAsk, q.ts.getTime()], ["0.51", "0.53", 2000]);
  apply(tob, change("0.4", "4", "BUY"));
  assert.equal(tob.drain().length, 0);
});

Deno.test("TopOfBook gates deltas until a book after tick_size_change", () => {
  const tob = new TopOfBook();
  apply(tob, book([["0.5", "5"]], [["0.52", "1"]]));
  tob.drain();
  apply(tob, {
    event_type: "tick_size_change",
    market,
    asset_id: "1",
    old_tick_size: "0.01",
    new_tick_size: "0.001",
    timestamp: "3000",
  });
  assert.equal(tob.seeded("1"), false);
  apply(tob, change("0.505", "2", "BUY"));
  // Unseeded: the message's own best_bid/best_ask are used, the level is not kept.
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [["0.1", "0.9"]]);
  apply(tob, book([["0.49", "5"]], [["0.51", "1"]]));
  assert.equal(tob.seeded("1"), true);
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [["0.49", "0.51"]]);
});

Deno.test("TopOfBook keeps best bid/ask exact for prices a double cannot hold", () => {
  const tob = new TopOfBook();
  const long = "0.50000000000000000001"; // Number() would round it to 0.5
  apply(tob, book([["0.0000001", "5"], ["0.5", "2"]], [["0.6", "1"]]));
  apply(tob, change(long, "3", "BUY"));
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [[long, "0.6"]]);
  apply(tob, change(long, "0", "BUY"));
  apply(tob, change("0.5", "0", "BUY"));
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [["0.0000001", "0.6"]]);
  apply(tob, change("0.0000001", "0", "BUY"));
  apply(tob, change("0.6", "0", "SELL"));
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [[null, null]]);
});

Deno.test("TopOfBook orders many levels on both sides and ignores a level already present", () => {
  const tob = new TopOfBook();
  apply(tob, book([["0.1", "1"]], [["0.9", "1"]]));
  for (const p of ["0.3", "0.2", "0.45", "0.05"]) apply(tob, change(p, "1", "BUY"));
  for (const p of ["0.7", "0.55", "0.8"]) apply(tob, change(p, "1", "SELL"));
  apply(tob, change("0.45", "7", "BUY"));
  tob.drain();
  apply(tob, change("0.45", "0", "BUY"));
  apply(tob, change("0.55", "0", "SELL"));
  assert.deepEqual(tob.drain().map((q) => [q.bestBid, q.bestAsk]), [["0.3", "0.7"]]);
});

Deno.test("TopOfBook drain(limit) leaves the other changed tokens for the next drain", () => {
  const tob = new TopOfBook();
  for (const id of ["1", "2", "3"]) {
    apply(tob, { ...book([["0.4", "1"]], [["0.6", "1"]]), asset_id: id });
  }
  assert.deepEqual(tob.drain(2).map((q) => q.tokenId), ["1", "2"]);
  apply(tob, { ...book([["0.45", "1"]], [["0.6", "1"]]), asset_id: "3" });
  assert.deepEqual(tob.drain(2).map((q) => [q.tokenId, q.bestBid]), [["3", "0.45"]]);
  assert.equal(tob.drain().length, 0);
});

Deno.test("TopOfBook reuses a forgotten token's slot without its state", () => {
  const tob = new TopOfBook();
  apply(tob, book([["0.4", "1"]], [["0.6", "1"]]));
  tob.forget("1");
  assert.equal(tob.drain().length, 0);
  tob.unseed("2");
  assert.equal(tob.size, 1);
  assert.equal(tob.seeded("2"), false);
  apply(tob, change("0.3", "1", "BUY"));
  assert.deepEqual(tob.drain().map((q) => [q.tokenId, q.bestBid, q.bestAsk]), [[
    "1",
    "0.1",
    "0.9",
  ]]);
});

Deno.test("TopOfBook stores an empty side of an unseeded token as null, not 0 or 1", () => {
  const tob = new TopOfBook();
  apply(tob, {
    event_type: "price_change",
    market,
    timestamp: "3000",
    price_changes: [
      { asset_id: "7", price: "0.5", size: "200", side: "BUY", best_bid: "0.5", best_ask: "1" },
      { asset_id: "8", price: "0.5", size: "200", side: "SELL", best_bid: "0", best_ask: "0.5" },
    ],
  });
  const rows = tob.drain().map((r) => [r.tokenId, r.bestBid, r.bestAsk]);
  assert.deepEqual(rows, [["7", "0.5", null], ["8", null, "0.5"]]);
});

Deno.test("TopOfBook stamps a snapshot's quote at its receive time and a price_change's at its send time", async () => {
  // The real recorded sequence: a subscription `book`, then 49 live `price_change`s and a
  // post-trade `book`. The snapshot is made that of a quiet market: its `timestamp` (the book's
  // last change) is set 120 days back; it arrives when the recorded one did.
  const raw = JSON.parse(await Deno.readTextFile(SEQUENCE)) as Record<string, unknown>[];
  const [first, ...live] = raw;
  const arrived = Number(first!.timestamp) + 40;
  const tob = new TopOfBook();
  apply(tob, { ...first, timestamp: String(Number(first!.timestamp) - 120 * DAY_MS) }, arrived);
  const [q] = tob.drain();
  assert.deepEqual([q?.tokenId, q?.ts.getTime()], [first!.asset_id, arrived]);
  // Live messages keep their send time (drained after each send time, as if one per interval;
  // the three messages sent in the same millisecond fall into one).
  const stamps: [number, number][] = [];
  for (const [i, msg] of live.entries()) {
    const sent = Number(msg.timestamp);
    apply(tob, msg, sent + 40);
    if (Number(live[i + 1]?.timestamp) === sent) continue;
    for (const row of tob.drain()) stamps.push([row.ts.getTime(), sent]);
  }
  assert.ok(stamps.length >= 20, `only ${stamps.length} quotes`);
  for (const [ts, sent] of stamps) assert.equal(ts, sent);
});

Deno.test("TopOfBook stamps a token's quotes in order, each after the one before", () => {
  // A price_change sent 5 ms before the snapshot arrived, received after it was drained:
  // stamped 1 ms after the snapshot's quote, not before it (nor on it: the insert keeps the
  // first row of a (token, ts), which would leave the snapshot's top current).
  const tob = new TopOfBook();
  const at = Date.UTC(2026, 9, 1);
  apply(tob, book([["0.5", "5"]], [["0.52", "1"]]), at);
  assert.deepEqual(tob.drain().map((r) => [r.bestBid, r.ts.getTime()]), [["0.5", at]]);
  apply(tob, change("0.51", "3", "BUY", String(at - 5)), at + 30);
  assert.deepEqual(tob.drain().map((r) => [r.bestBid, r.ts.getTime()]), [["0.51", at + 1]]);
  // Later changes keep their own send time.
  apply(tob, change("0.515", "3", "BUY", String(at + 900)), at + 940);
  assert.deepEqual(tob.drain().map((r) => [r.bestBid, r.ts.getTime()]), [["0.515", at + 900]]);
});
