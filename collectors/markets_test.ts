import assert from "node:assert/strict";
import { parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import { parseGammaEventsPage } from "../polymarket/gamma_event_schema.ts";
import { toCatalogRows } from "./markets.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/gamma/", import.meta.url);
const AT = new Date("2026-11-25T10:00:00Z");

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

Deno.test("toCatalogRows() pairs clobTokenIds with outcomes by index", async () => {
  const page = parseGammaMarketsPage([await fixture("market_btc_updown_5m_2026-03.json")], AT);
  assert.deepEqual(page.rejects, []);
  const rows = toCatalogRows(page.items, []);
  assert.equal(rows.markets.length, 1);
  assert.deepEqual(rows.tokens.map((t) => [t.outcome, t.outcomeIndex, t.tokenId.slice(0, 6)]), [
    ["Up", 0, "104239"],
    ["Down", 1, "711839"],
  ]);
  const m = rows.markets[0]!;
  assert.equal(m.marketId, "1557558");
  assert.deepEqual(m.outcomes, ["Up", "Down"]);
  assert.ok(rows.tokens.every((t) => t.conditionId === m.conditionId && t.marketId === m.marketId));
});

Deno.test("toCatalogRows() keeps the neg-risk group of markets and their event", async () => {
  const markets = parseGammaMarketsPage(
    await fixture("markets_resolved_negrisk_2024_election.json"),
    AT,
  );
  const events = parseGammaEventsPage(await fixture("events_negrisk_dem_nominee_2028.json"), AT);
  assert.deepEqual([markets.rejects, events.rejects], [[], []]);
  const rows = toCatalogRows(markets.items, events.items);
  assert.equal(rows.markets.length, 2);
  const group = "0xe3b1bc389210504ebcb9cffe4b0ed06ccac50561e0f24abb6379984cec030f00";
  assert.ok(rows.markets.every((m) => m.negRisk && m.negRiskMarketId === group));
  assert.ok(rows.markets.every((m) => m.eventId === "903193" && m.closed === true));
  assert.equal(rows.tokens.length, 4);
  assert.deepEqual(rows.events.map((e) => [e.eventId, e.negRisk, e.negRiskMarketId]), [
    ["30829", true, "0x2c3d7e0eee6f058be3006baabf0d54a07da254ba47fe6e3e095e7990c7814700"],
  ]);
});

Deno.test("toCatalogRows() of an empty page is empty", () => {
  assert.deepEqual(toCatalogRows([], []), { events: [], markets: [], tokens: [] });
});
