/**
 * The structural relation registry against the simulator's planted structure: the markets
 * collector fills a real PostgreSQL schema, `refreshRelations` derives partitions, ladders and
 * game templates (margin ⇒ win, totals monotone in the line), and every one is checked against
 * `structureTruth`, with no relation beyond the planted ones. Then a rules amendment turns a
 * confirmed relation stale until it is confirmed again.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { listRelations, refreshRelations, setRelationStatus } from "../relations/registry.ts";
import { structureTruth } from "../simulator/truth.ts";

Deno.test("relations: partitions, ladders and games match the planted structure", async () => {
  let clock = Date.parse("2026-11-01T00:00:00Z");
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 1000 },
    now: () => clock,
  });
  const { deps, sim } = env;
  await oneMarketsCycle(deps, 1);
  const { derived, proposed } = await refreshRelations(deps.sql);
  const relations = await listRelations(deps.sql);
  assert.equal(relations.length, derived);
  const byKey = new Map(relations.map((r) => [r.key, r]));
  const stored = new Set(
    (await deps.sql<{ market_id: string }[]>`select market_id from markets`).map((r) =>
      r.market_id
    ),
  );
  const truth = structureTruth(sim.universe);

  let confirmed = 0;
  let incomplete = 0;
  for (const g of truth.negRiskGroups) {
    const visible = g.marketIds.filter((id) => stored.has(id));
    const rel = byKey.get(`partition:${g.negRiskMarketId}`);
    if (visible.length === 0) {
      assert.equal(rel, undefined);
      continue;
    }
    assert.deepEqual(rel?.members, visible, "members in question-index order");
    const missing = g.marketIds.map((id, i) => stored.has(id) ? -1 : i).filter((i) => i >= 0);
    const hole = missing.some((i) => i < visible.length);
    const otherMissing = g.augmented && (g.otherId === null || !stored.has(g.otherId));
    if (missing.length === 0) {
      assert.equal(rel?.status, "confirmed", g.eventId);
      confirmed++;
    } else if (hole || otherMissing) {
      assert.equal(rel?.status, "incomplete", g.eventId);
      incomplete++;
    }
  }
  assert.ok(confirmed > 0 && incomplete > 0, `${confirmed} confirmed, ${incomplete} incomplete`);
  const partitions = relations.filter((r) => r.type === "partition");
  assert.equal(
    partitions.length,
    truth.negRiskGroups.filter((g) => g.marketIds.some((id) => stored.has(id))).length,
    "no partition outside the planted groups",
  );

  for (const ladder of truth.ladders) {
    const chain = ladder.impliedChain.filter((id) => stored.has(id));
    if (chain.length < 2) continue;
    const type = ladder.kind === "date_ladder" ? "ladder_date" : "ladder_threshold";
    const rel = byKey.get(`${type}:${ladder.eventId}`);
    assert.deepEqual(rel?.members, chain, `${ladder.kind} ${ladder.eventId}`);
    assert.equal(rel?.status, "confirmed");
  }
  const ladders = relations.filter((r) => r.key.startsWith("ladder_"));
  assert.equal(
    ladders.length,
    truth.ladders.filter((l) => l.impliedChain.filter((id) => stored.has(id)).length >= 2).length,
    "no ladder outside the planted ones",
  );
  let gameRelations = 0;
  for (const game of truth.games) {
    const margin = game.marginChain.filter((id) => stored.has(id));
    const moneyline = game.marginChain.at(-1)!;
    if (margin.length >= 2 && margin.at(-1) === moneyline) {
      const rel = byKey.get(`game_margin:${game.gameId}`);
      assert.deepEqual([rel?.type, rel?.status, rel?.members], ["implies", "confirmed", margin]);
      gameRelations++;
    }
    const totals = game.totalsChain.filter((id) => stored.has(id));
    if (totals.length >= 2) {
      assert.deepEqual(byKey.get(`game_totals:${game.gameId}`)?.members, totals);
      gameRelations++;
    }
  }
  assert.ok(gameRelations > 0);
  assert.equal(
    relations.filter((r) => r.key.startsWith("game_")).length,
    gameRelations,
    "no game relation outside the planted ones",
  );
  const exclusive = relations.filter((r) => r.type === "exclusive");
  assert.deepEqual(
    exclusive.map((r) => r.key.replace("exclusive:", "partition:")),
    partitions.filter((r) => r.status === "incomplete" && r.members.length >= 2).map((r) => r.key),
    "an incomplete group keeps 'at most one YES', nothing else does",
  );
  assert.equal(proposed, 0, "the simulator plants no cross-event pairs");
  assert.equal(
    relations.length,
    partitions.length + ladders.length + gameRelations + exclusive.length +
      relations.filter((r) => r.type === "complement").length,
  );

  // A rules amendment of one member: the confirmed partition goes stale, once, until confirmed.
  const target = partitions.find((r) => r.status === "confirmed")!;
  const member = sim.universe.byId.get(target.members[0]!)!;
  assert.ok(sim.control.amendRules(member.conditionId, "ties resolve to Other"));
  clock += 3_600_000;
  await oneMarketsCycle(deps, 2);
  await refreshRelations(deps.sql);
  const [stale] = await listRelations(deps.sql, { status: "stale" });
  assert.equal(stale?.key, target.key);
  assert.equal((await listRelations(deps.sql, { status: "stale" })).length, 1);
  assert.ok(await setRelationStatus(deps.sql, target.key, "confirmed"));
  assert.equal((await refreshRelations(deps.sql)).written, 0, "nothing changed since");
  const again = (await listRelations(deps.sql, { type: "partition" })).find((r) =>
    r.key === target.key
  );
  assert.equal(again?.status, "confirmed");
});
