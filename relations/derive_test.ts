import assert from "node:assert/strict";
import { deriveRelations, type StructuralMarket } from "./derive.ts";
import { plainMarket } from "./_plain_market.ts";
import { parseGammaEventsPage } from "../polymarket/gamma_event_schema.ts";
import { metadataFromGamma } from "../collectors/market_metadata.ts";

const GROUP = "0x" + "ab".repeat(31) + "00";

function market(id: string, o: Partial<StructuralMarket> = {}): StructuralMarket {
  return plainMarket(id, { negRiskOther: false, eventNegRiskAugmented: false, ...o });
}

function member(id: string, index: number, o: Partial<StructuralMarket> = {}) {
  return market(id, { negRisk: true, negRiskMarketId: GROUP, questionIndex: index, ...o });
}

Deno.test("deriveRelations() confirms a neg-risk partition only when every index is present", () => {
  const [full] = deriveRelations([member("c", 2), member("a", 0), member("b", 1)]);
  assert.equal(full?.type, "partition");
  assert.equal(full?.status, "confirmed");
  assert.deepEqual(full?.members, ["a", "b", "c"]);
  assert.equal(full?.key, `partition:${GROUP}`);
  const [gap] = deriveRelations([member("a", 0), member("c", 2)]);
  assert.equal(gap?.status, "incomplete");
  const [unknown] = deriveRelations([member("a", 0), member("b", 1, { questionIndex: null })]);
  assert.equal(unknown?.status, "incomplete");
});

Deno.test("deriveRelations() needs the Other member of an augmented group", () => {
  const aug = { eventNegRiskAugmented: true };
  const [without] = deriveRelations([member("a", 0, aug), member("p", 1, aug)]);
  assert.equal(without?.status, "incomplete");
  assert.deepEqual(without?.detail.incomplete, ["augmented group without its Other member"]);
  const [withOther] = deriveRelations([
    member("a", 0, aug),
    member("p", 1, aug),
    member("o", 2, { ...aug, negRiskOther: true }),
  ]);
  assert.equal(withOther?.status, "confirmed");
  assert.equal(withOther?.detail.otherMarketId, "o");
});

Deno.test("deriveRelations() leaves the recorded 2028 nominee group incomplete (2 of many legs)", async () => {
  const raw = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "../tests/fixtures/polymarket/gamma/events_negrisk_dem_nominee_2028.json",
        import.meta.url,
      ),
    ),
  );
  const event = parseGammaEventsPage(raw, new Date()).items[0]!;
  const markets = event.markets.map((m): StructuralMarket => {
    const f = metadataFromGamma(m, event).fields;
    return market(m.id, {
      eventId: event.id,
      question: m.question,
      negRisk: m.negRisk,
      negRiskMarketId: m.negRiskMarketId,
      questionIndex: f.questionIndex ?? null,
      negRiskOther: f.negRiskOther ?? null,
      eventNegRiskAugmented: f.eventNegRiskAugmented ?? null,
    });
  });
  const [group, exclusive] = deriveRelations(markets);
  assert.equal(group?.status, "incomplete");
  assert.equal(exclusive?.type, "exclusive");
  assert.deepEqual(group?.detail.questionIndexes, [5, 7]);
  assert.equal(group?.detail.augmented, true);
});

Deno.test("deriveRelations() orders a date ladder by deadline", () => {
  const relations = deriveRelations([
    market("jun", {
      question: "Will the bill pass by June 30, 2027?",
      endDate: new Date("2027-06-30T00:00:00Z"),
    }),
    market("mar", {
      question: "Will the bill pass by March 31, 2027?",
      endDate: new Date("2027-03-31T00:00:00Z"),
    }),
  ]);
  assert.equal(relations.length, 1);
  assert.equal(relations[0]?.type, "ladder_date");
  assert.deepEqual(relations[0]?.members, ["mar", "jun"]);
});

Deno.test("deriveRelations() orders a threshold ladder by the strike in the question", () => {
  const q = (strike: string) => `Will Bitcoin be above ${strike} on December 31?`;
  const [above] = deriveRelations([
    market("90", { question: q("$90,000") }),
    market("100", { question: q("$100,000") }),
    market("95", { question: q("$95k") }),
  ]);
  assert.equal(above?.type, "ladder_threshold");
  assert.deepEqual(above?.members, ["100", "95", "90"], "higher strike implies lower");
  const b = (strike: string) => `Will Bitcoin dip below ${strike} in 2027?`;
  const [below] = deriveRelations([
    market("60", { question: b("$60,000") }),
    market("50", { question: b("$50,000") }),
  ]);
  assert.deepEqual(below?.members, ["50", "60"], "lower strike implies higher");
  const v = (strike: string) => `Bitcoin ${strike} on December 31?`;
  assert.deepEqual(
    deriveRelations([market("x", { question: v("$1") }), market("y", { question: v("$2") })]),
    [],
    "no direction, no implication",
  );
});

Deno.test("deriveRelations() chains a game's spreads through its moneyline (margin ⇒ win)", () => {
  const game = (id: string, type: string, line: string | null, o: Partial<StructuralMarket> = {}) =>
    market(id, { gameId: "77", eventId: "g", sportsMarketType: type, line, ...o });
  const relations = deriveRelations([
    game("ml", "moneyline", null),
    game("s15", "spreads", "-1.5"),
    game("s55", "spreads", "-5.5"),
    game("p15", "spreads", "1.5"),
    game("push", "spreads", "-3"),
    game("flip", "spreads", "-2.5", { outcomes: ["No", "Yes"] }),
    game("o210", "totals", "210.5"),
    game("o220", "totals", "220.5"),
    market("lone", { gameId: "78", eventId: "h" }),
  ]);
  assert.deepEqual(relations.map((r) => [r.key, r.type, r.status, r.members]), [
    ["game_margin:77", "implies", "confirmed", ["s55", "s15", "ml", "p15"]],
    ["game_totals:77", "ladder_line", "confirmed", ["o220", "o210"]],
  ], "integer lines can push and other outcome orders speak of the other side: left out");
  const [under] = deriveRelations([
    game("u210", "totals", "210.5", { outcomes: ["Under", "Over"] }),
    game("u220", "totals", "220.5", { outcomes: ["Under", "Over"] }),
  ]);
  assert.deepEqual(under?.members, ["u210", "u220"], "under 210.5 implies under 220.5");
  assert.deepEqual(
    deriveRelations([game("a", "moneyline", null), game("b", "moneyline", null)]),
    [],
    "two moneylines: no template",
  );
});

Deno.test("deriveRelations() keeps an incomplete group's exclusivity and a pair's complement", () => {
  const incomplete = deriveRelations([member("a", 0), member("c", 2), member("d", 3)]);
  assert.deepEqual(incomplete.map((r) => [r.type, r.status, r.members]), [
    ["partition", "incomplete", ["a", "c", "d"]],
    ["exclusive", "confirmed", ["a", "c", "d"]],
  ]);
  const pair = deriveRelations([member("b", 1), member("a", 0)]);
  assert.deepEqual(pair.map((r) => [r.type, r.status, r.members]), [
    ["partition", "confirmed", ["a", "b"]],
    ["complement", "confirmed", ["a", "b"]],
  ]);
});

Deno.test("deriveRelations() rules digest follows every member's rules hash", () => {
  const before = deriveRelations([member("a", 0), member("b", 1)])[0]!;
  const amended = deriveRelations([member("a", 0), member("b", 1, { rulesHash: "new" })])[0]!;
  assert.notEqual(before.rulesDigest, amended.rulesDigest);
  assert.equal(before.key, amended.key);
});
