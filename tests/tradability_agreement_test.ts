/**
 * One answer to "can this be traded, at which fee?" (issue 25): after the markets collector
 * stores a simulated venue, the scanner's relation set (`loadScanRelations`) and `edge`'s read
 * (`tradabilityAt`) give every relation member the same fee schedule and the same closing
 * instant. The outside trial found the scanner treating fee-free markets (`feesEnabled: false`,
 * no schedule) as "fee unknown" while `edge` priced them at rate 0.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { refreshRelations } from "../relations/registry.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import { tradabilityAt } from "../tradability/at.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(120_000);

test("the scanner and edge give every relation member the same fee and closing instant", async () => {
  const T0 = Date.parse("2026-11-01T00:00:00Z");
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 7, markets: 600, now: () => T0 },
    now: () => T0,
  });
  const { deps } = env;
  await oneMarketsCycle(deps, 1);
  await refreshRelations(deps.sql);
  // Every structural relation counts, whatever its status: confirm them all for the load.
  await deps.sql`update relations set status = 'confirmed'`;
  const set = await loadScanRelations(deps.sql, { convertFeeBips: 0 });
  const markets = new Map(
    set.relations.flatMap((r) => r.markets).map((m) => [m.marketId, m]),
  );
  assert.ok(markets.size > 50, `only ${markets.size} relation members`);
  const states = await tradabilityAt(deps.sql, [...markets.keys()], {
    at: new Date(T0),
    maxRestAgeMs: 0,
  });
  let feeFree = 0;
  for (const [id, market] of markets) {
    const state = states.get(id)!;
    assert.deepStrictEqual(market.fee, state.fee, `fee of ${id}`);
    assert.equal(market.closedAt ?? null, state.closedAt?.getTime() ?? null, `closedAt of ${id}`);
    if (state.metadata?.feesEnabled === false && state.metadata.feeRate === null) {
      feeFree++;
      assert.deepStrictEqual(market.fee, { rate: "0", exponent: 1, takerOnly: true });
    }
  }
  // The simulated venue has fee-free markets among the relations' members, and none of them
  // is "fee unknown" to the scanner any more.
  assert.ok(feeFree > 0, "no fee-free member: the test would prove nothing");
  const unknown = [...markets.values()].filter((m) => m.fee === null).length;
  assert.equal(unknown, 0, `${unknown} of ${markets.size} members with an unknown fee`);
});
