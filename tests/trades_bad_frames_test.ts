/**
 * The trades collector end to end (local websocket server, real PostgreSQL, real supervisor
 * and /healthz) fed values no table can hold and oversized malformed frames (issue 12): the
 * good trades are stored, the bad ones end in `rejects` (a bounded number of rows per frame),
 * and health stays OK.
 */
import assert from "node:assert/strict";
import { runTradesCollector } from "../collectors/trades.ts";
import { serveHealth } from "../runtime/health.ts";
import { silentLogger } from "../runtime/log.ts";
import { runSupervisor, type TaskHealth } from "../runtime/supervisor.ts";
import { setup, until } from "./_trades_harness.ts";

const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const MARKET = "0x" + "ab".repeat(32);
const TRADE = {
  event_type: "last_trade_price",
  asset_id: TOKEN,
  market: MARKET,
  price: "0.52",
  size: "10",
  side: "BUY",
  fee_rate_bps: "0",
  timestamp: "1767225600000",
  transaction_hash: "0x" + "cd".repeat(32),
};
const BOOK = {
  event_type: "book",
  asset_id: TOKEN,
  market: MARKET,
  timestamp: "1767225600000",
  hash: "h",
  bids: [],
  asks: [],
};

type Sql = Awaited<ReturnType<typeof setup>>["db"]["sql"];

/** A websocket server that answers the first subscribe with `frames`, then only PONGs. */
function serveFrames(frames: readonly string[]) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    let sent = false;
    socket.onmessage = (e) => {
      if (e.data === "PING") return socket.send("PONG");
      if (sent) return;
      sent = true;
      for (const f of frames) socket.send(f);
    };
    return response;
  });
}

/** What a run left: the /healthz status and task, and the database (call `dispose`). */
interface Ran {
  status: number;
  task: TaskHealth;
  sql: Sql;
  dispose: () => Promise<void>;
}

/** Runs the collector under a supervisor with /healthz until `check` holds; returns health. */
async function runCollector(
  frames: readonly string[],
  env: Record<string, string>,
  check: (sql: Sql) => Promise<boolean>,
): Promise<Ran> {
  const server = serveFrames(frames);
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: `ws://127.0.0.1:${server.addr.port}/ws/market`,
    PMCOLLECT_QUOTES_INTERVAL_MS: "50",
    ...env,
  });
  const root = new AbortController();
  try {
    t.activeTokens.publish([{ tokenId: TOKEN, conditionId: MARKET, marketId: "1" }]);
    const supervisor = runSupervisor([{
      name: "trades",
      run: (signal, context) => runTradesCollector({ ...t.deps(t.db.sql), context }, signal),
    }], { signal: root.signal, log: silentLogger() });
    const health = serveHealth(supervisor, { port: 0, signal: root.signal, log: silentLogger() });
    try {
      await until(() => check(t.db.sql), 10_000);
      // One more report after everything is stored.
      const reported = supervisor.health()[0]!.report;
      await until(() => supervisor.health()[0]!.report !== reported, 2000);
      const response = await fetch(`http://127.0.0.1:${health.port}/healthz`);
      const body = await response.json();
      return {
        status: response.status,
        task: body.tasks[0],
        sql: t.db.sql,
        dispose: () => t.dispose(),
      };
    } finally {
      root.abort();
      await Promise.all([supervisor.done, health.done]);
    }
  } catch (err) {
    await t.dispose();
    throw err;
  } finally {
    await server.shutdown();
  }
}

async function counts(sql: Sql) {
  const [r] = await sql<{ trades: number; rejects: number; longest: number }[]>`
    select (select count(*)::int from trades) as trades,
           (select count(*)::int from rejects where source = 'ws:market') as rejects,
           (select coalesce(max(length(raw)), 0)::int from rejects) as longest`;
  return r!;
}

Deno.test("trades: a NUL tx hash and a 200,000-digit size among good trades → good stored, bad rejected, /healthz 200", async () => {
  const frame = JSON.stringify([
    { ...TRADE, size: "1" },
    { ...TRADE, size: "2", transaction_hash: "0xcd\u0000ef" },
    { ...TRADE, size: "9".repeat(200_000) },
    { ...TRADE, size: "3" },
  ]);
  const r = await runCollector([JSON.stringify([BOOK]), frame], {}, async (sql) => {
    const c = await counts(sql);
    return c.trades === 2 && c.rejects === 2;
  });
  try {
    assert.equal(r.status, 200);
    assert.equal(r.task.report.databaseUp, true);
    assert.equal(r.task.report.unhealthy, null);
    const sizes = await r.sql<{ size: string }[]>`select size::text from trades order by size`;
    assert.deepEqual(sizes.map((s) => s.size), ["1", "3"]);
    const reasons = await r.sql<{ reason: string }[]>`select reason from rejects order by reason`;
    assert.match(reasons[0]!.reason, /^size: invalid value/);
    assert.match(reasons[1]!.reason, /^transaction_hash: invalid value/);
    assert.ok((await counts(r.sql)).longest <= 2100);
  } finally {
    await r.dispose();
  }
});

Deno.test("trades: an oversized frame and a frame of 20,000 malformed elements store 11 rejects rows", async () => {
  const malformed = (n: number, from = 0) =>
    JSON.stringify(
      Array.from({ length: n }, (_, i) => ({ event_type: "last_trade_price", n: from + i })),
    );
  const huge = malformed(60_000, 1_000_000); // ~2.4 MB, over the 1 MB limit
  const many = malformed(20_000); // ~0.8 MB, under it
  assert.ok(huge.length > 1_000_000 && many.length < 1_000_000);
  const good = JSON.stringify([{ ...TRADE, size: "4" }]);
  const r = await runCollector(
    [JSON.stringify([BOOK]), huge, many, good],
    { PMCOLLECT_WS_MAX_FRAME_BYTES: "1000000" },
    async (sql) => (await counts(sql)).trades === 1 && (await counts(sql)).rejects >= 11,
  );
  try {
    const c = await counts(r.sql);
    assert.equal(c.rejects, 11);
    assert.ok(c.longest <= 2100, `raw of ${c.longest} chars`);
    assert.equal(r.task.report.rejects, 1 + 20_000);
    assert.equal(r.task.report.rejectsOmitted, 20_000 - 10);
    assert.equal(r.status, 200);
    const [tooLarge] = await r.sql<{ reason: string }[]>`
      select reason from rejects where path = 'frame'`;
    assert.match(tooLarge!.reason, /^frame too large: \d+ characters \(limit 1000000\)/);
  } finally {
    await r.dispose();
  }
});
