/**
 * Live paper trading (`PMCOLLECT_EXECUTOR=paper`, execution/live_paper.ts) composed as the run
 * command composes it: the planted venue's websocket on a loopback port, the trades listener
 * feeding the scanner task, the live paper executor and its kill switch under the supervisor,
 * `POST /kill` on the health server, the ledger in a test schema of the real PostgreSQL.
 *
 * The basket and conversion plants are traded: every leg's paper fill lands in the ledger, at
 * the planted prices (cost = payoff − the truth's profit, exactly), the conversion booked.
 * `POST /kill` then halts within a second; the implication pair planted after it is still found
 * by the scanner but no intent is recorded after the kill. A restart (everything built again on the same database, the paper
 * broker seeded from the ledger) reconciles clean, starts halted and sends nothing.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Queryable } from "../db/client.ts";
import { listEpisodes } from "../db/episodes.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import { startLivePaper } from "../execution/live_paper.ts";
import { tradingState } from "../execution/trading_state.ts";
import { serveHealth } from "../runtime/health.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { runScanner } from "../scanner/run.ts";
import { type PlantedScenario, plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import { setup, startCollector, until } from "./_trades_harness.ts";

const log = Deno.env.get("LP_DEBUG") ? createLogger({}, {}) : silentLogger();
const MAX_AGE_MS = 3000;
const LEGS = 4;

/** The scenario's relations as catalog rows; the incomplete group stays `incomplete`. */
async function seedCatalog(sql: Queryable, scenario: PlantedScenario): Promise<void> {
  for (const r of scenario.relations) {
    for (const m of r.markets) {
      await sql`insert into markets (market_id, event_id, condition_id, tick_size, min_order_size,
          end_date, question_index, fee_rate, fee_exponent, fee_taker_only)
        values (${m.marketId}, ${`ev-${r.key}`}, ${m.conditionId}, ${m.tickSize},
          ${m.minOrderSize}, ${m.endDate}, ${m.questionIndex ?? null}, 0, 1, true)`;
      await sql`insert into tokens (token_id, market_id, outcome_index)
        values (${m.yesTokenId}, ${m.marketId}, 0), (${m.noTokenId}, ${m.marketId}, 1)`;
    }
    const group = r.kind === "group";
    await sql`insert into relations (relation_key, type, members, provenance, status, rules_digest)
      values (${r.key}, ${group ? "partition" : "implies"}, ${r.markets.map((m) => m.marketId)},
        'test', ${group && !r.complete ? "incomplete" : "confirmed"}, 'd')`;
  }
}

type Harness = Awaited<ReturnType<typeof setup>>;

/** The run command's composition for live paper, against a planted server; `stop` ends it. */
async function startProcess(t: Harness, scenario: PlantedScenario, wsUrl: string) {
  const config = { ...t.config, api: { ...t.config.api, wsMarketUrl: wsUrl } };
  const controller = new AbortController();
  const signal = controller.signal;
  const feed = createScannerFeed();
  const collector = await startCollector({ ...t.deps(t.db.sql), config, bookFeed: feed });
  const set = new RelationSet(scenario.relations);
  t.activeTokens.publish(
    set.tokens().map((tokenId) => ({
      tokenId,
      conditionId: set.marketOf(tokenId)!.conditionId,
      marketId: set.marketOf(tokenId)!.marketId,
    })),
  );
  const paper = await startLivePaper({ config, sql: t.db.sql, log, feed }, signal);
  const modeAtStart = paper.risk.mode;
  const supervisor = runSupervisor([
    {
      name: "scanner",
      run: (s, context) =>
        runScanner({ ...t.deps(t.db.sql), config, context, feed, tap: paper.tap }, s),
    },
    ...paper.tasks,
  ], { signal, log });
  const health = serveHealth(supervisor, { port: 0, signal, log, kill: paper.kill });
  return {
    paper,
    modeAtStart,
    postKill: async () => {
      const res = await fetch(`http://127.0.0.1:${health.port}/kill`, {
        method: "POST",
        body: JSON.stringify({ reason: "test: POST /kill", by: "live_paper_test" }),
      });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    },
    stop: async () => {
      controller.abort();
      await Promise.all([supervisor.done, health.done]);
      await collector.stop();
    },
  };
}

Deno.test("live paper: planted episodes fill in the ledger; POST /kill halts in a second and the halt outlives a restart", async () => {
  const scenario = plantScenario({
    seed: 7,
    durationsMs: [3000],
    // Room between the plants for a loaded machine to fill the first two and kill before the
    // third (the test asserts the kill comes first).
    quietMs: 3000,
    noiseMs: 20,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const t = await setup({
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_QUOTES_INTERVAL_MS: "0",
    PMCOLLECT_STREAM_RECORD: "off",
    PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
    PMCOLLECT_SCANNER_MAX_SKEW_MS: String(MAX_AGE_MS),
    PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: "0",
    PMCOLLECT_EXECUTOR: "paper",
    PMCOLLECT_EXECUTOR_LATENCY_MS: "20",
    PMCOLLECT_EXECUTOR_CASH: "5000",
    // A planted leg costs up to 89 (100 NO at 0.89): room for one round of each channel.
    PMCOLLECT_RISK_MAX_ORDER_NOTIONAL: "100",
    PMCOLLECT_RISK_MAX_MARKET_NOTIONAL: "400",
    PMCOLLECT_RISK_MAX_GROUP_NOTIONAL: "1000",
    PMCOLLECT_RISK_MAX_TOTAL_NOTIONAL: "3000",
  });
  const sql = t.db.sql;
  await seedCatalog(sql, scenario);
  const expected = scenario.truth.filter((x) => x.expected);
  // Traded: the basket and the conversion; the implication pair is planted after the kill.
  const traded = expected.filter((x) => x.channel !== "implication");
  const pair = expected.find((x) => x.channel === "implication")!;
  assert.equal(traded.length, 2);
  assert.ok(traded.every((x) => x.endAt < pair.startAt));
  const relationOf = (key: string) => scenario.relations.find((r) => r.key === key)!;
  /** The tokens a plant's plan buys: YES of a basket, NO of a conversion, NO A + YES B. */
  const boughtTokens = (key: string, channel: string) => {
    const markets = relationOf(key).markets;
    if (channel === "neg_risk_basket") return markets.map((m) => m.yesTokenId);
    if (channel === "neg_risk_conversion") return markets.map((m) => m.noTokenId);
    return [markets[0]!.noTokenId, markets[1]!.yesTokenId];
  };

  let server = servePlantedScenario(scenario, { delayMs: 800, playOn: "subscribe" });
  let run = await startProcess(t, scenario, server.url);
  try {
    // 1. The basket and the conversion are traded: each leg bought whole at the planted price.
    const served = async () =>
      (await (await fetch(server.truthUrl)).json()) as { startedAt: number | null; t0: number };
    await until(async () => (await served()).startedAt !== null, 10_000);
    const { startedAt, t0 } = await served();
    const wall = (at: number) => startedAt! + (at - t0);
    const bought = async (tokens: readonly string[]) => {
      const rows = await sql<{ token_id: string; shares: string; notional: string }[]>`
        select token_id, sum(size)::text as shares, sum(price * size)::text as notional
        from fills where side = 'BUY' and token_id = any(${tokens}) group by token_id`;
      return rows;
    };
    await until(async () => {
      for (const x of traded) {
        const rows = await bought(boughtTokens(x.relationKey, x.channel));
        if (rows.length < boughtTokens(x.relationKey, x.channel).length) return false;
      }
      return true;
    }, 20_000);
    for (const x of traded) {
      const rows = await bought(boughtTokens(x.relationKey, x.channel));
      for (const r of rows) assert.equal(formatDec(parseDec(r.shares)), x.depth, r.token_id);
      // Fee-free: the plan's cost is its payoff less its profit, to the 1e-8.
      const cost = rows.reduce((sum, r) => sum + parseDec(r.notional), 0n);
      const payoff = parseDec(x.depth) * BigInt(x.channel === "neg_risk_conversion" ? LEGS - 1 : 1);
      assert.equal(formatDec(payoff - cost), x.profit, `${x.channel} cost ${formatDec(cost)}`);
    }
    const [conversion] = await sql<{ collateral: string }[]>`
      select collateral::text from conversions where kind = 'convert'`;
    assert.equal(formatDec(parseDec(conversion!.collateral)), String((LEGS - 1) * 100));
    const [{ orders }] = await sql<
      { orders: number }[]
    >`select count(*)::int as orders from orders`;
    assert.ok(orders >= 2 * LEGS, `${orders} orders`);
    assert.ok(Date.now() < wall(pair.startAt), "the kill comes before the pair is planted");

    // 2. POST /kill: halted within a second, in memory and stored.
    const killAt = Date.now();
    const killed = await run.postKill();
    const killMs = Date.now() - killAt;
    assert.equal(killed.status, 200);
    assert.equal(killed.body.persisted, true);
    assert.ok(killMs < 1000, `kill took ${killMs} ms`);
    assert.equal(run.paper.risk.mode, "halted");
    const state = await tradingState(sql);
    assert.equal(state.mode, "halted");
    assert.equal(state.reason, "test: POST /kill");
    const killedAt = new Date();

    // 3. The pair: the scanner opens its episode, the executor sends nothing.
    await until(async () => {
      const rows = await listEpisodes(sql, { since: killedAt, until: new Date(Date.now() + 1) });
      return rows.some((r) => r.channel === "implication");
    }, 8_000);
    await sleep(300);
    const [{ after }] = await sql<{ after: number }[]>`
      select count(*)::int as after from intents where created_at > ${killedAt}`;
    assert.equal(after, 0);
    await run.stop();
    await server.close();

    // 4. A restart: seeded from the ledger, reconciled clean, halted from the start.
    const restartedAt = new Date();
    server = servePlantedScenario(scenario, { delayMs: 800, playOn: "subscribe" });
    run = await startProcess(t, scenario, server.url);
    assert.equal(run.modeAtStart, "halted");
    const [reconciled] = await sql<{ ok: boolean }[]>`
      select ok from reconciliations order by id desc limit 1`;
    assert.equal(reconciled!.ok, true, "the seeded paper broker agrees with the ledger");
    await until(async () => {
      const rows = await listEpisodes(sql, {
        since: restartedAt,
        until: new Date(Date.now() + 1),
      });
      return rows.length >= 2;
    }, 10_000);
    await sleep(300);
    const [{ later }] = await sql<{ later: number }[]>`
      select count(*)::int as later from intents where created_at > ${killedAt}`;
    assert.equal(later, 0);
    assert.equal(run.paper.risk.mode, "halted");
  } finally {
    await run.stop();
    await server.close();
    await t.dispose();
  }
});
