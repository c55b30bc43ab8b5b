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

Deno.test("checkRelation() reports a partition with 0 or 2 winners as a finding, never rejects", () => {
  const p: Checked = {
    type: "partition",
    members: ["a", "b", "c"],
    provenance: "structure:neg_risk_market_id",
    status: "confirmed",
  };
  const two = checkRelation(p, outcomes({ a: "yes", b: "yes", c: "no" }));
  assert.equal(two.counterExample, null);
  assert.deepEqual(two.findings, [{
    kind: "partition_several_winners",
    detail: { winners: ["a", "b"] },
  }]);
  const none = checkRelation(p, outcomes({ a: "no", b: "no", c: "no" }));
  assert.deepEqual(none.findings.map((f) => f.kind), ["partition_no_winner"]);
  assert.deepEqual(checkRelation(p, outcomes({ a: "no", b: "no" })).findings, [], "c is open");
  assert.deepEqual(
    checkRelation({ ...p, status: "incomplete" }, outcomes({ a: "no", b: "no", c: "no" }))
      .findings,
    [],
    "an incomplete group may have its winner outside the visible members",
  );
  assert.deepEqual(checkRelation(p, outcomes({ a: "half", b: "no", c: "no" })).findings, [
    { kind: "fifty_fifty", detail: { members: ["a"] } },
  ]);
});

Deno.test("checkRelation() rejects a proposed exclusive or complement, reports a venue one", () => {
  const ex: Checked = {
    type: "exclusive",
    members: ["a", "b"],
    provenance: "lexical:jaccard",
    status: "proposed",
  };
  const r = checkRelation(ex, outcomes({ a: "yes", b: "yes" }));
  assert.equal(r.counterExample?.reason, "2 members resolved yes; at most one may");
  const venue = checkRelation(
    { ...ex, provenance: "structure:neg_risk_market_id" },
    outcomes({ a: "yes", b: "yes" }),
  );
  assert.equal(venue.counterExample, null);
  assert.deepEqual(venue.findings.map((f) => f.kind), ["exclusive_several_winners"]);
  const comp: Checked = { ...ex, type: "complement" };
  assert.equal(
    checkRelation(comp, outcomes({ a: "no", b: "no" })).counterExample?.reason,
    "both resolved no",
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
