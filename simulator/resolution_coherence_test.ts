/**
 * The simulator's resolutions against its own structures, judged by the project's relation
 * checker (`relations/falsify.ts`): every neg-risk group, ladder and game chain of the universe
 * (`structureTruth`) is checked after the world ran its random lifecycle until nothing was left
 * open, with no wall clock. Zero counter-examples and zero findings but 50-50 ones are allowed;
 * the checker itself still finds a planted tie and a planted out-of-order ladder.
 */
import assert from "node:assert/strict";
import { createUniverse, type SimMarket, type Universe } from "./universe.ts";
import { World } from "./world.ts";
import { structureTruth } from "./truth.ts";
import { checkRelation, type MemberOutcome } from "../relations/falsify.ts";
import type { Relation } from "../relations/derive.ts";

const NOW = Date.UTC(2026, 10, 1);

function outcomeOf(m: SimMarket): MemberOutcome | undefined {
  const p = m.finalPrices?.join("/");
  return p === "1/0" ? "yes" : p === "0/1" ? "no" : p === "0.5/0.5" ? "half" : undefined;
}

type Checked = Pick<Relation, "type" | "members" | "provenance" | "status">;

/** The universe's own structures as relations (the checker's input). */
function ownRelations(u: Universe): Checked[] {
  const t = structureTruth(u);
  const rel = (type: Checked["type"], members: string[]): Checked => ({
    type,
    members,
    provenance: "simulator:truth",
    status: "confirmed",
  });
  return [
    ...t.negRiskGroups.map((g) => rel("partition", g.marketIds)),
    ...t.ladders.map((l) =>
      rel(l.kind === "date_ladder" ? "ladder_date" : "ladder_threshold", l.impliedChain)
    ),
    ...t.games.flatMap((g) => [rel("implies", g.marginChain), rel("ladder_line", g.totalsChain)]),
  ].filter((r) => r.members.length >= 2);
}

/** Counter-examples and non-50-50 findings of every own relation, as text. */
function contradictions(u: Universe): string[] {
  const outcomes = new Map<string, MemberOutcome>();
  for (const m of u.markets) {
    const o = outcomeOf(m);
    if (o !== undefined) outcomes.set(m.id, o);
  }
  const out: string[] = [];
  for (const r of ownRelations(u)) {
    const result = checkRelation(r, outcomes);
    if (result.counterExample !== null) out.push(`${r.type}: ${result.counterExample.reason}`);
    for (const f of result.findings) {
      if (f.kind !== "fifty_fifty") out.push(`${r.type}: ${f.kind}`);
    }
  }
  return out;
}

/** Runs the world's lifecycle (and some activity) until every market is closed. */
function runToTheEnd(u: Universe, seed: number): { ticks: number } {
  let clock = NOW;
  const world = new World(u, { seed, now: () => clock });
  let ticks = 0;
  while (u.markets.some((m) => m.status !== "closed") && ticks < 100_000) {
    clock += 1000;
    world.step([], 2);
    world.lifecycle(0.9);
    ticks++;
  }
  return { ticks };
}

for (const seed of [5, 9, 23]) {
  Deno.test(`World resolutions never contradict the universe's own structures (seed ${seed})`, () => {
    const u = createUniverse({ markets: 2500, seed, now: NOW });
    assert.deepEqual(contradictions(u), [], "the markets created closed agree already");
    const { ticks } = runToTheEnd(u, seed);
    assert.ok(u.markets.every((m) => m.status === "closed"), `all closed after ${ticks} ticks`);
    assert.deepEqual(contradictions(u), []);

    const truth = structureTruth(u);
    assert.ok(truth.negRiskGroups.length >= 20 && truth.ladders.length >= 10);
    for (const g of truth.negRiskGroups) {
      const o = g.marketIds.map((id) => outcomeOf(u.byId.get(id)!));
      if (o.includes(undefined) || o.includes("half")) continue; // a void or 50-50 member
      assert.equal(o.filter((x) => x === "yes").length, 1, `group ${g.eventId}: one winner`);
    }
    for (const m of u.markets) {
      if (outcomeOf(m) === "half") assert.ok(m.meta.is5050, `${m.id} is 50-50 but not marked`);
    }
  });
}

Deno.test("World.resolve() closes a group with its winner and a date ladder with its Yes", () => {
  const u = createUniverse({ markets: 2500, seed: 31, now: NOW });
  const world = new World(u, { seed: 31, now: () => NOW });
  const open = (ids: readonly number[]) => ids.every((i) => u.markets[i]!.status === "open");
  const group = u.events.find((e) => e.negRisk && open(e.marketIndexes))!;
  const winner = group.marketIndexes.map((i) => u.markets[i]!).find((m) => m.meta.fate === 0)!;
  const resolved = world.resolve(winner).map((e) => e.conditionId);
  assert.equal(resolved.length, group.marketIndexes.length, "the winner settles the group");
  assert.ok(group.marketIndexes.every((i) => u.markets[i]!.status === "closed"));

  const ladder = u.events.find((e) =>
    e.meta.kind === "date_ladder" && open(e.marketIndexes) &&
    e.marketIndexes.some((i) => u.markets[i]!.meta.fate === 0)
  )!;
  const members = ladder.marketIndexes.map((i) => u.markets[i]!);
  const firstYes = members.findIndex((m) => m.meta.fate === 0);
  world.resolve(members[firstYes]!);
  members.forEach((m, i) => {
    assert.equal(m.status === "closed", i >= firstYes, `member ${i} closes iff at/after the Yes`);
    if (i >= firstYes) assert.deepEqual(m.finalPrices, ["1", "0"]);
  });
});

Deno.test("World.resolve() with a named winner moves the group's fate to it", () => {
  const u = createUniverse({ markets: 2500, seed: 37, now: NOW });
  const world = new World(u, { seed: 37, now: () => NOW });
  const group = u.events.find((e) =>
    e.negRisk && e.marketIndexes.every((i) => u.markets[i]!.status === "open")
  )!;
  const members = group.marketIndexes.map((i) => u.markets[i]!);
  const chosen = members.find((m) => m.meta.fate === 1)!;
  world.resolve(chosen, 0);
  for (const m of members) if (m !== chosen) world.resolve(m);
  assert.deepEqual(members.map(outcomeOf), members.map((m) => (m === chosen ? "yes" : "no")));
  // A 50-50 plant on the fated winner passes the win to another open member.
  const next = u.events.find((e) =>
    e.negRisk && e !== group && e.marketIndexes.every((i) => u.markets[i]!.status === "open")
  )!;
  const rest = next.marketIndexes.map((i) => u.markets[i]!);
  const fated = rest.find((m) => m.meta.fate === 0)!;
  world.resolveFiftyFifty(fated);
  for (const m of rest) world.resolve(m);
  assert.equal(rest.filter((m) => outcomeOf(m) === "yes").length, 1);
  assert.equal(outcomeOf(fated), "half");
});

Deno.test("the checker finds planted contradictions in the simulator's own structures", () => {
  const u = createUniverse({ markets: 2500, seed: 41, now: NOW });
  const world = new World(u, { seed: 41, now: () => NOW });
  const open = (ids: readonly number[]) => ids.every((i) => u.markets[i]!.status === "open");
  const group = u.events.find((e) => e.negRisk && open(e.marketIndexes))!;
  for (const i of group.marketIndexes.slice(0, 3)) world.resolve(u.markets[i]!, 0);
  const ladder = u.events.find((e) => e.meta.kind === "date_ladder" && open(e.marketIndexes))!;
  world.resolve(u.markets[ladder.marketIndexes[0]!]!, 0);
  world.resolve(u.markets[ladder.marketIndexes.at(-1)!]!, 1);
  const found = contradictions(u);
  assert.ok(found.includes("partition: 3 members resolved yes; exactly one may"), String(found));
  assert.ok(found.some((f) => f.startsWith("ladder_date: ") && f.includes("which it implies")));
});

Deno.test("World draws coherent fates for a universe built without them", () => {
  const u = createUniverse({ markets: 2000, seed: 43, now: NOW });
  for (const m of u.markets) m.meta.fate = null; // as a hand-built universe comes
  runToTheEnd(u, 43);
  assert.ok(u.markets.every((m) => m.status === "closed"));
  assert.deepEqual(contradictions(u), []);
});
