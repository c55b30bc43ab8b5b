/**
 * Market metadata end to end: the markets collector against the simulator and a real
 * PostgreSQL schema, run cycle by cycle with an injected clock and a fee change in between;
 * and the trades listener storing a `new_market`'s fee schedule from the first copy of the
 * broadcast alone.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { runTradesCollector } from "../collectors/trades.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { marketMetadataAsOf } from "../db/market_metadata.ts";
import { structureTruth } from "../simulator/truth.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const T1 = T0 + 3_600_000;
const T2 = T1 + 3_600_000;

const oneCycle = oneMarketsCycle;

async function rowsAt(deps: CollectorDeps, at: number) {
  return await deps.sql<{ market_id: string; source: string }[]>`
    select market_id, source from market_metadata_history
    where valid_from = ${new Date(at).toISOString()}::timestamptz order by market_id`;
}

Deno.test("markets collector: a fee change is one history row, visible from the cycle that saw it", async () => {
  let clock = T0;
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 300 },
    now: () => clock,
  });
  const { deps, sim } = env;
  await oneCycle(deps, 1);
  const [first] = await deps.sql<{ n: number; markets: number }[]>`
    select count(*)::int as n, count(distinct market_id)::int as markets
    from market_metadata_history`;
  const [stored] = await deps.sql<{ n: number }[]>`select count(*)::int as n from markets`;
  assert.equal(first!.n, stored!.n, "one initial row per stored market");
  assert.equal(first!.markets, stored!.n);

  const [target] = await deps.sql<{ market_id: string; condition_id: string; rate: string }[]>`
    select market_id, condition_id, fee_rate::text as rate from markets
    where fee_rate is not null and clob_checked_at is not null order by market_id limit 1`;
  assert.ok(target, "a fee-charging market read on the CLOB in the first cycle");
  const newRate = target.rate === "0.05" ? "0.06" : "0.05";
  assert.ok(sim.control.changeFee(target.condition_id, newRate));

  clock = T1;
  await oneCycle(deps, 2);
  const gammaAtT1 = (await rowsAt(deps, T1)).filter((r) => r.source.startsWith("gamma"));
  assert.deepEqual(gammaAtT1.map((r) => r.market_id), [target.market_id]);

  const history = await deps.sql<{ valid_from: Date; rate: string }[]>`
    select valid_from, metadata->>'fee_rate' as rate from market_metadata_history
    where market_id = ${target.market_id} order by valid_from`;
  assert.deepEqual(history.map((h) => [h.valid_from.getTime(), h.rate]), [
    [T0, target.rate],
    [T1, newRate],
  ]);
  const before = await marketMetadataAsOf(deps.sql, target.market_id, new Date(T1 - 1));
  const after = await marketMetadataAsOf(deps.sql, target.market_id, new Date(T1));
  assert.equal(before?.metadata.feeRate, target.rate);
  assert.equal(after?.metadata.feeRate, newRate);
  assert.equal(after?.metadata.feeTakerOnly, true);
  const [current] = await deps.sql`
    select fee_rate::text from markets where market_id = ${target.market_id}`;
  assert.equal(current?.fee_rate, newRate);

  // A cycle with no change (and the CLOB fully read) writes nothing.
  clock = T2;
  await oneCycle(deps, 3);
  assert.deepEqual((await rowsAt(deps, T2)).map((r) => r.market_id), []);
  const [unread] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from markets
    where clob_checked_at is null and active and not closed`;
  assert.equal(unread!.n, 0);
});

Deno.test("markets collector: stores the planted neg-risk structure, fees and rules", async () => {
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 300 },
  });
  const { deps, sim } = env;
  await oneCycle(deps, 1);
  const truth = structureTruth(sim.universe);
  const augmented = truth.negRiskGroups.filter((g) => g.augmented);
  assert.ok(augmented.length > 0, "the seed plants an augmented group");
  for (const g of augmented) {
    const [e] = await deps.sql`
      select enable_neg_risk, neg_risk_augmented from events where event_id = ${g.eventId}`;
    assert.deepEqual({ ...e }, { enable_neg_risk: true, neg_risk_augmented: true });
    const rows = await deps.sql<{ market_id: string; question_index: number; other: boolean }[]>`
      select market_id, question_index, neg_risk_other as other from markets
      where neg_risk_market_id = ${g.negRiskMarketId} order by question_index`;
    const listed = g.marketIds.filter((id) => sim.universe.byId.get(id)!.status === "open");
    assert.deepEqual(rows.map((r) => r.market_id).sort(), [...listed].sort());
    for (const r of rows) {
      assert.equal(r.question_index, g.marketIds.indexOf(r.market_id));
      assert.equal(r.other, r.market_id === g.otherId);
    }
  }
  const ladder = truth.ladders.find((l) => l.kind === "threshold_ladder")!;
  const thresholds = await deps.sql<{ market_id: string; t: string }[]>`
    select market_id, group_item_threshold as t from markets
    where market_id in ${deps.sql(ladder.impliedChain)}`;
  for (const r of thresholds) {
    assert.equal(r.t, sim.universe.byId.get(r.market_id)!.groupItemThreshold);
  }
  const [missingRules] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from markets m
    where m.rules_hash is null or not exists (
      select 1 from market_rules r where r.rules_hash = m.rules_hash)`;
  assert.equal(missingRules!.n, 0, "every market's rules text is stored under its hash");
  const fees = await deps.sql<{ market_id: string; rate: string | null }[]>`
    select market_id, fee_rate::text as rate from markets`;
  for (const f of fees) {
    const m = sim.universe.byId.get(f.market_id)!;
    const expected = m.meta.feeChange !== null && Date.now() >= m.meta.feeChange.atMs
      ? m.meta.feeChange.schedule.rate
      : m.meta.feeSchedule?.rate ?? null;
    assert.equal(f.rate, expected === null ? null : String(Number(expected)), f.market_id);
  }
});

Deno.test("trades listener: a new_market's fee schedule is stored once, from the first of its three copies", async () => {
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_WS_TOKENS_PER_CONNECTION: "2" },
    simulator: { seed: 5, markets: 300 },
  });
  const { sim } = env;
  const deps = {
    ...env.deps,
    config: { ...env.deps.config, api: { ...env.deps.config.api, wsMarketUrl: sim.wsUrl } },
  };
  const open = sim.universe.markets.filter((m) => m.status === "open").slice(0, 3);
  const unlisted = sim.universe.markets.filter((m) => m.status === "unlisted" && m.feesEnabled);
  assert.ok(unlisted.length > 0, "the seed has an unlisted fee-charging market");
  // listMarket() picks a random unlisted market: leave only the chosen one unlisted.
  for (const m of sim.universe.markets) {
    if (m.status === "unlisted" && m !== unlisted[0]) m.status = "closed";
  }
  deps.activeTokens.publish(
    open.flatMap((m) =>
      m.tokenIds.map((tokenId) => ({ tokenId, conditionId: m.conditionId, marketId: m.id }))
    ),
  );
  const controller = new AbortController();
  const counters = new Map<string, number>();
  const context = {
    signal: controller.signal,
    report: () => {},
    counter: (name: string, delta = 1) =>
      void counters.set(name, (counters.get(name) ?? 0) + delta),
    gauge: () => {},
    observe: () => {},
  };
  const running = runTradesCollector({ ...deps, context, readyWaitMs: 0 }, controller.signal)
    .catch((err) => {
      if (!controller.signal.aborted) throw err;
    });
  try {
    const deadline = Date.now() + 20_000;
    while (sim.control.connectionCount() < 3) {
      if (Date.now() > deadline) throw new Error("listener did not connect");
      await delay(20);
    }
    await delay(200);
    const listed = sim.control.listMarket();
    assert.equal(listed, unlisted[0]!.id);
    let rows: { source: string; rate: string; valid_from: Date }[] = [];
    while (rows.length === 0) {
      if (Date.now() > deadline) throw new Error("new_market not stored");
      await delay(20);
      rows = await deps.sql`
        select source, metadata->>'fee_rate' as rate, valid_from from market_metadata_history
        where market_id = ${listed}`;
    }
    await delay(300); // the other connections' copies of the broadcast
    rows = await deps.sql`
      select source, metadata->>'fee_rate' as rate, valid_from from market_metadata_history
      where market_id = ${listed}`;
    assert.equal(rows.length, 1, "three copies of the broadcast, one row");
    // Recorded from the first copy alone: the two others are counted, not written again.
    assert.equal(counters.get("new_market_copies_total"), 2);
    assert.equal(rows[0]!.source, "ws:new_market");
    assert.equal(rows[0]!.rate, unlisted[0]!.meta.feeSchedule!.rate);
  } finally {
    controller.abort(new Error("test over"));
    await running;
  }
});

Deno.test("markets collector: a clarified placeholder is one change, with its new rules text", async () => {
  let clock = T0;
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "3600" },
    simulator: { seed: 11, markets: 300 },
    now: () => clock,
  });
  const { deps, sim } = env;
  await oneCycle(deps, 1);
  const placeholder = structureTruth(sim.universe).negRiskGroups
    .flatMap((g) => g.placeholderIds)
    .map((id) => sim.universe.byId.get(id)!)
    .find((m) => m.status === "open");
  assert.ok(placeholder, "the seed plants an open placeholder");
  const [before] = await deps.sql`
    select rules_hash, group_item_title from markets where market_id = ${placeholder.id}`;
  assert.ok(sim.control.clarifyPlaceholder(placeholder.conditionId, "Jane Roe"));
  clock = T1;
  await oneCycle(deps, 2);
  const history = await deps.sql<{ title: string; rules: string }[]>`
    select metadata->>'group_item_title' as title, metadata->>'rules_hash' as rules
    from market_metadata_history where market_id = ${placeholder.id} order by valid_from`;
  assert.deepEqual(history.map((h) => h.title), [before?.group_item_title, "Jane Roe"]);
  assert.equal(history[0]!.rules, before?.rules_hash);
  assert.notEqual(history[1]!.rules, history[0]!.rules);
  const texts = await deps.sql<{ description: string }[]>`
    select description from market_rules
    where rules_hash in ${deps.sql(history.map((h) => h.rules))}`;
  assert.equal(texts.length, 2);
  assert.ok(texts.some((t) => t.description.includes("Jane Roe")));
});
