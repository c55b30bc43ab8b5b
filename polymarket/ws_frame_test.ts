import assert from "node:assert/strict";
import { parseWsFrame } from "./ws_frame.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/ws-market/", import.meta.url);

function frameOf(name: string): Promise<string> {
  return Deno.readTextFile(new URL(name, FIXTURES));
}

Deno.test("parseWsFrame() recognises the PONG keepalive text", () => {
  assert.deepEqual(parseWsFrame("PONG", 1), {
    messages: [],
    rejects: [],
    rejectsOmitted: 0,
    pong: true,
  });
});

Deno.test("parseWsFrame() accepts an empty array frame", () => {
  assert.deepEqual(parseWsFrame("[]", 1), {
    messages: [],
    rejects: [],
    rejectsOmitted: 0,
    pong: false,
  });
});

Deno.test("parseWsFrame() parses array frames of books (initial dump)", async () => {
  const book = await frameOf("book_2026-08_initial_with_tick_size.json");
  const frame = parseWsFrame(`[${book},${book}]`, 5);
  assert.equal(frame.messages.length, 2);
  assert.ok(frame.messages.every((m) => m.kind === "book" && m.book.receivedAt === 5));
});

Deno.test("parseWsFrame() counts an unknown event_type as a reject instead of throwing", async () => {
  const trade = await frameOf("last_trade_price_2024-08.json");
  const frame = parseWsFrame(`[{"event_type":"mystery","x":1},${trade}]`, 0);
  assert.equal(frame.messages.length, 1);
  assert.equal(frame.rejects.length, 1);
  assert.equal(frame.rejects[0]!.reason, "unknown event_type mystery");
  assert.equal(frame.rejects[0]!.path, "frame[0]");
});

Deno.test("parseWsFrame() turns invalid JSON into a reject", () => {
  const frame = parseWsFrame("{not json", 0);
  assert.equal(frame.messages.length, 0);
  assert.match(frame.rejects[0]!.reason, /^invalid JSON/);
});

Deno.test("parseWsFrame() reads batched price_changes with best bid/ask", async () => {
  const frame = parseWsFrame(await frameOf("price_change_batched_docs_example_2025-09.json"), 0);
  const m = frame.messages[0]!;
  assert.ok(m.kind === "price_change");
  assert.equal(m.changes.length, 2);
  assert.deepEqual(m.changes[1], {
    tokenId: "52114319501245915516055106046884209969926127482827954674443846427813813222426",
    price: "0.5",
    size: "200",
    side: "SELL",
    hash: "1895759e4df7a796bf4f1c5a5950b748306923e2",
    bestBid: null,
    bestAsk: "0.5",
  });
  assert.equal(m.timestamp, 1757908892351);
});

Deno.test("parseWsFrame() reads the legacy single-level price_change", async () => {
  const m = parseWsFrame(await frameOf("price_change_legacy_single_2024-08.json"), 0).messages[0]!;
  assert.ok(m.kind === "price_change");
  assert.equal(m.changes.length, 1);
  assert.equal(m.changes[0]!.price, "0.514");
  assert.equal(m.changes[0]!.bestBid, null);
});

Deno.test("parseWsFrame() reads last_trade_price with and without transaction_hash", async () => {
  const old = parseWsFrame(await frameOf("last_trade_price_2024-08.json"), 0).messages[0]!;
  const now = parseWsFrame(await frameOf("last_trade_price_with_tx_hash_2026-08.json"), 0)
    .messages[0]!;
  assert.ok(old.kind === "trade" && now.kind === "trade");
  assert.equal(old.transactionHash, null);
  assert.equal(old.price, "0.491");
  assert.equal(old.side, "SELL");
  assert.match(now.transactionHash ?? "", /^0x861c/);
});

Deno.test("parseWsFrame() reads tick_size_change, best_bid_ask, new_market and market_resolved", async () => {
  const kinds = await Promise.all([
    "tick_size_change_2025-02.json",
    "best_bid_ask_2025-12.json",
    "new_market_nt_2025-12.json",
    "market_resolved_nt_2025-12.json",
  ].map(async (f) => parseWsFrame(await frameOf(f), 0)));
  assert.deepEqual(kinds.map((f) => f.rejects), [[], [], [], []]);
  const [tick, bba, created, resolved] = kinds.map((f) => f.messages[0]!);
  assert.ok(tick?.kind === "tick_size_change" && tick.newTickSize === "0.001");
  assert.ok(bba?.kind === "best_bid_ask" && bba.spread === "0.04");
  assert.ok(created?.kind === "new_market" && created.tokenIds.length === 2);
  assert.ok(resolved?.kind === "market_resolved");
  assert.equal(resolved.winningOutcome, "Yes");
  assert.equal(resolved.winningTokenId, resolved.tokenIds[0]);
});

Deno.test("parseWsFrame() rejects one malformed message and keeps the rest of the frame", async () => {
  const trade = await frameOf("last_trade_price_2024-08.json");
  const bad = trade.replace('"price": "0.491"', '"price": "-1"');
  const frame = parseWsFrame(`[${trade},${bad},${trade}]`, 0);
  assert.equal(frame.messages.length, 2);
  assert.equal(frame.rejects[0]!.path, "frame[1]");
  assert.match(frame.rejects[0]!.reason, /^price/);
});

Deno.test("parseWsFrame() rejects a trade whose values no table can hold and keeps the good one", async () => {
  const good = JSON.parse(await frameOf("last_trade_price_with_tx_hash_2026-08.json"));
  const nul = { ...good, transaction_hash: "0x86\u0000cf" };
  const huge = { ...good, size: "9".repeat(200_000) };
  const long = { ...good, transaction_hash: "0x" + "ab".repeat(5000) };
  // Past DECIMAL_MAX_FRACTION_DIGITS (80): longer than any decimal the venue serves.
  const tiny = { ...good, price: "0." + "0".repeat(80) + "1" };
  const frame = parseWsFrame(JSON.stringify([nul, huge, good, long, tiny]), 0);
  assert.equal(frame.messages.length, 1);
  assert.deepEqual(frame.rejects.map((r) => r.path), [
    "frame[0]",
    "frame[1]",
    "frame[3]",
    "frame[4]",
  ]);
  assert.match(frame.rejects[0]!.reason, /^transaction_hash: invalid value/);
  assert.match(frame.rejects[1]!.reason, /^size: invalid value/);
  assert.match(frame.rejects[2]!.reason, /^transaction_hash: invalid value/);
  assert.match(frame.rejects[3]!.reason, /^price: invalid value/);
});

Deno.test("parseWsFrame() keeps 10 rejects of a frame of many malformed elements and counts the rest", () => {
  const elements = Array.from({ length: 50_000 }, (_, i) => `{"event_type":"x","n":${i}}`);
  const frame = parseWsFrame(`[${elements.join(",")}]`, 0);
  assert.equal(frame.messages.length, 0);
  assert.equal(frame.rejects.length, 10);
  assert.equal(frame.rejectsOmitted, 49_990);
  assert.equal(frame.rejects[9]!.path, "frame[9]");
});

Deno.test("parseWsFrame() does not parse a frame over the size limit", async () => {
  const trade = await frameOf("last_trade_price_2024-08.json");
  const text = `[${Array(100).fill(trade).join(",")}]`;
  const frame = parseWsFrame(text, 0, { maxFrameBytes: 10_000 });
  assert.equal(frame.messages.length, 0);
  assert.equal(frame.rejects.length, 1);
  assert.match(frame.rejects[0]!.reason, /^frame too large: \d+ characters \(limit 10000\)/);
  assert.equal((frame.rejects[0]!.raw as string).length, 200);
  assert.equal(parseWsFrame(text, 0, { maxFrameBytes: text.length }).messages.length, 100);
});

Deno.test('parseWsFrame() reads an empty side (best_bid "0", best_ask "1") as null', async () => {
  const m = parseWsFrame(await frameOf("price_change_batched_docs_example_2025-09.json"), 0)
    .messages[0]!;
  assert.ok(m.kind === "price_change");
  assert.deepEqual(m.changes.map((c) => [c.bestBid, c.bestAsk]), [["0.5", null], [null, "0.5"]]);
});

Deno.test("parseWsFrame() reads the legacy price_change with changes[] under one asset_id", async () => {
  const frame = parseWsFrame(await frameOf("price_change_legacy_changes_docs_2024-10.json"), 7);
  assert.deepEqual(frame.rejects, []);
  const m = frame.messages[0]!;
  assert.ok(m.kind === "price_change");
  assert.equal(m.timestamp, 1729084877448);
  assert.deepEqual(m.changes, [{
    tokenId: "71321045679252212594626385532706912750332728571942532289631379312455583992563",
    price: "0.4",
    size: "3300",
    side: "SELL",
    hash: "3cd4d61e042c81560c9037ece0c61f3b1a8fbbdd",
    bestBid: null,
    bestAsk: null,
  }]);
});
