/**
 * The websocket trade listener against the simulator and a real PostgreSQL (own schema):
 * reconnects, watchdogs, runtime (un)subscribe, a database outage under load, genuine
 * identical fills. The SIGKILL case is in trades_kill_test.ts.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import type { SimMarket } from "../simulator/universe.ts";
import { PgProxy, setup, startCollector, tokensOf, until } from "./_trades_harness.ts";
import { testDatabaseUrlVia } from "./_db.ts";
import { testWithin } from "./_time_limit.ts";

/** Bounds each test: a hang fails it instead of the whole run. */
const test = testWithin(60_000);

function openMarkets(sim: { universe: { markets: readonly SimMarket[] } }): SimMarket[] {
  return sim.universe.markets.filter((m) => m.status === "open");
}

async function countDuplicates(sql: postgres.Sql): Promise<{ rows: number; distinct: number }> {
  const [r] = await sql<{ rows: number; distinct: number }[]>`
    select count(*)::int as rows,
           count(distinct (token_id, ts, price, size, side, tx_hash))::int as distinct
    from trades`;
  return r;
}

test("trades: abrupt close → reconnected and resubscribed in < 2 s, gap recorded, no duplicates", async () => {
  const sim = await startSimulator({ markets: 20, seed: 3, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "10",
  });
  try {
    t.activeTokens.publish(tokensOf(openMarkets(sim).slice(0, 10)));
    const c = await startCollector(t.deps(t.db.sql));
    await until(
      () => c.pool.connections.length === 2 && c.pool.connections.every((x) => x.state === "open"),
      3000,
    );
    await until(() => c.queue.stats.tradesInserted > 5, 5000);
    assert.equal(sim.control.dropSockets(), 2);
    const took = await until(
      () => c.pool.connections.every((x) => x.reconnects === 1 && x.state === "open"),
      2000,
    );
    await until(
      async () => (await t.db.sql`select 1 from gaps where cause = 'disconnected'`).length === 2,
      2000,
    );
    await sleep(300);
    // Freeze the simulator, then every trade it sent must be stored, once.
    sim.control.pause();
    const sent = sim.control.sentTrades();
    await until(async () => (await countDuplicates(t.db.sql)).rows >= sent, 3000).catch(() => {});
    await c.stop();
    assert.ok(took < 2000, `reconnected in ${took} ms`);
    const d = await countDuplicates(t.db.sql);
    assert.ok(sent > 5, `the simulator sent ${sent} trades`);
    assert.equal(d.rows, sent);
    assert.equal(d.rows, d.distinct);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

test("trades: silent stall is detected within the watchdog window and reconnected", async () => {
  const sim = await startSimulator({ markets: 10, seed: 4, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl, PMCOLLECT_WS_SILENCE_MS: "400" });
  try {
    t.activeTokens.publish(tokensOf(openMarkets(sim).slice(0, 5)));
    const c = await startCollector(t.deps(t.db.sql));
    await until(
      () => c.pool.connections[0]?.state === "open" && c.pool.connections[0].messages > 0,
      3000,
    );
    sim.control.stall(true);
    const took = await until(() => c.pool.connections[0].reconnects === 1, 2000);
    await until(() => c.pool.connections[0].state === "open", 2000);
    await until(
      async () => (await t.db.sql`select 1 from gaps where cause = 'stall'`).length > 0,
      2000,
    );
    await c.stop();
    assert.ok(took < 1500, `stall detected after ${took} ms`);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

test("trades: a resolved market's tokens are unsubscribed, so its silence is no stall (no false gap)", async () => {
  const sim = await startSimulator({ markets: 10, seed: 4, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl, PMCOLLECT_WS_SILENCE_MS: "400" });
  try {
    const [market] = openMarkets(sim);
    t.activeTokens.publish(tokensOf([market!]));
    const c = await startCollector(t.deps(t.db.sql));
    await until(
      () => c.pool.connections[0]?.state === "open" && c.pool.connections[0].messages > 0,
      3000,
    );
    assert.equal(sim.control.resolve(market!.conditionId), market!.conditionId);
    await until(() => c.pool.connections[0]!.tokens.size === 0, 2000);
    // Four watchdog windows of silence: a connection still holding the tokens would reconnect.
    await sleep(1600);
    const connection = c.pool.connections[0]!;
    await c.stop();
    assert.equal(connection.reconnects, 0);
    assert.equal((await t.db.sql`select 1 from gaps where cause = 'stall'`).length, 0);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

test("trades: a withheld snapshot is resubscribed and recorded as a no_snapshot gap", async () => {
  const sim = await startSimulator({ markets: 10, seed: 5, tickMs: 60_000, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_WS_SNAPSHOT_DEADLINE_MS: "300",
  });
  try {
    sim.control.pause(); // no activity: only the (re)subscribe snapshots carry books
    sim.control.withholdSnapshots(1);
    t.activeTokens.publish(tokensOf(openMarkets(sim).slice(0, 3)));
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.pool.connections[0]?.sentOps.subscribe === 1, 3000);
    assert.equal(c.pool.connections[0].sentOps.unsubscribe, 1);
    await until(
      async () => (await t.db.sql`select 1 from gaps where cause = 'no_snapshot'`).length === 1,
      3000,
    );
    const [gap] = await t.db.sql<{ tokens: string[] }[]>`
      select tokens from gaps where cause = 'no_snapshot'`;
    assert.equal(gap?.tokens.length, 6, "one row for the 6 tokens of the withheld snapshot");
    assert.equal(c.pool.connections[0].reconnects, 0);
    await c.stop();
  } finally {
    await sim.close();
    await t.dispose();
  }
});

test("trades: a token added and one removed at runtime are (un)subscribed without reconnecting", async () => {
  const sim = await startSimulator({
    markets: 10,
    seed: 6,
    tickMs: 20,
    activityPerTick: 20,
    lifecycleRate: 0,
  });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl });
  try {
    const [a, b, fresh] = openMarkets(sim);
    t.activeTokens.publish(tokensOf([a, b]));
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.pool.connections[0]?.state === "open", 3000);
    t.activeTokens.publish(tokensOf([a, fresh]));
    const conn = c.pool.connections[0];
    assert.deepEqual(conn.sentOps, { subscribe: 1, unsubscribe: 1 });
    const freshIds = [...fresh.tokenIds];
    await until(
      async () =>
        (await t.db.sql`select 1 from trades where token_id = any(${freshIds})`).length > 0,
      5000,
    );
    await sleep(300);
    await c.stop();
    assert.equal(conn.reconnects, 0);
    assert.equal(c.pool.connections.length, 1);
    assert.equal(sim.control.connectionCount(), 0);
    // The socket keeps order: frames for the removed token sent before the venue took the
    // unsubscribe arrive before the first frame of the fresh token (however slowly), none after.
    const late = await t.db.sql`
      select 1 from trades where token_id = any(${[...b.tokenIds]}) and received_at >
        (select min(received_at) + interval '50 milliseconds' from trades
          where token_id = any(${freshIds}))`;
    assert.equal(late.length, 0);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

test("trades: database unreachable while 10,000 trades stream → all stored exactly once", async () => {
  const sim = await startSimulator({ markets: 50, seed: 7, tickMs: 60_000, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl, PMCOLLECT_QUEUE_MAX_ROWS: "2000" });
  const proxy = new PgProxy();
  proxy.open();
  const sql = postgres(testDatabaseUrlVia(proxy.port), {
    max: 4,
    connect_timeout: 2,
    onnotice: () => {},
    connection: { search_path: t.db.schema },
  });
  try {
    t.activeTokens.publish(tokensOf(openMarkets(sim)));
    const c = await startCollector(t.deps(sql));
    await until(() => c.pool.connections[0]?.state === "open", 3000);
    await sleep(200);
    await proxy.close();
    sim.control.load(true);
    await until(() => sim.control.sentTrades() >= 10_000, 10_000);
    sim.control.load(false);
    await until(() => !c.queue.databaseUp && c.queue.spillBytes > 0, 5000);
    await sleep(300);
    const sent = sim.control.sentTrades();
    proxy.open();
    await until(async () => (await countDuplicates(t.db.sql)).rows >= sent, 20_000);
    await c.stop();
    const d = await countDuplicates(t.db.sql);
    assert.equal(d.rows, sent);
    assert.equal(d.distinct, sent);
    assert.ok(c.queue.stats.spilledRows > 0 && c.queue.stats.replayedRows > 0);
    assert.equal(await c.queue.spillBytes, 0);
  } finally {
    await sql.end({ timeout: 1 });
    await proxy.close();
    await sim.close();
    await t.dispose();
  }
});

test("trades: identical genuine fills are both kept, a replay on a new stream is not duplicated", async () => {
  const token = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
  const market = "0x" + "ab".repeat(32);
  const fill = {
    event_type: "last_trade_price",
    asset_id: token,
    market,
    price: "0.52",
    size: "10",
    side: "BUY",
    fee_rate_bps: "0",
    timestamp: "1767225600000",
    transaction_hash: "0x" + "cd".repeat(32),
  };
  const book = {
    event_type: "book",
    asset_id: token,
    market,
    timestamp: "1767225600000",
    hash: "h",
    bids: [],
    asks: [],
  };
  let sessions = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    const session = ++sessions;
    socket.onmessage = (e) => {
      if (e.data === "PING") return socket.send("PONG");
      // Two identical fills of one transaction and a different one; the second session replays
      // the same frame (the venue does not, but a replay must not duplicate anything).
      socket.send(JSON.stringify([book, fill, fill, { ...fill, size: "3" }]));
      if (session === 1) setTimeout(() => socket.close(1011, "drop"), 50);
    };
    return response;
  });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: `ws://127.0.0.1:${server.addr.port}/ws/market`,
  });
  try {
    t.activeTokens.publish([{ tokenId: token, conditionId: market, marketId: "1" }]);
    const c = await startCollector(t.deps(t.db.sql));
    await until(
      () => c.pool.connections[0]?.reconnects === 1 && c.queue.stats.tradesInserted >= 3,
      3000,
    );
    await sleep(200);
    await c.stop();
    const rows = await t.db.sql<{ size: string; trade_key: string }[]>`
      select size::text, trade_key from trades order by trade_key`;
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.trade_key.split("#")[1]).sort(), ["0", "0", "1"]);
    assert.deepEqual(rows.map((r) => r.size).sort(), ["10", "10", "3"]);
  } finally {
    await server.shutdown();
    await t.dispose();
  }
});
