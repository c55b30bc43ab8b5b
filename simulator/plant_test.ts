import assert from "node:assert/strict";
import { formatDec } from "../edge/decimal.ts";
import type { Episode } from "../scanner/episode.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { Scanner } from "../scanner/scanner.ts";
import { plantScenario } from "./plant.ts";

Deno.test("plantScenario() with venue fees, a 0.001 tick and hundredths: the scanner finds exactly the truth", () => {
  const scenario = plantScenario({
    seed: 4,
    depth: "12.37",
    feeRateBp: 200,
    convertFeeBips: 10,
    pairTick: "0.001",
    durationsMs: [800],
    quietMs: 600,
    maxBookAgeMs: 3000,
  });
  const pair = scenario.relations.find((r) => r.kind === "implication")!;
  assert.deepEqual(pair.markets.map((m) => [m.tickSize, m.fee?.rate]), [
    ["0.001", "0.02"],
    ["0.001", "0.02"],
  ]);
  assert.ok(scenario.relations.every((r) => r.kind !== "group" || r.convertFeeBips === 10));
  const finals: Episode[] = [];
  const scanner = new Scanner(new RelationSet(scenario.relations), {
    maxBookAgeMs: 3000,
    maxSkewMs: 3000,
    onEpisode: (episode, phase) => void (phase === "final" && finals.push(episode)),
  });
  for (const event of scenario.events) scanner.push(event);
  scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  const expected = scenario.truth.filter((t) => t.expected);
  assert.deepEqual(expected.map((t) => t.channel).sort(), [
    "implication",
    "neg_risk_basket",
    "neg_risk_conversion",
  ]);
  // The implication, worked by hand in plant_profit_test.ts: 0.02507.
  assert.equal(expected.find((t) => t.channel === "implication")!.profit, "0.02507");
  assert.deepEqual(
    finals.map((e) => [e.relationKey, e.channel, e.startedAt, formatDec(e.peakProfit)]).sort(),
    expected.map((t) => [t.relationKey, t.channel, t.startAt, t.profit]).sort(),
  );
  for (const e of finals) assert.equal(formatDec(e.peakPlan.shares), "12.37");
});
