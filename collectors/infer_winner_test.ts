import assert from "node:assert/strict";
import { checkNegRiskEvent, inferWinner, STRENGTH } from "./infer_winner.ts";
import { type GammaMarket, parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import { clobMarketSchema } from "../polymarket/clob_schema.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { DecimalString } from "../polymarket/ids.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/", import.meta.url);
const AT = new Date("2026-10-01T00:00:00Z");

async function text(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(name, FIXTURES));
}

async function gamma(name: string): Promise<GammaMarket[]> {
  const raw = JSON.parse(await text(`gamma/${name}`));
  const page = parseGammaMarketsPage(Array.isArray(raw) ? raw : [raw], AT);
  assert.deepEqual(page.rejects, []);
  return page.items;
}

function fromGamma(market: GammaMarket, observedAt = AT) {
  return inferWinner({ source: "gamma", market, observedAt });
}

const decimals = (...p: string[]) => p as DecimalString[];

Deno.test('inferWinner() reads a closed Gamma market with ["1","0"] as a Yes win', async () => {
  const [m] = await gamma("market_closed_resolved_yes_2026.json");
  const v = fromGamma(m!);
  assert.equal(v.status, "resolved");
  assert.equal(v.winnerOutcome, "Yes");
  assert.equal(v.winnerTokenId, m!.clobTokenIds[0]);
  assert.deepEqual(v.finalPrices, ["1", "0"]);
  assert.equal(v.strength, STRENGTH.gamma);
  assert.equal(v.source, "gamma");
  assert.equal(v.conditionId, m!.conditionId);
  assert.equal(v.marketId, "1812085");
  assert.deepEqual(v.resolvedAt, new Date("2026-05-09T02:07:01Z"));
});

Deno.test('inferWinner() makes legacy ["0","0"] ambiguous with a reason', async () => {
  const [m] = await gamma("market_closed_legacy_zero_zero_2020.json");
  const v = fromGamma(m!);
  assert.equal(v.status, "ambiguous");
  assert.equal(v.winnerTokenId, null);
  assert.deepEqual(v.finalPrices, ["0", "0"]);
  assert.match(JSON.stringify(v.evidence), /all-zero/);
});

Deno.test("inferWinner() keeps legacy fractional prices as split evidence", async () => {
  const [m] = await gamma("market_closed_legacy_nonbinary_prices_2020.json");
  const v = fromGamma(m!);
  assert.equal(v.status, "ambiguous");
  assert.equal(v.winnerTokenId, null);
  assert.deepEqual(v.finalPrices, m!.outcomePrices);
  assert.equal(v.finalPrices?.[0], "0.5843311669077693146635445446077281");
  // Just after the close, the same prices only mean "not resolved yet".
  const soon = new Date(m!.closedTime!.getTime() + 3_600_000);
  assert.equal(fromGamma(m!, soon).status, "unresolved");
  assert.equal(fromGamma(m!, soon).strength, STRENGTH.unresolved);
});

Deno.test("inferWinner() treats an even split as ambiguous at once", async () => {
  const [m] = await gamma("market_closed_resolved_yes_2026.json");
  const v = fromGamma({ ...m!, outcomePrices: decimals("0.5", "0.5") });
  assert.equal(v.status, "ambiguous");
  assert.match(JSON.stringify(v.evidence), /even split/);
});

Deno.test("inferWinner() reads the sports moneyline whose final UMA status is resolved", async () => {
  const [m] = await gamma("market_sports_moneyline_closed_2026-04.json");
  const v = fromGamma(m!);
  assert.equal(v.status, "resolved");
  assert.equal(v.winnerOutcome, "FaZe");
  assert.equal(v.winnerTokenId, m!.clobTokenIds[0]);
});

Deno.test("inferWinner() keeps proposed or disputed UMA statuses unresolved", async () => {
  const [m] = await gamma("market_closed_resolved_yes_2026.json");
  for (
    const patch of [
      { umaResolutionStatus: "disputed" },
      { umaResolutionStatus: null, umaResolutionStatuses: ["proposed"] },
      { umaResolutionStatus: null, umaResolutionStatuses: ["proposed", "disputed"] },
    ]
  ) {
    const v = fromGamma({ ...m!, ...patch });
    assert.equal(v.status, "unresolved", JSON.stringify(patch));
    assert.equal(v.strength, STRENGTH.unresolved);
    assert.match(JSON.stringify(v.evidence), /not final/);
  }
  const final = fromGamma({ ...m!, umaResolutionStatuses: ["proposed", "resolved"] });
  assert.equal(final.status, "resolved");
});

Deno.test("inferWinner() does not resolve an open market at 1/0 prices", async () => {
  const [m] = await gamma("market_closed_resolved_yes_2026.json");
  const v = fromGamma({ ...m!, closed: false });
  assert.equal(v.status, "unresolved");
  assert.equal(v.resolvedAt, null);
});

Deno.test("inferWinner() reads both resolved neg-risk members of the 2024 election", async () => {
  const [trump, harris] = await gamma("markets_resolved_negrisk_2024_election.json");
  const a = fromGamma(trump!);
  const b = fromGamma(harris!);
  assert.equal(a.status, "resolved");
  assert.equal(a.winnerOutcome, "Yes");
  assert.equal(b.status, "resolved");
  assert.equal(b.winnerOutcome, "No");
  assert.equal(b.winnerTokenId, harris!.clobTokenIds[1]);
  const members = [a, b].map((v) => ({ ...v, conditionId: v.conditionId! }));
  const check = checkNegRiskEvent(members);
  assert.equal(check.problem, null);
  assert.deepEqual(check.winners, [trump!.conditionId]);
});

Deno.test("inferWinner() leaves open neg-risk members of the 2028 event unresolved", async () => {
  const raw = JSON.parse(await text("gamma/events_negrisk_dem_nominee_2028.json"));
  const page = parseGammaMarketsPage(raw[0].markets, AT);
  assert.equal(page.items.length, 2);
  for (const m of page.items) assert.equal(fromGamma(m).status, "unresolved");
});

Deno.test("checkNegRiskEvent() flags several winners, and no winner only when complete", () => {
  const yes = (id: string) => ({
    conditionId: id,
    status: "resolved" as const,
    winnerOutcome: "Yes",
  });
  const no = (id: string) => ({
    conditionId: id,
    status: "resolved" as const,
    winnerOutcome: "No",
  });
  assert.equal(checkNegRiskEvent([yes("a"), yes("b"), no("c")]).problem, "multiple_winners");
  assert.equal(
    checkNegRiskEvent([yes("a"), yes("b")], { allowMultipleWinners: true }).problem,
    null,
  );
  assert.equal(checkNegRiskEvent([no("a"), no("b")]).problem, null);
  assert.equal(checkNegRiskEvent([no("a"), no("b")], { complete: true }).problem, "no_winner");
  const open = { conditionId: "c", status: "unresolved" as const, winnerOutcome: null };
  assert.equal(checkNegRiskEvent([no("a"), open], { complete: true }).problem, null);
});

Deno.test("inferWinner() takes the CLOB winner flag as stronger evidence", async () => {
  const m = clobMarketSchema.parse(
    JSON.parse(await text("clob/market_by_condition_closed_2026.json")),
  );
  const v = inferWinner({ source: "clob", market: m, observedAt: AT });
  assert.equal(v.status, "resolved");
  assert.equal(v.source, "clob");
  assert.equal(v.strength, STRENGTH.clob);
  assert.equal(v.winnerOutcome, "Yes");
  assert.equal(
    v.winnerTokenId,
    "22978793223071892222859460592277435458011604214087068523744633723809814935807",
  );
  assert.deepEqual(v.finalPrices, ["1", "0"]);
  // Same condition as the Gamma fixture: both agree on the token.
  const [g] = await gamma("market_closed_resolved_yes_2026.json");
  assert.equal(fromGamma(g!).winnerTokenId, v.winnerTokenId);
  assert.ok(v.strength > fromGamma(g!).strength);
});

Deno.test("inferWinner() reads an unflagged CLOB market as unresolved, never stronger than Gamma", async () => {
  const m = clobMarketSchema.parse(
    JSON.parse(await text("clob/market_by_condition_trump_2024_negrisk.json")),
  );
  const v = inferWinner({ source: "clob", market: m, observedAt: AT });
  assert.equal(v.status, "unresolved");
  assert.equal(v.strength, STRENGTH.unresolved);
  const both = inferWinner({
    source: "clob",
    market: { ...m, tokens: m.tokens.map((t) => ({ ...t, winner: true })) },
    observedAt: AT,
  });
  assert.equal(both.status, "ambiguous");
  assert.match(JSON.stringify(both.evidence), /several winner flags/);
});

Deno.test("inferWinner() takes websocket market_resolved as the strongest signal", async () => {
  const frame = parseWsFrame(await text("ws-market/market_resolved_nt_2025-12.json"), 5);
  const message = frame.messages[0];
  assert.ok(message?.kind === "market_resolved");
  const v = inferWinner({ source: "ws", message, observedAt: AT });
  assert.equal(v.status, "resolved");
  assert.equal(v.source, "ws");
  assert.equal(v.strength, STRENGTH.ws);
  assert.ok(STRENGTH.ws > STRENGTH.clob && STRENGTH.clob > STRENGTH.gamma);
  assert.equal(v.conditionId, message.market);
  assert.equal(v.marketId, "1031769");
  assert.equal(v.winnerTokenId, message.winningTokenId);
  assert.equal(v.winnerOutcome, "Yes");
  assert.deepEqual(v.resolvedAt, new Date(1766790415550));
});
