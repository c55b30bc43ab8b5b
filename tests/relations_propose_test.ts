/**
 * Lexical proposals end to end: the test plants questions across events in the simulator (a
 * deadline series, a strike pair, and hard negatives that must propose nothing), the markets
 * collector stores them in a real PostgreSQL schema and `refreshRelations` must propose exactly
 * the planted implications, as `proposed`. Then a reviewer's decisions survive another
 * collection and refresh, and a rules amendment turns the confirmed one stale.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { listRelations, refreshRelations, setRelationStatus } from "../relations/registry.ts";

const PLANTED = [
  "Will the Fed cut rates by March 31, 2027?",
  "Will the Fed cut rates by June 30, 2027?",
  "Will the Fed cut rates by September 30, 2027?",
  "Will Gold be above $3,000 on December 31, 2027?",
  "Will Gold be above $3,500 on December 31, 2027?",
  // Hard negatives: no deadline word, a two-sided strike, different claims.
  "Will the Fed cut rates on March 31, 2028?",
  "Will Gold be above $3,000 or below $2,000 on December 31, 2027?",
  "Will Smith win the popular vote in 2028?",
  "Will Smith win the electoral college in 2028?",
];

Deno.test("relations: planted cross-event questions give exactly the planted proposals", async () => {
  let clock = Date.parse("2026-11-01T00:00:00Z");
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 1000 },
    now: () => clock,
  });
  const { deps, sim } = env;
  const singles = sim.universe.events
    .filter((e) => e.meta.kind === "single")
    .map((e) => sim.universe.markets[e.marketIndexes[0]!]!)
    .filter((m) => m.status === "open")
    .slice(0, PLANTED.length);
  assert.equal(new Set(singles.map((m) => m.eventIndex)).size, PLANTED.length);
  PLANTED.forEach((q, i) => assert.ok(sim.control.rephrase(singles[i]!.conditionId, q)));
  const id = (i: number) => singles[i]!.id;

  await oneMarketsCycle(deps, 1);
  const { proposed } = await refreshRelations(deps.sql);
  const proposals = await listRelations(deps.sql, { status: "proposed" });
  assert.equal(proposed, proposals.length);
  assert.deepEqual(
    proposals.map((p) => `${p.type} ${p.members.join(">")}`).sort(),
    [
      `implies ${id(0)}>${id(1)}`,
      `implies ${id(0)}>${id(2)}`,
      `implies ${id(1)}>${id(2)}`,
      `implies ${id(4)}>${id(3)}`,
    ].sort(),
    "every planted implication and nothing else",
  );
  const key = (a: number, b: number) => `proposal:implies:${id(a)}:${id(b)}`;
  assert.ok(await setRelationStatus(deps.sql, key(0, 1), "confirmed", { by: "ana" }));
  assert.ok(
    await setRelationStatus(deps.sql, key(4, 3), "rejected", { by: "ana", note: "spot vs close" }),
  );

  clock += 3_600_000;
  await oneMarketsCycle(deps, 2);
  await refreshRelations(deps.sql);
  const byKey = new Map((await listRelations(deps.sql)).map((r) => [r.key, r]));
  assert.deepEqual(
    [byKey.get(key(0, 1))?.status, byKey.get(key(0, 1))?.decidedBy],
    ["confirmed", "ana"],
  );
  assert.deepEqual(
    [byKey.get(key(4, 3))?.status, byKey.get(key(4, 3))?.decisionNote],
    ["rejected", "spot vs close"],
  );
  assert.equal(byKey.get(key(0, 2))?.status, "proposed");

  assert.ok(sim.control.amendRules(singles[1]!.conditionId, "an emergency cut counts"));
  clock += 3_600_000;
  await oneMarketsCycle(deps, 3);
  await refreshRelations(deps.sql);
  const after = new Map((await listRelations(deps.sql)).map((r) => [r.key, r]));
  assert.equal(after.get(key(0, 1))?.status, "stale", "a member's rules changed");
  assert.equal(after.get(key(4, 3))?.status, "rejected");
});
