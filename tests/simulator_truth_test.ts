/**
 * The simulator's truth through the product: the markets collector stores a simulated venue,
 * the registry derives its relations (from the catalog, independently of the simulator's own
 * structure code), the world then runs its random lifecycle at a high resolution rate until
 * most markets have resolved, the resolutions collector stores the outcomes, and the relation
 * check must find no counter-example in any structural relation and no finding but 50-50
 * members. Lexical proposals across events may be falsified (two different events are not
 * bound by each other's outcome) and are left out.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { listRelations, refreshRelations } from "../relations/registry.ts";
import { checkRelations } from "../relations/check.ts";
import { runResolutionsCycle } from "../collectors/resolutions.ts";

Deno.test("simulator truth: a run resolved by the lifecycle falsifies none of its own relations", async () => {
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 13, markets: 1200, lifecycleRate: 1 },
  });
  const { deps, sim } = env;
  await oneMarketsCycle(deps, 1);
  await refreshRelations(deps.sql);
  const structural = (await listRelations(deps.sql)).filter((r) =>
    r.provenance.startsWith("structure:")
  );
  const byType = (t: string) => structural.filter((r) => r.type === t).length;
  assert.ok(byType("partition") >= 20 && byType("ladder_date") >= 3, "a varied registry");
  assert.ok(byType("ladder_threshold") >= 3 && byType("exclusive") >= 3);

  sim.control.advance(1500); // one lifecycle resolution (and what it settles) per tick
  const open = sim.universe.markets.filter((m) => m.status === "open").length;
  assert.ok(open < sim.universe.markets.length / 10, `${open} still open`);
  const cycle = await runResolutionsCycle(deps, new AbortController().signal, {
    lookbackMs: 1e13,
    maxPages: 200,
  });
  assert.ok(cycle.rowsWritten > 1000, `${cycle.rowsWritten} resolutions stored`);

  const summary = await checkRelations(deps.sql, { now: new Date("2026-11-02T00:00:00Z") });
  const keys = new Set(structural.map((r) => r.key));
  const resolved = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from relations r
    where r.relation_key like 'partition:%' and not exists (
      select 1 from unnest(r.members) as m(id)
      where not exists (
        select 1 from markets k join resolutions s on s.condition_id = k.condition_id
        where k.market_id = m.id and s.status = 'resolved'))`;
  assert.ok(resolved[0]!.n >= 20, `${resolved[0]!.n} partitions fully resolved and checked`);
  const market = (id: string) => sim.universe.byId.get(id)!;
  /** The stored partition misses its group's winner: the catalog's blind spot, see above. */
  const winnerUnseen = (key: string) => {
    const r = structural.find((x) => x.key === key)!;
    const event = sim.universe.events[market(r.members[0]!).eventIndex]!;
    const unseen = event.marketIndexes.map((i) => sim.universe.markets[i]!)
      .filter((m) => !r.members.includes(m.id));
    return r.type === "partition" && unseen.some((m) => m.finalPrices?.join("/") === "1/0");
  };
  const falsified = summary.rejected.filter((r) => keys.has(r.key));
  const blindSpot = falsified.filter((r) => winnerUnseen(r.key)).map((r) => r.key);
  assert.deepEqual(
    falsified.filter((r) => !blindSpot.includes(r.key))
      .map((r) => `${r.key}: ${r.counterExample.reason}`),
    [],
  );
  assert.deepEqual(
    summary.findings.filter((f) => f.kind !== "fifty_fifty" && !blindSpot.includes(f.key))
      .map((f) => `${f.key} ${f.kind}`),
    [],
  );
  assert.ok(blindSpot.length <= 2, `${blindSpot.length} partitions missed their winner`);
});
