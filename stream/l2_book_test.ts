import assert from "node:assert/strict";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { type BookEvent, bookEventsOf } from "./book_event.ts";
import { L2Books } from "./l2_book.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/ws-market/", import.meta.url);

async function frameEvents(name: string, receivedAt = 1000): Promise<BookEvent[]> {
  const text = await Deno.readTextFile(new URL(name, FIXTURES));
  const frame = parseWsFrame(text, receivedAt);
  assert.deepEqual(frame.rejects, []);
  let seq = 0;
  return bookEventsOf(frame.messages, { connection: 1, nextSequence: () => seq++ });
}

Deno.test("L2Books: replaying recorded deltas onto the first book gives the venue's next book", async () => {
  const events = await frameEvents("sequence_book_then_price_changes_2026-09.json");
  const snapshots = events.filter((e) => e.kind === "book");
  assert.deepEqual(snapshots.length, 2);
  const [first, last] = snapshots as [BookEvent & { kind: "book" }, BookEvent & { kind: "book" }];
  const books = new L2Books();
  // Everything up to (not including) the final snapshot: the first book, then deltas.
  for (const e of events.slice(0, events.indexOf(last))) books.apply(e);
  assert.deepEqual(books.stats.snapshots, 1);
  // The other token of the pair never had a snapshot: its deltas are gated.
  assert.deepEqual(books.stats.gatedDeltas > 0, true);
  assert.deepEqual(books.isOpen(first.tokenId), true);
  const rebuilt = books.book(first.tokenId)!;
  assert.deepEqual(rebuilt.bids, last.bids);
  assert.deepEqual(rebuilt.asks, last.asks);
  assert.deepEqual(books.bestBid(first.tokenId), Math.round(Number(last.bids[0]![0]) * 1e8));
  assert.deepEqual(books.bestAsk(first.tokenId), Math.round(Number(last.asks[0]![0]) * 1e8));
});

Deno.test("L2Books: a delta before any snapshot is dropped, a tick_size_change shuts the gate", async () => {
  const [tick] = await frameEvents("tick_size_change_2025-02.json");
  const token = tick!.tokenId;
  const books = new L2Books();
  const base = { tokenId: token, exchangeTs: 1, connection: 2 };
  const delta: BookEvent = {
    ...base,
    kind: "price_change",
    receivedAt: 10,
    sequence: 0,
    changes: [{ price: "0.5", size: "10", side: "BUY" }],
  };
  assert.deepEqual(books.apply(delta), false);
  assert.deepEqual(books.book(token), null);
  const snapshot: BookEvent = {
    ...base,
    kind: "book",
    receivedAt: 20,
    sequence: 1,
    bids: [["0.48", "5"], ["0.4", "7"]],
    asks: [["0.52", "3"]],
    tickSize: "0.01",
  };
  assert.deepEqual(books.apply(snapshot), true);
  assert.deepEqual(books.apply({ ...delta, receivedAt: 30, sequence: 2 }), true);
  assert.deepEqual(books.book(token)!.bids, [["0.5", "10"], ["0.48", "5"], ["0.4", "7"]]);
  assert.deepEqual(books.freshness(token)!.changedAt, 30);
  assert.deepEqual(books.apply({ ...tick!, receivedAt: 40 }), false);
  assert.deepEqual(books.book(token), null);
  assert.deepEqual(books.tickSize(token), "0.001");
  assert.deepEqual(books.apply({ ...delta, receivedAt: 50, sequence: 4 }), false);
  assert.deepEqual(books.stats, {
    snapshots: 1,
    deltas: 1,
    gatedDeltas: 2,
    tickResets: 1,
    closes: 0,
  });
  assert.deepEqual(books.connectionSeenAt(2), 50);
});

Deno.test("L2Books: a size of 0 deletes a level, a new size replaces it", () => {
  const books = new L2Books();
  const base = { tokenId: "7", exchangeTs: 1, receivedAt: 1, connection: 0 };
  books.apply({
    ...base,
    kind: "book",
    sequence: 0,
    bids: [["0.3", "1"]],
    asks: [["0.31", "2"], ["0.32", "4"]],
    tickSize: null,
  });
  books.apply({
    ...base,
    kind: "price_change",
    sequence: 1,
    changes: [{ price: "0.31", size: "0", side: "SELL" }, {
      price: "0.32",
      size: "9.5",
      side: "SELL",
    }],
  });
  assert.deepEqual(books.book("7")!.asks, [["0.32", "9.5"]]);
  assert.deepEqual(books.bestAsk("7"), 32_000_000);
});
