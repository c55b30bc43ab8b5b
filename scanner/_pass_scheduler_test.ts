import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { formatDec } from "../edge/decimal.ts";
import { plantScenario } from "../simulator/plant.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { parseRules } from "../edge/legs.ts";
import { POLYMARKET_RULES } from "../edge/market.ts";
import { evaluateChannel } from "./_evaluate.ts";
import { PassScheduler } from "./_pass_scheduler.ts";
import type { Episode } from "./episode.ts";
import { RelationSet } from "./relation_set.ts";
import { Scanner } from "./scanner.ts";

const OPTIONS = { maxBookAgeMs: 5000, maxSkewMs: 5000 };

function finals(scenario: ReturnType<typeof plantScenario>) {
  const out: Episode[] = [];
  const scanner = new Scanner(new RelationSet(scenario.relations), {
    ...OPTIONS,
    onEpisode: (episode, phase) => void (phase === "final" && out.push(episode)),
  });
  return { scanner, out };
}

const summary = (episodes: Episode[]) =>
  episodes.map((e) =>
    [e.relationKey, e.channel, e.startedAt, e.endedAt, e.endReason, formatDec(e.peakProfit)].join(
      " ",
    )
  ).toSorted();

/** The events split into frames: one per receive instant. */
function frames(events: readonly BookEvent[]): BookEvent[][] {
  const out: BookEvent[][] = [];
  for (const event of events) {
    const last = out.at(-1);
    if (last !== undefined && last[0]!.receivedAt === event.receivedAt) last.push(event);
    else out.push([event]);
  }
  return out;
}

Deno.test("Scanner.ingest() only updates books and marks relations: the engine never runs on it", () => {
  const scenario = plantScenario({ seed: 7 });
  const { scanner } = finals(scenario);
  for (const event of scenario.events) scanner.ingest(event);
  assert.equal(scanner.counts.evaluations, 0);
  assert.equal(scanner.counts.relationChecks, 0);
  assert.ok(scanner.pending > 0);
  // One pass evaluates each dirty relation once, however many changes it coalesces.
  scanner.evaluatePending();
  assert.equal(scanner.pending, 0);
  assert.equal(scanner.counts.passes, 1);
  assert.ok(scanner.counts.relationChecks <= scenario.relations.length);
});

Deno.test("Scanner.evaluatePending() with a spent deadline evaluates one relation and leaves the rest dirty", () => {
  const scenario = plantScenario({ seed: 7 });
  const { scanner } = finals(scenario);
  for (const event of scenario.events) scanner.ingest(event);
  const before = scanner.pending;
  assert.ok(before > 1);
  assert.equal(scanner.evaluatePending(performance.now() - 1), before - 1);
  assert.equal(scanner.counts.relationChecks, 1);
});

Deno.test("passes at receive-instant boundaries give the replay's episodes exactly", () => {
  const scenario = plantScenario({ seed: 7 });
  const replay = finals(scenario);
  for (const event of scenario.events) replay.scanner.push(event);
  replay.scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  const live = finals(scenario);
  for (const frame of frames(scenario.events)) {
    for (const event of frame) live.scanner.ingest(event);
    live.scanner.evaluatePending();
  }
  live.scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  assert.equal(live.out.length, scenario.truth.filter((t) => t.expected).length);
  assert.deepEqual(summary(live.out), summary(replay.out));
  // Every planted start and end is the receive time of the event that made or ended it.
  for (const truth of scenario.truth.filter((t) => t.expected)) {
    const found = live.out.filter((x) =>
      x.relationKey === truth.relationKey && x.channel === truth.channel &&
      x.startedAt === truth.startAt && x.endedAt === truth.endAt
    );
    assert.equal(found.length, 1, `${truth.relationKey} ${truth.channel} ${truth.startAt}`);
  }
});

Deno.test("a coalesced pass stamps an opened episode with its latest change's receive time", () => {
  const scenario = plantScenario({ seed: 7, durationsMs: [1500] });
  const truth = scenario.truth.find((t) => t.expected && t.channel === "neg_risk_basket")!;
  const { scanner, out } = finals(scenario);
  const relation = scenario.relations.find((r) => r.key === truth.relationKey)!;
  const legs = new Set(relation.markets.map((m) => m.yesTokenId));
  // Everything up to the plant in one pass (as when the event loop fell behind).
  let latest = -Infinity;
  for (const event of scenario.events.filter((e) => e.receivedAt <= truth.startAt)) {
    scanner.ingest(event);
    if (legs.has(event.tokenId)) latest = event.receivedAt;
  }
  scanner.evaluatePending();
  scanner.finish(truth.startAt + 1);
  const episode = out.find((e) => e.relationKey === truth.relationKey)!;
  assert.equal(latest, truth.startAt);
  assert.equal(episode.startedAt, truth.startAt);
  assert.equal(episode.observations, 1);
});

Deno.test("PassScheduler evaluates off the caller's path, coalesces a burst, and gives the replay's episodes", async () => {
  const scenario = plantScenario({ seed: 11 });
  const replay = finals(scenario);
  for (const event of scenario.events) replay.scanner.push(event);
  replay.scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  const live = finals(scenario);
  const passes = new PassScheduler(live.scanner, { budgetMs: 5 });
  try {
    for (const frame of frames(scenario.events)) {
      for (const event of frame) {
        live.scanner.ingest(event);
        passes.notify();
      }
      // Nothing was evaluated on the caller's path.
      assert.ok(live.scanner.pending > 0);
      // The pass (sliced by its budget) runs on later turns of the event loop.
      while (live.scanner.pending > 0) await sleep(0);
    }
  } finally {
    passes.stop();
  }
  live.scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
  assert.deepEqual(summary(live.out), summary(replay.out));
  assert.ok(passes.slices >= frames(scenario.events).length);
});

Deno.test("after every coalesced pass, on random pass boundaries, each relation's episode is open exactly when a full re-evaluation pays", () => {
  const rules = parseRules(POLYMARKET_RULES);
  for (const seed of [2, 5, 19]) {
    const scenario = plantScenario({ seed, durationsMs: [300, 1500], noiseMs: 5 });
    const opened: Episode[] = [];
    const scanner = new Scanner(new RelationSet(scenario.relations), {
      maxBookAgeMs: 1e12,
      maxSkewMs: 1e12,
      onEpisode: (episode, phase) => void (phase === "open" && opened.push(episode)),
    });
    let x = seed;
    const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    let checks = 0;
    for (const event of scenario.events) {
      scanner.ingest(event);
      if (random() > 0.05) continue;
      scanner.evaluatePending();
      const asOf = new Date(event.receivedAt).toISOString();
      for (const relation of scenario.relations) {
        if (relation.kind === "group" && !relation.complete) continue;
        const channels = relation.kind === "group"
          ? ["neg_risk_conversion", "neg_risk_basket"] as const
          : ["implication"] as const;
        for (const channel of channels) {
          const plan = evaluateChannel(relation, channel, { books: scanner.books, rules, asOf })
            ?.plan;
          const pays = plan !== null && plan !== undefined && plan.profit > 0n;
          const open = opened.some((e) =>
            e.relationKey === relation.key && e.channel === channel && e.endedAt === null
          );
          assert.equal(open, pays, `${seed} ${relation.key} ${channel} at ${event.receivedAt}`);
          checks++;
        }
      }
    }
    assert.ok(checks > 100);
    assert.ok(opened.length >= 4);
  }
});
