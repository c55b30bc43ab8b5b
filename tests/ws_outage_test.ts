/**
 * Websocket keepalive and outages against the simulator and a real PostgreSQL (own schema):
 * the default PING interval leaves a margin under the venue's idle limit, every close and
 * reopen is logged with its cause and downtime, and an outage is one `gaps` row per
 * connection listing its tokens.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../runtime/config.ts";
import { createLogger } from "../runtime/log.ts";
import { startSimulator, WS_IDLE_TIMEOUT_MS } from "../simulator/server.ts";
import { setup, startCollector, tokensOf, until } from "./_trades_harness.ts";

Deno.test("the default PING interval is at most half the venue's idle limit", () => {
  const { pingMs } = loadConfig({}).collectors.trades;
  assert.equal(WS_IDLE_TIMEOUT_MS, 10_000);
  assert.ok(pingMs * 2 <= WS_IDLE_TIMEOUT_MS, `ping every ${pingMs} ms against a 10 s limit`);
});

Deno.test("trades: with the default PING interval the simulator never drops an idle socket", async () => {
  // Paused venue: no data at all, so only PINGs keep the socket; 12 s > the 10 s limit.
  const sim = await startSimulator({ markets: 4, seed: 8, tickMs: 60_000, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl });
  try {
    sim.control.pause();
    t.activeTokens.publish(tokensOf(sim.universe.markets.filter((m) => m.status === "open")));
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.pool.connections[0]?.state === "open", 3000);
    await sleep(12_000);
    const [conn] = c.pool.connections;
    await c.stop();
    assert.equal(conn?.reconnects, 0);
    assert.ok((conn?.pingsSent ?? 0) >= 3, `${conn?.pingsSent} pings in 12 s`);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

Deno.test("trades: a PING that is due goes out with the next frame even if its timer is late", async () => {
  const sim = await startSimulator({ markets: 4, seed: 9, tickMs: 20, lifecycleRate: 0 });
  // The timer would fire only after a minute; the clock is moved past the interval instead,
  // as a loop too busy to run timers (but still reading frames) would see it.
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl, PMCOLLECT_WS_PING_MS: "60000" });
  let offset = 0;
  try {
    t.activeTokens.publish(tokensOf(sim.universe.markets.filter((m) => m.status === "open")));
    const c = await startCollector({ ...t.deps(t.db.sql), now: () => Date.now() + offset });
    await until(() => c.pool.connections[0]?.state === "open", 3000);
    const [conn] = c.pool.connections;
    assert.equal(conn?.pingsSent, 1, "one PING as the socket opens");
    offset = 60_000;
    await until(() => conn?.pingsSent === 2, 3000);
    const messages = conn?.messages ?? 0;
    await until(() => (conn?.messages ?? 0) > messages + 5, 3000);
    assert.equal(conn?.pingsSent, 2, "not again until the interval has passed");
    await c.stop();
  } finally {
    await sim.close();
    await t.dispose();
  }
});

Deno.test("trades: a dropped connection logs one close and one reopen and writes one gaps row", async () => {
  const sim = await startSimulator({ markets: 20, seed: 3, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "10",
  });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  try {
    const markets = sim.universe.markets.filter((m) => m.status === "open").slice(0, 10);
    t.activeTokens.publish(tokensOf(markets));
    const c = await startCollector({ ...t.deps(t.db.sql), log });
    await until(
      () => c.pool.connections.length === 2 && c.pool.connections.every((x) => x.state === "open"),
      3000,
    );
    await until(() => c.queue.stats.tradesInserted > 5, 5000);
    assert.equal(sim.control.dropSockets(), 2);
    await until(
      async () => (await t.db.sql`select 1 from gaps where cause = 'disconnected'`).length === 2,
      3000,
    );
    await c.stop();

    const closed = lines.filter((l) => l.event === "ws_closed");
    const reopened = lines.filter((l) => l.event === "ws_reopened");
    assert.deepEqual(closed.map((l) => l.connection).sort(), [0, 1]);
    assert.deepEqual(reopened.map((l) => l.connection).sort(), [0, 1]);
    for (const l of closed) {
      assert.equal(l.tokens, 10);
      assert.ok(["closed", "error"].includes(String(l.cause)), `cause ${l.cause}`);
      assert.equal(typeof l.code, "number");
    }
    for (const l of reopened) {
      assert.equal(l.tokens, 10);
      assert.ok(typeof l.downtimeMs === "number" && l.downtimeMs >= 0 && l.downtimeMs < 3000);
    }

    const gaps = await t.db.sql<{ scope: string; tokens: string[]; start_at: Date }[]>`
      select scope, tokens, start_at from gaps
      where collector = 'trades' and scope like 'conn:%' order by scope`;
    assert.deepEqual(gaps.map((g) => g.scope), ["conn:0", "conn:1"]);
    const owned = c.pool.connections.map((x) => [...x.tokens].sort());
    assert.deepEqual(gaps.map((g) => [...g.tokens].sort()), owned);
    assert.equal(new Set(gaps.flatMap((g) => g.tokens)).size, 20);
  } finally {
    await sim.close();
    await t.dispose();
  }
});
