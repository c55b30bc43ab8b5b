/**
 * `pmcollect edge` end to end against the simulator: the markets and books collectors fill a
 * real PostgreSQL schema, and mispricings with a known truth are planted in the simulator's
 * books (`control.setBook`) and fee schedules (`control.changeFee`), on a seed (202, 300
 * markets) that holds a complete three-question neg-risk group, an augmented group with an
 * unlisted placeholder (a hole in its question indexes), and a three-month date ladder.
 *
 * Every expected profit below is computed by hand with the venue's fee rule: a taker fill of
 * x shares at p pays x × rate × p × (1 − p), floored to 1e-5 collateral.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneBooksCycle, oneMarketsCycle } from "./_markets_cycle.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { silentLogger } from "../runtime/log.ts";
import { parseEdgeArgs, printEdge } from "../cli/edge_command.ts";
import { listRelations } from "../relations/registry.ts";
import { structureTruth } from "../simulator/truth.ts";
import type { Simulator } from "../simulator/server.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(120_000);

/** One printed channel, as the test reads it back. */
interface ChannelObject {
  channel: string;
  subject: string;
  relation: string | null;
  complete: boolean;
  reason: string | null;
  profit: string | null;
  shares: string | null;
  cost: string | null;
  payoff: string | null;
  legs: { token: string; side: string; shares: string; avgPrice: string; fees: string }[];
}

async function edge(deps: CollectorDeps, args: string[], now: number): Promise<ChannelObject[]> {
  const lines: string[] = [];
  const code = await printEdge(deps.sql, parseEdgeArgs([...args, "--json"]), {
    log: silentLogger(),
    write: (line) => lines.push(line),
    now: () => new Date(now),
  });
  assert.equal(code, 0);
  return JSON.parse(lines.join("\n")) as ChannelObject[];
}

/** A YES book with one bid and one ask level of `size` shares each. */
function plant(sim: Simulator, marketId: string, bid: string, ask: string, size = "100") {
  const market = sim.universe.byId.get(marketId)!;
  assert.ok(sim.control.setBook(market.conditionId, { bids: [[bid, size]], asks: [[ask, size]] }));
}

function setFee(sim: Simulator, marketIds: readonly string[], rate: string) {
  for (const id of marketIds) {
    assert.ok(sim.control.changeFee(sim.universe.byId.get(id)!.conditionId, rate));
  }
}

test("edge prices planted mispricings exactly, never on an incomplete group; fees as of --at; a tie is none", async () => {
  const T0 = Date.parse("2026-11-01T00:00:00Z");
  let clock = T0;
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600", PMCOLLECT_BOOKS_INTERVAL_S: "3600" },
    simulator: { seed: 202, markets: 300, now: () => clock },
    now: () => clock,
  });
  const { deps, sim } = env;
  const truth = structureTruth(sim.universe);
  const group = truth.negRiskGroups.find((g) => g.eventId === "40072")!;
  const augmented = truth.negRiskGroups.find((g) => g.eventId === "40013")!;
  const ladder = truth.ladders.find((l) => l.eventId === "40004")!;
  assert.equal(group.marketIds.length, 3);
  assert.ok(augmented.augmented && augmented.otherId !== null);
  const hidden = augmented.marketIds.filter((id) => sim.universe.byId.get(id)!.status !== "open");
  assert.equal(hidden.length, 1, "one placeholder of the augmented group is not listed");
  assert.deepEqual([ladder.kind, ladder.impliedChain.length], ["date_ladder", 3]);

  // Planted at T0, fee rate 0.04 everywhere planted.
  const [g0, g1, g2] = group.marketIds as [string, string, string];
  setFee(sim, [...group.marketIds, ...ladder.impliedChain], "0.04");
  plant(sim, g0, "0.4", "0.42");
  plant(sim, g1, "0.35", "0.37");
  plant(sim, g2, "0.3", "0.32");
  // The augmented group's visible YES bids sum to 2.5: only the field bet, never a plan.
  for (const id of augmented.marketIds) if (!hidden.includes(id)) plant(sim, id, "0.5", "0.51");
  // "By March" (A) ⇒ "by June" (B) ⇒ "by September" (C): A bids 0.60 above B's 0.55 ask.
  const [a, b, c] = ladder.impliedChain as [string, string, string];
  plant(sim, a, "0.6", "0.61");
  plant(sim, b, "0.54", "0.55");
  plant(sim, c, "0.8", "0.81");
  await oneMarketsCycle(deps, 1);
  await oneBooksCycle(deps, 1);

  // The registry (refreshed by the edge command itself) holds the planted structure.
  const atT0 = await edge(deps, ["--event", group.eventId, "--convert-fee-bips", "0"], T0);
  const relations = new Map((await listRelations(deps.sql)).map((r) => [r.key, r]));
  const partition = relations.get(`partition:${group.negRiskMarketId}`);
  assert.deepEqual([partition?.status, partition?.members], ["confirmed", group.marketIds]);
  const hole = relations.get(`partition:${augmented.negRiskMarketId}`);
  assert.equal(hole?.status, "incomplete");
  const chain = relations.get(`ladder_date:${ladder.eventId}`);
  assert.deepEqual([chain?.status, chain?.members], ["confirmed", ladder.impliedChain]);

  // Complete group: buy 100 NO of each at 0.60/0.65/0.70 and convert into 200 collateral.
  // Fees 100 × 0.04 × p(1 − p): 0.96 + 0.91 + 0.84; profit 200 − 195 − 2.71 = 2.29.
  const conversion = atT0.find((o) => o.channel === "neg_risk_conversion")!;
  assert.deepEqual(
    [conversion.complete, conversion.profit, conversion.shares, conversion.cost, conversion.payoff],
    [true, "2.29", "100", "197.71", "200"],
  );
  const noToken = (id: string) => sim.universe.byId.get(id)!.tokenIds[1];
  assert.deepEqual(conversion.legs.map((l) => [l.token, l.side, l.shares, l.avgPrice, l.fees]), [
    [noToken(g0), "BUY", "100", "0.6", "0.96"],
    [noToken(g1), "BUY", "100", "0.65", "0.91"],
    [noToken(g2), "BUY", "100", "0.7", "0.84"],
  ]);
  assert.equal(atT0.find((o) => o.channel === "lp")?.profit, "2.29");
  assert.equal(atT0.find((o) => o.channel === "neg_risk_basket")?.profit, null);

  // Augmented group with a hole: no plan in any channel, and says why.
  const field = await edge(deps, ["--event", augmented.eventId, "--convert-fee-bips", "0"], T0);
  const groupChannels = field.filter((o) => o.channel !== "data_alarm");
  assert.equal(groupChannels.length, 3);
  for (const o of groupChannels) {
    assert.deepEqual([o.complete, o.profit, o.legs], [false, null, []]);
    assert.match(o.reason ?? "", /partition relation is incomplete/);
  }

  // Date ladder: the one planted pair A ⇒ B; A ⇒ C and B ⇒ C have no edge.
  // Buy 100 NO of A at 0.40 (fee 100 × 0.04 × 0.4 × 0.6 = 0.96) and 100 YES of B at 0.55
  // (fee 0.99): cost 95 + 1.95, payoff 100, profit 3.05.
  const pairs = await edge(deps, ["--event", ladder.eventId], T0);
  assert.deepEqual(
    pairs.map((o) => [o.channel, o.subject, o.relation, o.profit]),
    [
      ["implication", `${a}=>${b}`, `ladder_date:${ladder.eventId}`, "3.05"],
      ["implication", `${a}=>${c}`, `ladder_date:${ladder.eventId}`, null],
      ["implication", `${b}=>${c}`, `ladder_date:${ladder.eventId}`, null],
    ],
  );
  const [pair] = pairs as [ChannelObject];
  assert.deepEqual([pair.complete, pair.shares, pair.cost, pair.payoff], [
    true,
    "100",
    "96.95",
    "100",
  ]);
  const tokens = (id: string) => sim.universe.byId.get(id)!.tokenIds;
  assert.deepEqual(pair.legs.map((l) => [l.token, l.side, l.shares, l.avgPrice, l.fees]), [
    [tokens(a)[1], "BUY", "100", "0.4", "0.96"],
    [tokens(b)[0], "BUY", "100", "0.55", "0.99"],
  ]);
  // The same pair through --relation, as one relation across events would be.
  const byKey = await edge(deps, ["--relation", `ladder_date:${ladder.eventId}`], T0);
  assert.deepEqual(byKey.map((o) => o.profit), ["3.05", null, null]);

  // The venue raises the group's fee to 0.05 at T1; same books (the REST snapshots of T0, which
  // stand in for the stream only within a stated age: here two hours). --at before T1 still
  // prices 0.04; after it, 100 × 0.05 × p(1 − p) = 1.2 + 1.1375 + 1.05: profit 5 − 3.3875 = 1.6125.
  clock = T0 + 3_600_000;
  setFee(sim, group.marketIds, "0.05");
  await oneMarketsCycle(deps, 2);
  const profitAt = async (at: number) =>
    (await edge(deps, [
      "--event",
      group.eventId,
      "--convert-fee-bips",
      "0",
      "--at",
      new Date(at).toISOString(),
      "--rest-max-age-ms",
      "7200000",
    ], clock))[0]!.profit;
  assert.equal(await profitAt(T0 + 1_800_000), "2.29");
  assert.equal(await profitAt(clock), "1.6125");

  // A tie at the tick: fee-free, YES bids 0.40 + 0.35 + 0.25 = 1 exactly. No opportunity.
  clock = T0 + 7_200_000;
  setFee(sim, group.marketIds, "0");
  plant(sim, g2, "0.25", "0.27");
  await oneMarketsCycle(deps, 3);
  await oneBooksCycle(deps, 2);
  const tie = await edge(deps, ["--event", group.eventId, "--convert-fee-bips", "0"], clock);
  assert.deepEqual(
    tie.filter((o) => o.channel !== "data_alarm").map((o) => [o.channel, o.complete, o.profit]),
    [["neg_risk_conversion", true, null], ["neg_risk_basket", true, null], ["lp", true, null]],
  );
  assert.equal(tie[0]!.reason, "no positive edge");
});
