import assert from "node:assert/strict";
import { checkRelation, type MemberOutcome, memberOutcome } from "./falsify.ts";
import type { Relation } from "./derive.ts";

type Checked = Pick<Relation, "type" | "members" | "provenance" | "status">;
const ladder: Checked = {
  type: "ladder_date",
  members: ["mar", "jun", "sep"],
  provenance: "structure:event_date_ladder",
  status: "confirmed",
};
const outcomes = (o: Record<string, MemberOutcome>) => new Map(Object.entries(o));

Deno.test("checkRelation() rejects a chain on 'earlier yes, later no' and nothing else", () => {
  const bad = checkRelation(ladder, outcomes({ mar: "yes", sep: "no" }));
  assert.deepEqual(bad.counterExample, {
    members: ["mar", "sep"],
    outcomes: ["yes", "no"],
    reason: "mar resolved yes but sep, which it implies, resolved no",
  });
  for (const fine of [{ mar: "no", jun: "yes" }, { mar: "yes", jun: "yes" }, { jun: "no" }]) {
    assert.equal(checkRelation(ladder, outcomes(fine as never)).counterExample, null);
  }
});

Deno.test("checkRelation() reports a 50-50 member and does not count it as a winner or loser", () => {
  const r = checkRelation(ladder, outcomes({ mar: "yes", jun: "half", sep: "yes" }));
  assert.equal(r.counterExample, null);
  assert.deepEqual(r.findings, [{ kind: "fifty_fifty", detail: { members: ["jun"] } }]);
});

Deno.test("checkRelation() falsifies a partition with 0 or 2 winners and reports it", () => {
  const p: Checked = {
    type: "partition",
    members: ["a", "b", "c"],
    provenance: "structure:neg_risk_market_id",
    status: "confirmed",
  };
  const two = checkRelation(p, outcomes({ a: "yes", b: "yes", c: "no" }));
  assert.deepEqual(two.counterExample, {
    members: ["a", "b"],
    outcomes: ["yes", "yes"],
    reason: "2 members resolved yes; exactly one may",
  });
  assert.deepEqual(two.findings, [{
    kind: "partition_several_winners",
    detail: { winners: ["a", "b"] },
  }]);
  const none = checkRelation(p, outcomes({ a: "no", b: "no", c: "no" }));
  assert.equal(
    none.counterExample?.reason,
    "every member resolved no; exactly one must resolve yes",
  );
  assert.deepEqual(none.findings.map((f) => f.kind), ["partition_no_winner"]);
  const open = checkRelation(p, outcomes({ a: "no", b: "no" }));
  assert.deepEqual([open.counterExample, open.findings], [null, []], "c is open");
  const incomplete = checkRelation(
    { ...p, status: "incomplete" },
    outcomes({ a: "no", b: "no", c: "no" }),
  );
  assert.deepEqual(
    [incomplete.counterExample, incomplete.findings],
    [null, []],
    "an incomplete group may have its winner outside the visible members",
  );
  assert.equal(
    checkRelation({ ...p, status: "incomplete" }, outcomes({ a: "yes", c: "yes" }))
      .counterExample?.reason,
    "2 members resolved yes; exactly one may",
    "but never two winners",
  );
  const half = checkRelation(p, outcomes({ a: "half", b: "no", c: "no" }));
  assert.equal(half.counterExample, null);
  assert.deepEqual(half.findings, [{ kind: "fifty_fifty", detail: { members: ["a"] } }]);
  const one = checkRelation(p, outcomes({ a: "no", b: "yes", c: "no" }));
  assert.deepEqual([one.counterExample, one.findings], [null, []]);
});

Deno.test("checkRelation() falsifies an exclusive with three winners, venue-derived or not", () => {
  const ex: Checked = {
    type: "exclusive",
    members: ["a", "b", "c", "d"],
    provenance: "structure:neg_risk_market_id",
    status: "confirmed",
  };
  const three = outcomes({ a: "yes", b: "yes", c: "no", d: "yes" });
  const venue = checkRelation(ex, three);
  assert.deepEqual(venue.counterExample, {
    members: ["a", "b", "d"],
    outcomes: ["yes", "yes", "yes"],
    reason: "3 members resolved yes; at most one may",
  });
  assert.deepEqual(venue.findings.map((f) => f.kind), ["exclusive_several_winners"]);
  const lexical = checkRelation({ ...ex, provenance: "lexical:jaccard" }, three);
  assert.equal(lexical.counterExample?.reason, "3 members resolved yes; at most one may");
  assert.deepEqual(lexical.findings, [], "a lexical relation is not a fact about the venue");
  const fine = checkRelation(ex, outcomes({ a: "no", b: "yes", c: "no", d: "no" }));
  assert.equal(fine.counterExample, null);
  assert.equal(checkRelation(ex, outcomes({ a: "no", b: "no", c: "no" })).counterExample, null);
});

Deno.test("checkRelation() falsifies a complement resolved both ways, venue-derived or not", () => {
  const comp: Checked = {
    type: "complement",
    members: ["a", "b"],
    provenance: "structure:neg_risk_market_id",
    status: "confirmed",
  };
  const both = checkRelation(comp, outcomes({ a: "no", b: "no" }));
  assert.equal(both.counterExample?.reason, "both resolved no");
  assert.deepEqual(both.findings.map((f) => f.kind), ["complement_violated"]);
  assert.equal(
    checkRelation({ ...comp, provenance: "x" }, outcomes({ a: "yes", b: "yes" })).counterExample
      ?.reason,
    "both resolved yes",
  );
  assert.equal(checkRelation(comp, outcomes({ a: "no", b: "yes" })).counterExample, null);
});

Deno.test("memberOutcome() reads the winner token, final prices and 50-50", () => {
  const base = { status: "resolved", winnerTokenId: "t1", finalPrices: null, firstTokenId: "t1" };
  assert.equal(memberOutcome(base), "yes");
  assert.equal(memberOutcome({ ...base, winnerTokenId: "t2" }), "no");
  assert.equal(memberOutcome({ ...base, winnerTokenId: null, finalPrices: ["0", "1"] }), "no");
  assert.equal(
    memberOutcome({
      status: "ambiguous",
      winnerTokenId: null,
      finalPrices: ["0.5", "0.5"],
      firstTokenId: "t1",
    }),
    "half",
  );
  assert.equal(
    memberOutcome({ ...base, status: "ambiguous", winnerTokenId: null, finalPrices: ["0", "0"] }),
    undefined,
  );
  assert.equal(memberOutcome({ ...base, status: "unresolved", winnerTokenId: null }), undefined);
});
