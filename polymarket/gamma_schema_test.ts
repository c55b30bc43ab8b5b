import assert from "node:assert/strict";
import { parseGammaMarketsPage } from "./gamma_schema.ts";
import { parseGammaEventsPage } from "./gamma_event_schema.ts";
import { parseTimestamp } from "./_wire.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/gamma/", import.meta.url);
const AT = new Date("2026-10-01T00:00:00Z");

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

Deno.test("parseGammaMarketsPage() decodes JSON-in-string fields and keeps ids and prices as strings", async () => {
  const raw = await fixture("market_btc_updown_5m_2026-03.json");
  const page = parseGammaMarketsPage([raw], AT);
  assert.deepEqual(page.rejects, []);
  const m = page.items[0]!;
  assert.deepEqual(m.outcomes, ["Up", "Down"]);
  assert.deepEqual(m.outcomePrices, ["0.505", "0.495"]);
  assert.equal(m.clobTokenIds.length, 2);
  assert.equal(
    m.clobTokenIds[0],
    "104239898038807136052399800151408521467737075933964991162589336683346093173875",
  );
  assert.deepEqual(m.umaResolutionStatuses, []);
  assert.equal(m.volume, "9.999997");
  assert.equal(m.orderPriceMinTickSize, "0.01");
});

Deno.test("parseGammaMarketsPage() exposes resolution evidence of a closed market", async () => {
  const raw = await fixture("market_sports_moneyline_closed_2026-04.json");
  const m = parseGammaMarketsPage([raw], AT).items[0]!;
  assert.equal(m.closed, true);
  assert.deepEqual(m.outcomePrices, ["1", "0"]);
  assert.equal(m.umaResolutionStatus, "resolved");
  assert.deepEqual(m.umaResolutionStatuses, ["proposed"]);
  assert.equal(m.closedTime?.toISOString(), "2026-04-05T19:37:33.000Z");
  assert.equal(m.feeSchedule?.rate, "0.03");
});

Deno.test("parseGammaMarketsPage() treats empty and null JSON-string fields as empty lists", () => {
  const page = parseGammaMarketsPage([
    { id: "1", outcomes: "", outcomePrices: null, clobTokenIds: "[]" },
  ], AT);
  assert.deepEqual(page.rejects, []);
  assert.deepEqual(page.items[0]!.outcomes, []);
  assert.deepEqual(page.items[0]!.outcomePrices, []);
});

Deno.test("parseGammaMarketsPage() rejects one malformed market and keeps the rest", async () => {
  const raw = await fixture("markets_resolved_negrisk_2024_election.json") as unknown[];
  const bad = { id: "9", outcomePrices: '["abc"]' };
  const page = parseGammaMarketsPage({ markets: [raw[0], bad, raw[1]], next_cursor: "abc" }, AT);
  assert.equal(page.items.length, 2);
  assert.equal(page.rejects.length, 1);
  assert.equal(page.rejects[0]!.path, "markets[1]");
  assert.match(page.rejects[0]!.reason, /outcomePrices/);
  assert.equal(page.nextCursor, "abc");
});

Deno.test("parseGammaMarketsPage() ends the keyset walk on an empty or absent cursor", () => {
  assert.equal(parseGammaMarketsPage({ markets: [], next_cursor: "" }, AT).nextCursor, null);
  assert.equal(parseGammaMarketsPage({ markets: [] }, AT).nextCursor, null);
  assert.equal(parseGammaMarketsPage({ nope: 1 }, AT).rejects[0]!.path, "$");
});

Deno.test("parseGammaEventsPage() parses events with nested neg-risk markets", async () => {
  const raw = await fixture("events_negrisk_dem_nominee_2028.json");
  const page = parseGammaEventsPage(raw, AT);
  assert.deepEqual(page.rejects, []);
  const e = page.items[0]!;
  assert.equal(e.negRisk, true);
  assert.equal(e.markets.length, 2);
  assert.equal(e.markets[0]!.negRiskMarketId, e.negRiskMarketId);
  const keyset = parseGammaEventsPage({ events: raw, next_cursor: "n" }, AT);
  assert.equal(keyset.items.length, 1);
  assert.equal(keyset.nextCursor, "n");
});

Deno.test("parseTimestamp() accepts the venue's mixed timestamp spellings", () => {
  const cases: [string, string][] = [
    ["2026-03-11T09:29:01.328428Z", "2026-03-11T09:29:01.328Z"],
    ["2026-04-01T18:24:05.41Z", "2026-04-01T18:24:05.410Z"],
    ["2026-03-12T09:25:00Z", "2026-03-12T09:25:00.000Z"],
    ["2024-11-06 15:17:41+00", "2024-11-06T15:17:41.000Z"],
    ["2024-11-06T15:17:41+00:00:00", "2024-11-06T15:17:41.000Z"],
    ["2024-11-06T17:17:41+02:00", "2024-11-06T15:17:41.000Z"],
    ["2026-03-12", "2026-03-12T00:00:00.000Z"],
  ];
  for (const [input, iso] of cases) assert.equal(parseTimestamp(input)?.toISOString(), iso, input);
  assert.equal(parseTimestamp("yesterday"), null);
});

Deno.test("parseGammaMarketsPage() rejects a market whose text or decimals no table can hold", async () => {
  const raw = await fixture("markets_resolved_negrisk_2024_election.json") as Record<
    string,
    unknown
  >[];
  const nul = { ...raw[0], question: "Who wins?\u0000" };
  const huge = { ...raw[0], volume: "9".repeat(200_000) };
  const outcome = { ...raw[0], outcomes: JSON.stringify(["Yes", "N\u0001o"]) };
  const page = parseGammaMarketsPage({ markets: [nul, huge, raw[1], outcome] }, AT);
  assert.equal(page.items.length, 1);
  assert.deepEqual(page.rejects.map((r) => r.path), ["markets[0]", "markets[1]", "markets[3]"]);
  assert.match(page.rejects[0]!.reason, /question/);
  assert.match(page.rejects[1]!.reason, /volume/);
});

Deno.test("parseGammaMarketsPage() calls a page without its array key unrecognised, never empty", () => {
  for (
    const raw of [
      { data: [{ id: "1" }], next_cursor: null },
      { data: [], next_cursor: "" },
      { next_cursor: "abc" },
      { markets: "[]", next_cursor: null },
      { events: [], next_cursor: null },
    ]
  ) {
    const page = parseGammaMarketsPage(raw, AT);
    assert.equal(page.items.length, 0);
    assert.deepEqual(page.rejects.map((r) => r.path), ["$"], JSON.stringify(raw));
  }
  assert.deepEqual(parseGammaMarketsPage({ markets: [], next_cursor: null }, AT).rejects, []);
});

Deno.test("parseGammaMarketsPage() takes a v2 market's tokens from positionIds when clobTokenIds is null", async () => {
  const page = parseGammaMarketsPage([await fixture("market_v2_position_ids_edited.json")], AT);
  assert.deepEqual(page.rejects, []);
  assert.deepEqual(page.items[0]!.clobTokenIds, [
    "104239898038807136052399800151408521467737075933964991162589336683346093173875",
    "71183960810705820955071415844881728181970340514894896943812046065452395013351",
  ]);
});

Deno.test("parseGammaMarketsPage() reads the last keyset page (no next_cursor)", async () => {
  const page = parseGammaMarketsPage(await fixture("markets_keyset_last_page_edited.json"), AT);
  assert.deepEqual([page.items.length, page.rejects.length, page.nextCursor], [1, 0, null]);
});
