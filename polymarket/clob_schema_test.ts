import assert from "node:assert/strict";
import {
  clobMarketSchema,
  parseBooks,
  parseClobMarketsPage,
  parseFeeRate,
  parseMidpoint,
  parsePrice,
  parsePriceHistory,
} from "./clob_schema.ts";
import { parseTradesV1, parseTradesV2 } from "./data_api_schema.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/", import.meta.url);

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

Deno.test("clobMarketSchema exposes tokens[].winner of a resolved market", async () => {
  const m = clobMarketSchema.parse(await fixture("clob/market_by_condition_closed_2026.json"));
  assert.equal(m.closed, true);
  assert.deepEqual(m.tokens.map((t) => [t.outcome, t.winner, t.price]), [
    ["Yes", true, "1"],
    ["No", false, "0"],
  ]);
  assert.equal(m.minimumTickSize, "0.01");
});

Deno.test("parseClobMarketsPage() reads data and treats LTE= as the end", async () => {
  const raw = await fixture("clob/markets_page_2024_trimmed.json") as Record<string, unknown>;
  const page = parseClobMarketsPage(raw);
  assert.equal(page.items.length, 4);
  assert.equal(page.nextCursor, "MTAw");
  assert.equal(parseClobMarketsPage({ ...raw, next_cursor: "LTE=" }).nextCursor, null);
});

Deno.test("parseBooks() rejects one bad book and keeps the others", async () => {
  const book = await fixture("clob/book_2026-08_negrisk_empty_asks.json");
  const batch = parseBooks([book, { asset_id: "x" }, book], 0);
  assert.equal(batch.items.length, 2);
  assert.equal(batch.rejects[0]!.path, "books[1]");
});

Deno.test("parseMidpoint() accepts both mid and mid_price; parsePrice() keeps strings", () => {
  assert.equal(parseMidpoint({ mid: "0.45" }), "0.45");
  assert.equal(parseMidpoint({ mid_price: ".45" }), "0.45");
  assert.equal(parseMidpoint({}), null);
  assert.equal(parsePrice({ price: "0.530" }), "0.53");
  assert.equal(parsePrice({ price: 0.53 }), "0.53");
});

Deno.test("parsePriceHistory() reads seconds and numeric prices", () => {
  const h = parsePriceHistory({ history: [{ t: 1786258812, p: 0.1815 }, { t: "x", p: 1 }] });
  assert.equal(h.items[0]!.price, "0.1815");
  assert.equal(h.items[0]!.at.getTime(), 1786258812_000);
  assert.equal(h.rejects.length, 1);
});

Deno.test("parseFeeRate() accepts string and number base fees", async () => {
  assert.equal(parseFeeRate(await fixture("clob/fee_rate_nonzero_nt.json")), "150");
  assert.equal(parseFeeRate({ base_fee: 0 }), "0");
});

Deno.test("parseTradesV1() and parseTradesV2() map both wire spellings to one trade type", async () => {
  const v1 = parseTradesV1(
    await fixture("data-api/trades_v1_2024_partly_sanitized.json"),
    new Date(),
  );
  const v2 = parseTradesV2(await fixture("data-api/v2_trades_2026-09.json"), new Date());
  assert.deepEqual([v1.rejects, v2.rejects], [[], []]);
  assert.equal(v1.items[0]!.size, "5.4");
  assert.equal(v1.items[0]!.timestamp.getTime(), 1729000180_000);
  assert.equal(v2.items[0]!.outcomeIndex, null);
  assert.equal(v2.items.length, 2);
  assert.ok(v2.hasMore && v2.nextCursor !== null);
});

Deno.test("parseTradesV2() reads data: null as an empty page", async () => {
  const page = parseTradesV2(await fixture("data-api/v2_empty_data_null_docs.json"), new Date());
  assert.deepEqual(page, { items: [], rejects: [], nextCursor: null, hasMore: false, skipped: 0 });
});

Deno.test("parseTradesV2() skips non-trade /v2/activity rows without counting them as rejects", async () => {
  const raw = await fixture("data-api/v2_activity_non_trade_rows_edited.json");
  const page = parseTradesV2(raw, new Date());
  assert.deepEqual(page.rejects, []);
  assert.equal(page.skipped, 3);
  assert.deepEqual(page.items.map((t) => t.price), ["0.52", "0.9"]);
  const plain = parseTradesV2(await fixture("data-api/v2_activity_2026-09.json"), new Date());
  assert.deepEqual([plain.items.length, plain.rejects.length, plain.skipped], [2, 0, 0]);
});
