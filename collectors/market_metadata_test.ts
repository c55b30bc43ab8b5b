import assert from "node:assert/strict";
import { parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import { parseGammaEventsPage } from "../polymarket/gamma_event_schema.ts";
import { clobMarketSchema } from "../polymarket/clob_schema.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import {
  metadataFromClob,
  metadataFromGamma,
  metadataFromNewMarket,
  questionIndex,
  rulesHash,
} from "./market_metadata.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/", import.meta.url);
const AT = new Date("2026-10-01T00:00:00Z");

async function text(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(name, FIXTURES));
}

async function gammaMarket(name: string, patch: Record<string, unknown> = {}) {
  const raw = { ...JSON.parse(await text(name)), ...patch };
  const page = parseGammaMarketsPage([raw], AT);
  assert.deepEqual(page.rejects, []);
  return page.items[0]!;
}

async function newMarket(name: string) {
  const frame = parseWsFrame(await text(name), 0);
  assert.deepEqual(frame.rejects, []);
  const m = frame.messages[0];
  assert.ok(m?.kind === "new_market");
  return m;
}

Deno.test("metadataFromGamma() keeps a sports market's fee schedule, sports fields and rules hash", async () => {
  const m = await gammaMarket("gamma/market_sports_moneyline_closed_2026-04.json");
  const o = metadataFromGamma(m);
  assert.equal(o.marketId, "1878152");
  assert.deepEqual(
    [o.fields.feeRate, o.fields.feeExponent, o.fields.feeTakerOnly, o.fields.feeRebateRate],
    ["0.03", "1", true, "0.25"],
  );
  assert.equal(o.fields.feesEnabled, true);
  assert.equal(o.fields.feeType, "sports_fees_v2");
  assert.equal(o.fields.takerBaseFee, "1000");
  assert.equal(o.fields.makerBaseFee, "1000");
  assert.equal(o.fields.tickSize, "0.001");
  assert.equal(o.fields.minOrderSize, "5");
  assert.equal(o.fields.gameId, "1427074");
  assert.equal(o.fields.sportsMarketType, "moneyline");
  assert.equal(o.fields.gameStartTime, "2026-04-05T15:10:00.000Z");
  assert.equal(o.fields.resolutionSource, "https://hltv.org");
  assert.equal(o.fields.negRiskOther, false);
  assert.equal(o.fields.questionIndex, null);
  assert.equal(o.fields.endDate, "2026-04-05T21:10:00.000Z");
  assert.match(o.rules?.text ?? "", /resolve to 50-50/);
  assert.equal(o.fields.rulesHash, rulesHash(o.rules!.text));
  assert.match(o.fields.rulesHash ?? "", /^[0-9a-f]{64}$/);
});

Deno.test("metadataFromGamma() reads the crypto fee schedule of the 2026-08 capture", async () => {
  const m = await gammaMarket("gamma/market_btc_updown_5m_feeschedule_2026-08_reduced.json");
  const f = metadataFromGamma(m).fields;
  assert.deepEqual([f.feeRate, f.feeExponent, f.feeTakerOnly, f.feeRebateRate], [
    "0.07",
    "1",
    true,
    "0.2",
  ]);
  assert.equal(f.resolutionSource, "https://data.chain.link/streams/btc-usd-twap-60s-streams");
});

Deno.test("metadataFromGamma() derives the question index and the augmented event's flags", async () => {
  const raw = JSON.parse(await text("gamma/events_negrisk_dem_nominee_2028.json"));
  const page = parseGammaEventsPage(raw, AT);
  assert.deepEqual(page.rejects, []);
  const event = page.items[0]!;
  assert.equal(event.enableNegRisk, true);
  assert.equal(event.negRiskAugmented, true);
  const market = event.markets.find((m) => m.id === "559657")!;
  const f = metadataFromGamma(market, event).fields;
  assert.equal(f.negRisk, true);
  assert.equal(f.negRiskMarketId, event.negRiskMarketId);
  assert.equal(f.questionIndex, 5);
  assert.equal(f.groupItemThreshold, "5");
  assert.equal(f.groupItemTitle, "Stephen A. Smith");
  assert.equal(f.eventEnableNegRisk, true);
  assert.equal(f.eventNegRiskAugmented, true);
  assert.equal(f.resolutionSource, null);
});

Deno.test("gammaMarketSchema reads a negative sports line exactly, as text", async () => {
  const m = await gammaMarket("gamma/market_sports_moneyline_closed_2026-04.json", {
    line: -1.5,
    sportsMarketType: "spreads",
  });
  assert.equal(m.line, "-1.5");
  const s = await gammaMarket("gamma/market_sports_moneyline_closed_2026-04.json", {
    line: "220.50",
  });
  assert.equal(s.line, "220.5");
});

Deno.test("questionIndex() needs the group id's prefix", () => {
  const group = "0x" + "ab".repeat(31) + "00";
  assert.equal(questionIndex(group, "0x" + "ab".repeat(31) + "1f"), 31);
  assert.equal(questionIndex(group, "0x" + "cd".repeat(32)), null);
  assert.equal(questionIndex(null, "0x" + "ab".repeat(32)), null);
});

Deno.test("metadataFromNewMarket() reads new_market's string fee schedule", async () => {
  const m = await newMarket("ws-market/new_market_fees_edited_2026-10.json");
  assert.equal(m.feesEnabled, true);
  assert.deepEqual(m.feeSchedule, {
    exponent: "1",
    rate: "0.04",
    takerOnly: true,
    rebateRate: "0.25",
  });
  const o = metadataFromNewMarket(m);
  assert.equal(o.marketId, "1031769");
  assert.equal(o.fields.feeRate, "0.04");
  assert.equal(o.fields.takerBaseFee, "1000");
  assert.equal(o.fields.tickSize, "0.01");
  assert.equal(o.fields.groupItemTitle, "NVDA above $240");
  assert.equal(o.fields.eventId, "125819");
  assert.match(o.rules?.text ?? "", /NVIDIA/);
});

Deno.test("metadataFromNewMarket() leaves out what a message without fees does not carry", async () => {
  const o = metadataFromNewMarket(await newMarket("ws-market/new_market_nt_2025-12.json"));
  assert.equal("feeRate" in o.fields, false);
  assert.equal("feesEnabled" in o.fields, false);
  assert.equal("sportsMarketType" in o.fields, false, "an empty sports_market_type is absent");
  assert.equal("negRiskMarketId" in o.fields, false);
  assert.equal(o.fields.tickSize, "0.01");
});

Deno.test("metadataFromClob() keeps base fees, the 50-50 flag and the tick", async () => {
  const raw = JSON.parse(await text("clob/market_by_condition_closed_2026.json"));
  const parsed = clobMarketSchema.safeParse(raw);
  assert.ok(parsed.success);
  const o = metadataFromClob("42", parsed.data);
  assert.equal(o.marketId, "42");
  assert.equal(o.fields.is5050Outcome, false);
  assert.equal(o.fields.takerBaseFee, "0");
  assert.equal(o.fields.tickSize, "0.01");
  assert.equal(o.fields.gameStartTime, "2026-05-08T20:00:00.000Z");
  assert.equal(o.fields.rulesHash, rulesHash(raw.description));
  assert.equal("feeRate" in o.fields, false);
});
