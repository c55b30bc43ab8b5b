/**
 * Falsification end to end: the markets collector fills a real PostgreSQL schema from the
 * simulator, the registry derives its relations, then the test plants resolutions in the
 * simulator (a date ladder resolved against its order, a neg-risk group with two winners,
 * another with none, an incomplete group's `exclusive` with three winners, a 50-50 member, a
 * game resolved consistently) and the resolutions collector stores them. `checkRelations` must
 * falsify (reject) exactly the relations the simulator's final prices contradict — neg-risk
 * ones included — and report the neg-risk contradictions and the 50-50 members as findings.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { listRelations, refreshRelations } from "../relations/registry.ts";
import { checkRelations, listFindings } from "../relations/check.ts";
import { runResolutionsCycle } from "../collectors/resolutions.ts";
import type { SimMarket } from "../simulator/universe.ts";

/** The simulator's truth for one market: yes, no, half (50-50), or open/void (undefined). */
function truth(m: SimMarket): "yes" | "no" | "half" | undefined {
  const p = m.finalPrices?.join("/");
  return p === "1/0" ? "yes" : p === "0/1" ? "no" : p === "0.5/0.5" ? "half" : undefined;
}

Deno.test("relations check: planted counter-examples falsify, neg-risk ones are findings too", async () => {
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 1000 },
  });
  const { deps, sim } = env;
  await oneMarketsCycle(deps, 1);
  await refreshRelations(deps.sql);
  const relations = await listRelations(deps.sql);
  const market = (id: string) => sim.universe.byId.get(id)!;
  const allOpen = (ids: string[]) => ids.every((id) => market(id).status === "open");
  const cond = (id: string) => market(id).conditionId;

  // Plant: an earlier deadline Yes, a later one No.
  const ladder = relations.find((r) => r.type === "ladder_date" && allOpen(r.members))!;
  sim.control.resolve(cond(ladder.members[0]!), 0);
  sim.control.resolve(cond(ladder.members.at(-1)!), 1);
  // Plant: two winners in one complete group, none in another, a 50-50 in a third.
  const groups = relations.filter((r) =>
    r.type === "partition" && r.status === "confirmed" && allOpen(r.members)
  );
  const [tie, none, half] = groups;
  assert.ok(tie && none && half, "three complete, open neg-risk groups");
  sim.control.resolve(cond(tie.members[0]!), 0);
  sim.control.resolve(cond(tie.members[1]!), 0);
  for (const id of none.members) sim.control.resolve(cond(id), 1);
  assert.ok(sim.control.resolveFiftyFifty(cond(half.members[0]!)));
  // Plant: three winners in an incomplete group (its registry relation is an `exclusive`).
  const exclusive = relations.find((r) =>
    r.type === "exclusive" && r.status === "confirmed" && r.members.length >= 3 &&
    allOpen(r.members)
  );
  assert.ok(exclusive, "an incomplete, open neg-risk group");
  for (const id of exclusive.members.slice(0, 3)) sim.control.resolve(cond(id), 0);
  // Plant: a game resolved the way its lines allow (must stay confirmed).
  const game = relations.find((r) => r.key.startsWith("game_margin:") && allOpen(r.members))!;
  for (const id of game.members) sim.control.resolve(cond(id), 0);

  const cycle = await runResolutionsCycle(deps, new AbortController().signal, {
    lookbackMs: 1e13,
    maxPages: 100,
  });
  assert.ok(cycle.rowsWritten > 0);
  const summary = await checkRelations(deps.sql, { now: new Date("2026-11-02T00:00:00Z") });

  // Expected, from the simulator's final prices alone.
  const expectedRejected: string[] = [];
  const expectedFindings: string[] = [];
  for (const r of relations) {
    const o = r.members.map((id) => truth(market(id)));
    if (o.includes("half")) expectedFindings.push(`${r.key} fifty_fifty`);
    const yes = o.filter((x) => x === "yes").length;
    const venue = r.provenance === "structure:neg_risk_market_id";
    if (r.type === "partition") {
      if (yes >= 2) {
        expectedRejected.push(r.key);
        expectedFindings.push(`${r.key} partition_several_winners`);
      } else if (r.status === "confirmed" && o.every((x) => x === "no")) {
        expectedRejected.push(r.key);
        expectedFindings.push(`${r.key} partition_no_winner`);
      }
    } else if (r.type === "exclusive" && yes >= 2) {
      expectedRejected.push(r.key);
      if (venue) expectedFindings.push(`${r.key} exclusive_several_winners`);
    } else if (r.type === "complement" && o.every((x) => x === "yes" || x === "no")) {
      if (yes !== 1) {
        expectedRejected.push(r.key);
        if (venue) expectedFindings.push(`${r.key} complement_violated`);
      }
    } else if (r.type === "implies" || r.type.startsWith("ladder_")) {
      const firstYes = o.indexOf("yes");
      if (firstYes >= 0 && o.slice(firstYes + 1).includes("no")) expectedRejected.push(r.key);
    }
  }
  for (const planted of [ladder.key, tie.key, none.key, exclusive.key]) {
    assert.ok(expectedRejected.includes(planted), planted);
  }
  assert.ok(!expectedRejected.includes(game.key) && !expectedRejected.includes(half.key));
  assert.deepEqual(summary.rejected.map((r) => r.key).sort(), expectedRejected.sort());
  assert.deepEqual(
    summary.findings.map((f) => `${f.key} ${f.kind}`).sort(),
    expectedFindings.sort(),
  );
  for (
    const planted of [
      `${tie.key} partition_several_winners`,
      `${none.key} partition_no_winner`,
      `${exclusive.key} exclusive_several_winners`,
      `${half.key} fifty_fifty`,
    ]
  ) assert.ok(expectedFindings.includes(planted), planted);

  const after = new Map((await listRelations(deps.sql)).map((r) => [r.key, r]));
  const rejected = after.get(ladder.key)!;
  assert.equal(rejected.status, "rejected");
  assert.deepEqual(rejected.counterExample?.members, [ladder.members[0], ladder.members.at(-1)]);
  assert.equal(after.get(game.key)?.status, "confirmed");
  assert.equal(after.get(half.key)?.status, "confirmed", "a 50-50 member is only a finding");
  for (const falsified of [tie, none, exclusive]) {
    const stored = after.get(falsified.key)!;
    assert.equal(stored.status, "rejected", falsified.key);
    assert.equal(stored.decidedBy, "falsification");
  }
  assert.deepEqual(
    after.get(exclusive.key)?.counterExample?.members,
    exclusive.members.slice(0, 3),
  );
  const stored = await listFindings(deps.sql);
  assert.equal(stored.length, expectedFindings.length);

  // A later refresh keeps the rejection.
  await refreshRelations(deps.sql);
  assert.equal(
    (await listRelations(deps.sql, { status: "rejected" })).length,
    expectedRejected.length,
  );
});
