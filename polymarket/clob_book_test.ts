import assert from "node:assert/strict";
import { type Book, parseBook } from "./clob_book.ts";
import { parseWsFrame } from "./ws_frame.ts";
import type { WsMessage } from "./ws_schema.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/", import.meta.url);

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

Deno.test("parseBook() keeps prices as strings and orders both sides best-first", async () => {
  const book = parseBook(await fixture("ws-market/book_2026-08_initial_with_tick_size.json"), 7);
  assert.equal(typeof book.bids[0]!.price, "string");
  assert.equal(book.bestBid, "0.07");
  assert.equal(book.bids[0]!.price, "0.07");
  assert.equal(book.bids.at(-1)!.price, "0.01");
  assert.equal(book.asks[0]!.price, book.bestAsk);
  for (let i = 1; i < book.asks.length; i++) {
    assert.ok(Number(book.asks[i - 1]!.price) < Number(book.asks[i]!.price));
  }
  assert.equal(book.tickSize, "0.01");
  assert.equal(book.lastTradePrice, "0.92");
  assert.equal(book.receivedAt, 7);
});

Deno.test("parseBook() accepts leading-dot prices and computes mid and spread exactly", async () => {
  const book = parseBook(await fixture("ws-market/book_docs_example.json"), 0);
  assert.equal(book.bestBid, "0.5");
  assert.equal(book.bestAsk, "0.52");
  assert.equal(book.mid, "0.51");
  assert.equal(book.spread, "0.02");
  assert.equal(book.bidSizeTotal, "65");
  assert.equal(book.askSizeTotal, "95");
});

Deno.test("parseBook() handles an empty side from REST /book", async () => {
  const book = parseBook(await fixture("clob/book_2026-08_negrisk_empty_asks.json"), 0);
  assert.deepEqual(book.asks, []);
  assert.equal(book.bestAsk, null);
  assert.equal(book.mid, null);
  assert.equal(book.bestBid, "0.002");
  assert.equal(book.negRisk, true);
  assert.equal(book.lastTradePrice, null);
  assert.equal(book.minOrderSize, "5");
});

Deno.test("parseBook() names the bad level in its error", () => {
  const raw = {
    market: "0x" + "ab".repeat(32),
    asset_id: "1",
    timestamp: "1",
    bids: [{ price: "0.1", size: "1" }, { price: "x", size: "1" }],
    asks: [],
  };
  assert.throws(() => parseBook(raw, 0), /bids\[1\]\.price/);
});

function levels(book: Book, side: "bids" | "asks"): Map<string, string> {
  return new Map(book[side].map((l) => [l.price, l.size]));
}

Deno.test("price_change replay onto the first book reproduces the final book (2026-09 sequence)", async () => {
  const text = await Deno.readTextFile(
    new URL("ws-market/sequence_book_then_price_changes_2026-09.json", FIXTURES),
  );
  const frame = parseWsFrame(text, 0);
  assert.deepEqual(frame.rejects, []);
  const msgs: WsMessage[] = frame.messages;
  const first = msgs[0]!;
  const last = msgs.at(-1)!;
  assert.ok(first.kind === "book" && last.kind === "book");
  const asset = first.book.tokenId;
  const bids = levels(first.book, "bids");
  const asks = levels(first.book, "asks");
  let applied = 0;
  for (const m of msgs.slice(1, -1)) {
    assert.equal(m.kind, "price_change");
    if (m.kind !== "price_change") continue;
    for (const c of m.changes) {
      if (c.tokenId !== asset) continue;
      const side = c.side === "BUY" ? bids : asks;
      if (c.size === "0") side.delete(c.price);
      else side.set(c.price, c.size);
      applied++;
    }
  }
  assert.equal(applied, 49);
  assert.deepEqual(bids, levels(last.book, "bids"));
  assert.deepEqual(asks, levels(last.book, "asks"));
});
