/**
 * The resolution tracker against the local simulator and a real PostgreSQL (own schema per
 * test): resolutions made while it runs, legacy closes, strength rules, idempotent cycles,
 * websocket `market_resolved` through the inbox, and failures that must not stop a cycle.
 */
import assert from "node:assert/strict";
import { listResolutions, upsertResolutions } from "../db/resolutions.ts";
import { upsertMarkets } from "../db/catalog.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { WsMarketResolvedMessage } from "../polymarket/ws_schema.ts";
import type { Simulator, SimulatorOptions } from "../simulator/server.ts";
import type { SimMarket } from "../simulator/universe.ts";
import { runResolutionsCollector, runResolutionsCycle } from "../collectors/resolutions.ts";
import { createResolutionInbox } from "../collectors/resolution_inbox.ts";
import { STRENGTH } from "../collectors/infer_winner.ts";
import { type CollectorEnv, createCollectorEnv, marketRow } from "./_collector_env.ts";

function setup(intervalS = "300", options: SimulatorOptions = {}): Promise<CollectorEnv> {
  return createCollectorEnv({
    settings: { PMCOLLECT_RESOLUTIONS_INTERVAL_S: intervalS },
    simulator: { seed: 5, ...options },
    paused: options.lifecycleRate === undefined,
  });
}

function openMarkets(sim: Simulator, count: number): SimMarket[] {
  return sim.universe.markets.filter((m) => m.status === "open").slice(0, count);
}

/** Closes a market the way legacy Gamma data looks (no winner, odd final prices). */
function closeLegacy(m: SimMarket, prices: [string, string]): void {
  m.status = "closed";
  m.finalPrices = prices;
  m.closedAtMs = Date.now();
}

/** The simulator's truth: winner token of a 1/0 close, or null for legacy closes. */
function truth(m: SimMarket): string | null {
  const i = m.finalPrices?.indexOf("1") ?? -1;
  return i >= 0 && m.finalPrices?.every((p, j) => p === (j === i ? "1" : "0"))
    ? m.tokenIds[i]
    : null;
}

/** Subscribes to `market`'s tokens with custom features; returns its `market_resolved`. */
async function resolveOverWebsocket(
  sim: Simulator,
  market: SimMarket,
  winner: 0 | 1,
): Promise<WsMarketResolvedMessage> {
  const ws = new WebSocket(sim.wsUrl);
  const closed = new Promise((r) => ws.addEventListener("close", r));
  try {
    await new Promise((r) => (ws.onopen = r));
    const resolved = new Promise<WsMarketResolvedMessage>((resolve) => {
      ws.onmessage = (e) => {
        for (const m of parseWsFrame(String(e.data), Date.now()).messages) {
          if (m.kind === "market_resolved") resolve(m);
        }
      };
    });
    const first = new Promise((r) => ws.addEventListener("message", r, { once: true }));
    ws.send(JSON.stringify({
      assets_ids: market.tokenIds,
      type: "market",
      custom_feature_enabled: true,
    }));
    await first; // the initial book dump: the subscription is live
    sim.control.resolve(market.conditionId, winner);
    return await resolved;
  } finally {
    ws.close();
    await closed;
  }
}

Deno.test("runResolutionsCycle() stores the simulator's resolutions with the right winner token", async () => {
  await using env = await setup();
  const [a, b, zero, half] = openMarkets(env.sim, 4);
  env.sim.control.resolve(a!.conditionId, 0);
  env.sim.control.resolve(b!.conditionId, 1);
  closeLegacy(zero!, ["0", "0"]);
  closeLegacy(half!, ["0.5", "0.5"]);
  const signal = new AbortController().signal;
  const first = await runResolutionsCycle(env.deps, signal, { lookbackMs: 1e12 });
  const closed = env.sim.universe.markets.filter((m) => m.status === "closed");
  assert.equal(first.gammaMarkets, closed.length);
  const stored = new Map((await listResolutions(env.deps.sql)).map((r) => [r.conditionId, r]));
  assert.equal(stored.size, closed.length);
  for (const m of closed) {
    const row = stored.get(m.conditionId)!;
    const winner = truth(m);
    if (winner === null) {
      assert.equal(row.status, "ambiguous", m.finalPrices?.join());
      assert.equal(row.winnerTokenId, null);
    } else {
      assert.equal(row.status, "resolved");
      assert.equal(row.winnerTokenId, winner);
      assert.equal(row.source, "clob"); // confirmed by tokens[].winner in the same cycle
      assert.equal(row.strength, STRENGTH.clob);
    }
  }
  assert.equal(stored.get(b!.conditionId)!.winnerTokenId, b!.tokenIds[1]);
  assert.equal(stored.get(zero!.conditionId)!.status, "ambiguous");
  assert.equal(stored.get(half!.conditionId)!.status, "ambiguous");
  // Re-running the cycle writes nothing new and skips CLOB for confirmed markets.
  const second = await runResolutionsCycle(env.deps, signal, { lookbackMs: 1e12 });
  assert.equal(second.rowsWritten, 0);
  assert.ok(second.clobChecked < first.clobChecked);
  const runs = await env.deps.sql`select status, rows_written from collector_runs
    where collector = 'resolutions' order by started_at`;
  assert.equal(runs.length, 2);
  assert.equal(Number(runs[0]!.rows_written), closed.length);
  assert.equal(env.lines.filter((l) => l.event === "resolutions_cycle").length, 2);
});

Deno.test("runResolutionsCycle() lets a stronger signal correct a weaker one, never the reverse", async () => {
  await using env = await setup();
  const [x, y] = openMarkets(env.sim, 2);
  const inbox = createResolutionInbox();
  // x: resolved on the websocket (strongest), pushed the way the trades listener does.
  inbox.push(await resolveOverWebsocket(env.sim, x!, 1));
  // y: a wrong Gamma-strength verdict stored earlier; the CLOB winner flag corrects it.
  env.sim.control.resolve(y!.conditionId, 0);
  await upsertResolutions(env.deps.sql, [{
    conditionId: y!.conditionId,
    marketId: y!.id,
    status: "resolved",
    winnerTokenId: y!.tokenIds[1],
    winnerOutcome: "No",
    finalPrices: ["0", "1"],
    resolvedAt: null,
    source: "gamma",
    strength: STRENGTH.gamma,
    evidence: {},
  }]);
  const signal = new AbortController().signal;
  await runResolutionsCycle(env.deps, signal, { inbox, lookbackMs: 1e12 });
  const [rx, ry] = await listResolutions(env.deps.sql, [x!.conditionId, y!.conditionId])
    .then((rows) => [x, y].map((m) => rows.find((r) => r.conditionId === m!.conditionId)!));
  assert.deepEqual([rx!.source, rx!.strength, rx!.winnerTokenId], ["ws", 3, x!.tokenIds[1]]);
  assert.deepEqual([ry!.source, ry!.strength, ry!.winnerTokenId], ["clob", 2, y!.tokenIds[0]]);
  // A weaker verdict after a stronger one (Gamma/CLOB after ws, Gamma after CLOB) is ignored.
  x!.finalPrices = ["1", "0"]; // the venue's REST views now disagree with the websocket
  await runResolutionsCycle(env.deps, signal, { lookbackMs: 1e12 });
  const again = await listResolutions(env.deps.sql, [x!.conditionId]);
  assert.deepEqual([again[0]!.source, again[0]!.winnerTokenId], ["ws", x!.tokenIds[1]]);
});

Deno.test("runResolutionsCycle() records rejects and survives a CLOB 404 for one market", async () => {
  await using env = await setup();
  const [a] = openMarkets(env.sim, 1);
  env.sim.control.resolve(a!.conditionId, 0);
  // The catalog holds a market past its end date that the CLOB does not know (404).
  const ghost = "0x" + "ee".repeat(32);
  await upsertMarkets(env.deps.sql, [
    marketRow({ marketId: "999999", conditionId: ghost }, {
      endDate: new Date(Date.now() - 86_400_000),
    }),
  ]);
  env.sim.control.malformed({ pages: 1 });
  const clobRetry = new Map();
  const signal = new AbortController().signal;
  const cycle = await runResolutionsCycle(env.deps, signal, { lookbackMs: 1e12, clobRetry });
  assert.equal(cycle.errors, 1, "the 404 is counted");
  assert.equal(clobRetry.get(ghost)?.misses, 1, "and re-checked later, not every cycle");
  const again = await runResolutionsCycle(env.deps, signal, { lookbackMs: 1e12, clobRetry });
  assert.equal(again.errors, 0);
  assert.equal(cycle.rejects, 1);
  const [row] = await listResolutions(env.deps.sql, [a!.conditionId]);
  assert.equal(row?.winnerTokenId, a!.tokenIds[0]);
  const [rejected] = await env.deps.sql`select source from rejects`;
  assert.equal(rejected?.source, "gamma:/markets/keyset");
  const runs = await env.deps.sql`select status from collector_runs order by started_at`;
  assert.deepEqual(runs.map((r) => r.status), ["partial", "ok"]);
});

Deno.test("runResolutionsCollector() wakes on a pushed market_resolved and stops on abort", async () => {
  await using env = await setup("600");
  const [x] = openMarkets(env.sim, 1);
  const inbox = createResolutionInbox();
  const reports: Record<string, unknown>[] = [];
  const controller = new AbortController();
  const context = {
    signal: controller.signal,
    report: (f: Record<string, unknown>) => void reports.push(f),
    counter: () => {},
    gauge: () => {},
    observe: () => {},
  };
  const running = runResolutionsCollector({ ...env.deps, context }, controller.signal, { inbox });
  const message = await resolveOverWebsocket(env.sim, x!, 0);
  // Wait for the first full cycle, then push: the collector must not wait out its 600 s.
  while (!env.lines.some((l) => l.event === "resolutions_cycle")) {
    await new Promise((r) => setTimeout(r, 20));
  }
  inbox.push(message);
  for (let i = 0; i < 250; i++) {
    const rows = await listResolutions(env.deps.sql, [x!.conditionId]);
    if (rows[0]?.source === "ws") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const [row] = await listResolutions(env.deps.sql, [x!.conditionId]);
  assert.deepEqual([row?.source, row?.winnerTokenId], ["ws", x!.tokenIds[0]]);
  assert.ok(reports.some((r) => typeof r.lastSuccessAt === "string"));
  controller.abort(new Error("test over"));
  await assert.rejects(running, /test over/);
});

Deno.test("runResolutionsCollector() keeps up with markets the simulator resolves while it runs", async () => {
  await using env = await setup("0.2", { tickMs: 20, lifecycleRate: 0.5, activityPerTick: 1 });
  const before = env.sim.universe.markets.filter((m) => m.status === "closed").length;
  const controller = new AbortController();
  const running = runResolutionsCollector(env.deps, controller.signal, { lookbackMs: 1e12 });
  // Until the simulator has resolved a few markets (counted, not timed: a loaded machine ticks
  // fewer times per second), with at least one collector cycle in between.
  const closedNow = () => env.sim.universe.markets.filter((m) => m.status === "closed").length;
  const deadline = Date.now() + 20_000;
  while (closedNow() <= before + 3 || !env.lines.some((l) => l.event === "resolutions_cycle")) {
    if (Date.now() > deadline) throw new Error(`only ${closedNow() - before} resolved in 20 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  env.sim.control.pause(); // freeze the truth, then give the collector two more cycles
  const cycles = () => env.lines.filter((l) => l.event === "resolutions_cycle").length;
  const target = cycles() + 2;
  while (cycles() < target) await new Promise((r) => setTimeout(r, 20));
  controller.abort(new Error("test over"));
  await assert.rejects(running, /test over/);
  const closed = env.sim.universe.markets.filter((m) => m.status === "closed");
  assert.ok(closed.length > before + 3, `only ${closed.length - before} resolved during the run`);
  const stored = new Map((await listResolutions(env.deps.sql)).map((r) => [r.conditionId, r]));
  for (const m of closed) {
    const row = stored.get(m.conditionId);
    assert.equal(row?.winnerTokenId ?? null, truth(m), m.conditionId);
    assert.equal(row?.status, truth(m) === null ? "ambiguous" : "resolved");
  }
});
