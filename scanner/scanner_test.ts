import assert from "node:assert/strict";
import { formatDec } from "../edge/decimal.ts";
import { plantScenario } from "../simulator/plant.ts";
import type { Episode } from "./episode.ts";
import { RelationSet } from "./relation_set.ts";
import { Scanner } from "./scanner.ts";

const OPTIONS = { maxBookAgeMs: 5000, maxSkewMs: 5000 };

function scan(scenario: ReturnType<typeof plantScenario>): Episode[] {
  const finals: Episode[] = [];
  const scanner = new Scanner(new RelationSet(scenario.relations), {
    ...OPTIONS,
    onEpisode: (episode, phase) => {
      if (phase === "final") finals.push(episode);
    },
  });
  for (const event of scenario.events) scanner.push(event);
  scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  return finals;
}

Deno.test("Scanner finds every planted mispricing with its exact start, end and profit, and nothing else", () => {
  const scenario = plantScenario({ seed: 7 });
  const episodes = scan(scenario);
  const expected = scenario.truth.filter((t) => t.expected);
  assert.equal(expected.length, 9);
  // Recall: every planted episode (short ones too) is found exactly.
  for (const truth of expected) {
    const found = episodes.filter((e) =>
      e.relationKey === truth.relationKey && e.channel === truth.channel &&
      e.startedAt === truth.startAt
    );
    assert.equal(found.length, 1, `${truth.relationKey} ${truth.channel} at ${truth.startAt}`);
    const episode = found[0]!;
    assert.equal(episode.endedAt, truth.endAt);
    assert.equal(episode.endReason, "no_edge");
    assert.equal(formatDec(episode.peakProfit), truth.profit);
    assert.equal(formatDec(episode.peakPlan.shares), String(truth.depth));
    // Survival: the plan still pays 250 ms later; 1 s later only if the plant lasted longer.
    assert.equal(formatDec(episode.survival[0]!), truth.profit);
    const lasted = truth.endAt - truth.startAt > 1000;
    assert.equal(episode.survival[1] !== null && episode.survival[1]! > 0n, lasted);
  }
  // Precision: nothing else, and nothing on the incomplete group or the stale leg.
  assert.equal(episodes.length, expected.length);
  for (const decoy of scenario.truth.filter((t) => !t.expected)) {
    assert.equal(episodes.some((e) => e.relationKey === decoy.relationKey), false, decoy.why);
  }
});

Deno.test("Scanner counts the refusals: incomplete groups and stale legs", () => {
  const scenario = plantScenario({ seed: 3 });
  const scanner = new Scanner(new RelationSet(scenario.relations), {
    ...OPTIONS,
    onEpisode: () => {},
  });
  for (const event of scenario.events) scanner.push(event);
  assert.ok(scanner.counts.incompleteGroups > 0);
  assert.ok(scanner.counts.staleLegs > 0);
  // Most changes stop at the best-level bound: the engine runs only on planted states.
  assert.ok(scanner.counts.evaluations < scanner.counts.relationChecks / 10);
});

Deno.test("Scanner: a gated leg (tick size change) ends an open episode at once", () => {
  const scenario = plantScenario({ seed: 5, durationsMs: [4000] });
  const truth = scenario.truth.find((t) => t.channel === "neg_risk_basket" && t.expected)!;
  const leg = scenario.relations.find((r) => r.key === truth.relationKey)!.markets[0]!;
  const at = truth.startAt + 1000;
  const events = [...scenario.events];
  const index = events.findIndex((e) => e.receivedAt > at);
  events.splice(index, 0, {
    kind: "tick_size_change",
    tokenId: leg.yesTokenId,
    exchangeTs: at,
    receivedAt: at,
    connection: 1,
    sequence: -1,
    newTickSize: "0.001",
  });
  const episodes = scan({ ...scenario, events });
  const episode = episodes.find((e) => e.relationKey === truth.relationKey)!;
  assert.equal(episode.endedAt, at);
  assert.equal(episode.endReason, "gated_leg");
  // The peak plan cannot be bought 1 s later: that leg's book waits for a snapshot.
  assert.equal(episode.survival[1], null);
});

Deno.test("Scanner: a relation dropped on reload ends its open episode; one added later is priced", () => {
  const scenario = plantScenario({ seed: 8, durationsMs: [4000] });
  const truth = scenario.truth.find((t) => t.channel === "neg_risk_basket" && t.expected)!;
  const finals: Episode[] = [];
  const all = new RelationSet(scenario.relations);
  const scanner = new Scanner(all, {
    ...OPTIONS,
    onEpisode: (episode, phase) => void (phase === "final" && finals.push(episode)),
  });
  const dropAt = truth.startAt + 1000;
  let dropped = false;
  for (const event of scenario.events) {
    if (!dropped && event.receivedAt > dropAt) {
      dropped = true;
      const without = scenario.relations.filter((r) => r.key !== truth.relationKey);
      scanner.setRelations(new RelationSet(without), dropAt);
    }
    scanner.push(event);
  }
  scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  const episode = finals.find((e) => e.relationKey === truth.relationKey)!;
  assert.equal(episode.startedAt, truth.startAt);
  assert.equal(episode.endedAt, dropAt);
  assert.equal(episode.endReason, "relation_removed");
  assert.equal(finals.filter((e) => e.relationKey === truth.relationKey).length, 1);
});

Deno.test("Scanner: with a 4% taker fee every planted profit is exact after fees", () => {
  const scenario = plantScenario({ seed: 17, durationsMs: [1500], feeRateBp: 400 });
  const episodes = scan(scenario);
  const expected = scenario.truth.filter((t) => t.expected);
  // The pair's 1¢ margin is less than its two fills' fees: no episode for it.
  assert.deepEqual(expected.map((t) => t.channel).toSorted(), [
    "neg_risk_basket",
    "neg_risk_conversion",
  ]);
  assert.equal(episodes.length, expected.length);
  for (const truth of expected) {
    const episode = episodes.find((e) => e.relationKey === truth.relationKey)!;
    assert.equal(formatDec(episode.peakProfit), truth.profit, truth.channel);
    // The fees are real: less than the fee-free margin (100 shares × 1¢ × 4 legs).
    assert.ok(Number(truth.profit) < 4);
    assert.ok(episode.peakPlan.legs.every((leg) => leg.fees > 0n));
  }
});

Deno.test("Scanner checks its open episodes only when something may be due, with the same episodes", () => {
  const scenario = plantScenario({ seed: 7 });
  const finals: Episode[] = [];
  const scanner = new Scanner(new RelationSet(scenario.relations), {
    ...OPTIONS,
    onEpisode: (episode, phase) => {
      if (phase === "final") finals.push(episode);
    },
  });
  for (const event of scenario.events) scanner.push(event);
  scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  // The same episodes as `scan` (whose exactness the first test checks)...
  const key = (e: Episode) => `${e.relationKey} ${e.channel} ${e.startedAt} ${e.endedAt}`;
  assert.deepEqual(finals.map(key), scan(scenario).map(key));
  assert.ok(finals.length >= 9);
  // ...with a scan of the open episodes on a small share of the events, not on each.
  assert.ok(scanner.advanceScans < scenario.events.length / 4);
});
