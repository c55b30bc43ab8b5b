import assert from "node:assert/strict";
import { jaccard, normaliseQuestion, proposeRelations } from "./propose.ts";
import type { StructuralMarket } from "./derive.ts";
import { plainMarket } from "./_plain_market.ts";

function market(id: string, eventId: string, question: string): StructuralMarket {
  return plainMarket(id, { eventId, question });
}

Deno.test("normaliseQuestion() pulls out dates, numbers and the direction wording", () => {
  const q = normaliseQuestion("Will Bitcoin reach $150,000 by June 30, 2027?");
  assert.deepEqual(q.words, ["bitcoin", "reach"]);
  assert.deepEqual(q.numbers, [150000]);
  assert.deepEqual(q.dates, [{ key: 20270630, year: true }]);
  assert.equal(q.deadline, true);
  assert.equal(q.direction, "above");
  assert.equal(jaccard(["a", "b", "c"], ["b", "c", "d"]), 0.5);
});

Deno.test("proposeRelations() proposes 'earlier deadline implies later' across events", () => {
  const [p, ...rest] = proposeRelations([
    market("jun", "e1", "Will the Fed cut rates by June 30, 2027?"),
    market("mar", "e2", "Will the Fed cut rates by March 31, 2027?"),
    market("same", "e1", "Will the Fed cut rates by December 31, 2027?"),
  ]);
  assert.equal(p?.type, "implies");
  assert.equal(p?.status, "proposed");
  assert.deepEqual(p?.members, ["mar", "jun"]);
  assert.equal(p?.key, "proposal:implies:mar:jun");
  assert.deepEqual(
    rest.map((r) => r.members),
    [["mar", "same"]],
    "same-event pairs are structure's",
  );
});

Deno.test("proposeRelations() orders strikes by the direction word and refuses without one", () => {
  const above = proposeRelations([
    market("90", "e1", "Will Bitcoin be above $90,000 on December 31, 2027?"),
    market("100", "e2", "Will Bitcoin be above $100k on December 31, 2027?"),
  ]);
  assert.deepEqual(above.map((r) => r.members), [["100", "90"]]);
  const below = proposeRelations([
    market("50", "e1", "Will Ethereum dip below $2,000 in 2027?"),
    market("60", "e2", "Will Ethereum dip below $3,000 in 2027?"),
  ]);
  assert.deepEqual(below.map((r) => r.members), [["50", "60"]]);
  const none = proposeRelations([
    market("a", "e1", "Bitcoin price $90,000 on December 31, 2027?"),
    market("b", "e2", "Bitcoin price $100,000 on December 31, 2027?"),
    market("c", "e3", "Will the Fed cut rates on June 30, 2027?"),
    market("d", "e4", "Will the Fed cut rates on March 31, 2027?"),
    market("x", "e5", "Will the Senate pass the bill by June 30, 2027?"),
    market("y", "e6", "Will the House pass the budget by March 31, 2027?"),
  ]);
  assert.deepEqual(none, [], "no direction, no deadline, or different wording: nothing");
});

Deno.test("proposeRelations() takes only a number after the direction word as the strike", () => {
  const q = (n: number) => `Will Bitcoin be above $80,000 at the end of the year? (Alpha ${n})`;
  assert.deepEqual(normaliseQuestion(q(12)).strikes, [0]);
  assert.deepEqual(
    proposeRelations([market("a", "e1", q(12)), market("b", "e2", q(40))]),
    [],
    "two events' serial numbers are not strikes",
  );
});

Deno.test("proposeRelations() links a long series to its nearest neighbours only", () => {
  const months = ["January", "February", "March", "April", "May", "June"];
  const series = months.map((m, i) =>
    market(`m${i}`, `e${i}`, `Will the strike end by ${m} 28, 2027?`)
  );
  const proposals = proposeRelations(series);
  assert.deepEqual(
    proposals.map((p) => p.members.join(">")).sort(),
    ["m0>m1", "m0>m2", "m1>m2", "m1>m3", "m2>m3", "m2>m4", "m3>m4", "m3>m5", "m4>m5"],
    "each market, as it is indexed, keeps its two nearest earlier-listed partners",
  );
});

Deno.test("proposeRelations() proposes nothing on the hard negatives", () => {
  const pairs: [string, string][] = [
    ["Will Smith win the popular vote in 2028?", "Will Smith win the electoral college in 2028?"],
    [
      "Will Apple announce a foldable iPhone by June 30, 2027?",
      "Will Apple release a foldable iPhone by December 31, 2027?",
    ],
    ["Will the strike end on March 31, 2027?", "Will the strike end by June 30, 2027?"],
    [
      "Will Bitcoin be above $100k on December 31, 2027?",
      "Will Bitcoin be above $100k on December 31, 2028?",
    ],
    ["Will the strike end by March 31, 2027?", "Will the strike end by June 30?"],
    [
      "Will Bitcoin be above $100k or below $50k on December 31, 2027?",
      "Will Bitcoin be above $90k or below $50k on December 31, 2027?",
    ],
    [
      "Will 3 storms make landfall by June 30, 2027?",
      "Will 4 storms make landfall by June 30, 2027?",
    ],
  ];
  for (const [a, b] of pairs) {
    assert.deepEqual(proposeRelations([market("a", "e1", a), market("b", "e2", b)]), [], a);
  }
});
