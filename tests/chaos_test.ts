/**
 * Chaos: the whole daemon (`main.ts run`) as a subprocess against the simulator and the real
 * PostgreSQL, hit by a SIGTERM with trades still queued, a SIGKILL, a collector that keeps
 * crashing, and a database outage (a TCP proxy in front of PostgreSQL closed and reopened).
 */
import { CRASH_MARGIN_MS } from "../collectors/_downtime_gap.ts";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "./_db.ts";
import {
  countRows,
  type Daemon,
  daemonEnv,
  freePort,
  metricValue,
  PgProxy,
  settle,
  simTradeLog,
  spawnDaemon,
  storedTrades,
  until,
  withPort,
} from "./_e2e_harness.ts";
import type { Simulator } from "../simulator/server.ts";
import { testWithin } from "./_time_limit.ts";
import { printText } from "../runtime/log.ts";

/** Bounds each test: a hang fails it instead of the whole run. */
const test = testWithin(120_000);

interface Bench {
  sim: Simulator;
  db: TestDatabase;
  dataDir: string;
  start(settings?: Record<string, string>, databaseUrl?: string): Daemon;
}

async function withBench(seed: number, fn: (b: Bench) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ markets: 20, seed, lifecycleRate: 0 });
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_chaos_" });
  const daemons: Daemon[] = [];
  try {
    await fn({
      sim,
      db,
      dataDir,
      start: (settings = {}, databaseUrl = db.url!) => {
        const d = spawnDaemon(
          daemonEnv({ databaseUrl, sim, dataDir, healthPort: freePort(), settings }),
        );
        daemons.push(d);
        return d;
      },
    });
  } catch (err) {
    // What the daemon said last is the only way to tell a hang from a slow machine.
    for (const d of daemons) printText("stderr", JSON.stringify(d.events.slice(-40)));
    throw err;
  } finally {
    for (const d of daemons) await d.stop("SIGKILL").catch(() => {});
    await sim.close();
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function spillBytes(dataDir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(`${dataDir}/spill`)) {
      n += (await Deno.stat(`${dataDir}/spill/${e.name}`)).size;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return n;
}

/** A recorded trades gap and which tokens it covers. */
interface TradeGap {
  readonly startMs: number;
  readonly endMs: number;
  readonly cause: string;
  covers(tokenId: string): boolean;
}

/**
 * The trades gaps. The one place that knows the gap ledger's shape: a row per token (`scope`
 * = the token), over every token (`scope` = "*"), or per connection outage with its tokens
 * listed in `detail.tokens`.
 */
async function tradeGaps(db: TestDatabase): Promise<TradeGap[]> {
  const rows = await db.sql<
    { start_at: Date; end_at: Date; cause: string; scope: string; tokens: string[] | null }[]
  >`select start_at, end_at, cause, scope, tokens from gaps where collector = 'trades'`;
  return rows.map((g) => {
    // A connection outage is one row listing its tokens (migration 0005); older rows name one.
    const tokens = new Set(g.tokens ?? []);
    return {
      startMs: g.start_at.getTime(),
      endMs: g.end_at.getTime(),
      cause: g.cause,
      covers: (tokenId: string) => g.scope === "*" || g.scope === tokenId || tokens.has(tokenId),
      toJSON: () => ({ start: g.start_at, end: g.end_at, cause: g.cause, scope: g.scope }),
    };
  });
}

async function assertNoDuplicates(db: TestDatabase): Promise<number> {
  const rows = await storedTrades(db.sql);
  assert.equal(new Set(rows.map((r) => r.tx_hash)).size, rows.length, "no trade stored twice");
  return rows.length;
}

test("chaos: SIGTERM with trades queued → exit 0 within the deadline, none lost after restart", () =>
  withBench(21, async ({ sim, db, dataDir, start }) => {
    // No timed flush during the run: everything received is still queued at the signal.
    const settings = { PMCOLLECT_FLUSH_MS: "600000", PMCOLLECT_SHUTDOWN_DEADLINE_S: "10" };
    const first = start(settings);
    await until(() => sim.control.sentTrades() >= 100, 20_000);
    sim.control.pause();
    await sleep(300); // frames already sent reach the daemon
    const sent = sim.control.sentTrades();
    assert.equal(await countRows(db.sql, "trades"), 0, "nothing flushed before the signal");
    const stopped = await first.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(stopped.ms < 10_000, `exited after ${Math.round(stopped.ms)} ms`);
    const stored = await countRows(db.sql, "trades");
    assert.ok(stored === sent || (await spillBytes(dataDir)) > 0, `${stored} of ${sent} stored`);

    // A restart replays whatever was spilled; nothing is lost or doubled.
    const second = start();
    await second.waitFor((e) => e.event === "collecting", 20_000);
    await until(async () => (await spillBytes(dataDir)) === 0, 20_000);
    await until(async () => (await countRows(db.sql, "trades")) >= sent, 10_000);
    const again = await second.stop("SIGTERM");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await assertNoDuplicates(db), sent, "every trade sent before the signal");
  }));

test("chaos: SIGKILL and restart → continues, no duplicates, the outage recorded as a gap", () =>
  withBench(22, async ({ sim, db, start }) => {
    const settings = { PMCOLLECT_FLUSH_MS: "1000" };
    const first = start(settings);
    await first.waitFor((e) => e.event === "collecting", 20_000);
    await until(async () => (await countRows(db.sql, "trades")) >= 50, 20_000);
    await sleep(500);
    const killStart = Date.now();
    const killed = await first.stop("SIGKILL");
    assert.equal(killed.code, 137);
    // The venue goes quiet while no one listens, so the restarted daemon's subscription delay
    // does not count as loss; what the killed process held in memory is the loss to account for.
    sim.control.pause();
    const second = start(settings);
    await until(() => sim.control.connectionCount() > 0, 20_000);
    const listeningAt = Date.now();
    await sleep(1000); // the subscription is answered
    sim.control.resume();
    const resumedAt = Date.now();
    await until(
      async () =>
        (await db.sql`select 1 from trades where ts > ${new Date(resumedAt)}`).length >= 50,
      20_000,
    );
    sim.control.pause();
    await settle(() => countRows(db.sql, "trades"), { quietMs: 2_500, maxMs: 15_000 });
    const stopped = await second.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);

    await assertNoDuplicates(db);
    const rows = await storedTrades(db.sql);
    const log = await simTradeLog(sim);
    for (const r of rows) assert.ok(log.has(r.tx_hash), `stored trade ${r.tx_hash} is real`);
    assert.ok(rows.some((r) => r.ts.getTime() > resumedAt), "collection continued after restart");

    // The actual downtime: from the kill until the restarted daemon was connected again.
    // Tolerance: CRASH_MARGIN_MS (the gap starts that long before the newest stored trade: the
    // killed process may hold unflushed trades older than it, delivered out of order), plus
    // PMCOLLECT_FLUSH_MS (1 s of trades held unflushed) plus 1 s (the Data API stamps whole
    // seconds).
    const downtimeMs = listeningAt - killStart;
    const toleranceMs = CRASH_MARGIN_MS + 2_000;
    const gaps = await tradeGaps(db);
    const outage = gaps.filter((g) => g.startMs <= killStart && g.endMs >= killStart);
    assert.ok(outage.length > 0, `a trades gap covers the kill: ${JSON.stringify(gaps)}`);
    for (const g of outage) {
      assert.ok(
        g.endMs - g.startMs <= downtimeMs + toleranceMs,
        `gap ${JSON.stringify(g)} is ${g.endMs - g.startMs} ms wide, downtime ${downtimeMs} ms`,
      );
    }
    // Every trade the venue made while the daemon was collecting is stored (exactly once, above)
    // or inside a recorded gap no wider than the downtime plus the tolerance.
    const storedTx = new Set(rows.map((r) => r.tx_hash));
    const lo = Math.min(...rows.map((r) => r.ts.getTime()));
    const hi = Math.max(...rows.map((r) => r.ts.getTime()));
    for (const [tx, t] of log) {
      if (storedTx.has(tx) || t.timestampS * 1000 < lo || t.timestampS * 1000 > hi) continue;
      const covering = gaps.filter((g) =>
        g.covers(t.tokenId) && Math.floor(g.startMs / 1000) - 1 <= t.timestampS &&
        t.timestampS <= g.endMs / 1000 + 1
      );
      assert.ok(covering.length > 0, `trade ${tx} at ${t.timestampS} neither stored nor in a gap`);
      assert.ok(
        covering.some((g) => g.endMs - g.startMs <= downtimeMs + toleranceMs),
        `trade ${tx} is only inside gaps wider than the downtime: ${JSON.stringify(covering)}`,
      );
    }
  }));

test("chaos: a collector that keeps crashing is restarted with backoff, the others keep writing", () =>
  withBench(23, async ({ sim, db, start }) => {
    const daemon = start();
    await daemon.waitFor((e) => e.event === "collecting", 20_000);
    await until(async () => (await countRows(db.sql, "book_snapshots")) > 0, 20_000);
    await until(async () => (await countRows(db.sql, "trades")) > 0, 20_000);
    // Gamma answers 403 (not retryable): the resolution tracker treats that as fatal and
    // crashes; markets and prices record failed cycles; books (CLOB) and trades are untouched.
    const books0 = await countRows(db.sql, "book_snapshots");
    const trades0 = await countRows(db.sql, "trades");
    sim.control.failFor(8_000, { status: 403, family: "gamma" });
    const crashes = () =>
      daemon.events.filter((e) => e.event === "task_crashed" && e.task === "resolutions");
    await until(() => crashes().length >= 3, 20_000);
    const metrics = await daemon.get("/metrics");
    assert.ok((metricValue(metrics.body, 'pmcollect_task_restarts{task="resolutions"}') ?? 0) >= 3);
    const backoffs = crashes().map((e) => e.retryInMs as number);
    for (let i = 1; i < backoffs.length; i++) {
      assert.ok(backoffs[i]! > backoffs[i - 1]!, `backoff grows: ${backoffs.join(", ")}`);
    }
    assert.ok((await countRows(db.sql, "book_snapshots")) > books0, "books kept writing");
    assert.ok((await countRows(db.sql, "trades")) > trades0, "trades kept writing");
    for (const task of ["markets", "prices", "books", "trades"]) {
      assert.equal(metricValue(metrics.body, `pmcollect_task_restarts{task="${task}"}`), 0, task);
    }
    // Once Gamma answers again the tracker runs clean cycles.
    await until(
      async () =>
        (await db.sql`select 1 from collector_runs where collector = 'resolutions'
        and status = 'ok' and started_at > now() - interval '3 seconds'`).length > 0,
      30_000,
    );
    await until(async () => (await daemon.get("/healthz")).status === 200, 30_000);
    const stopped = await daemon.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
  }));

test("chaos: the database goes away for 5 s → the same process recovers, no trade lost", () =>
  withBench(24, async ({ sim, db, dataDir, start }) => {
    const proxy = new PgProxy();
    proxy.open();
    try {
      const daemon = start({}, withPort(db.url!, proxy.port));
      await daemon.waitFor((e) => e.event === "collecting", 20_000);
      await until(async () => (await countRows(db.sql, "trades")) > 50, 20_000);
      await until(async () => (await countRows(db.sql, "price_snapshots")) > 0, 20_000);
      await proxy.close();
      const downAt = new Date();
      await sleep(5_000);
      proxy.open();
      const upAt = new Date();
      // Rows keep arriving in every time series, written by the same process.
      await until(
        async () => (await db.sql`select 1 from price_snapshots where ts > ${upAt}`).length > 0,
        20_000,
      );
      await until(
        async () => (await db.sql`select 1 from book_snapshots where ts > ${upAt}`).length > 0,
        20_000,
      );
      await until(
        async () => (await db.sql`select 1 from trades where received_at > ${upAt}`).length > 0,
        20_000,
      );
      sim.control.pause();
      const sent = sim.control.sentTrades();
      await until(async () => (await countRows(db.sql, "trades")) >= sent, 20_000);
      assert.equal(await assertNoDuplicates(db), sent, "trades streamed during the outage kept");
      // The spill file goes once its rows are stored: shortly after they are visible.
      await until(async () => (await spillBytes(dataDir)) === 0, 10_000).catch(() => {});
      assert.equal(await spillBytes(dataDir), 0, "the spill was replayed");
      assert.equal(daemon.events.filter((e) => e.event === "collecting").length, 1);
      assert.ok(
        (await db.sql`select 1 from trades where received_at between ${downAt} and ${upAt}`)
          .length > 0,
        "trades received while the database was away were stored later",
      );
      await until(async () => (await daemon.get("/healthz")).status === 200, 20_000);
      // Every prices slot inside the outage left a collector_runs row and, when it failed, a
      // gap: the bookkeeping waited in the outbox instead of crashing the task.
      // The outbox writes them once the database answers: on a loaded machine, a little later.
      const outageSlots = () =>
        db.sql<{ started_at: Date; status: string; gap: boolean }[]>`
          select r.started_at, r.status, exists (select 1 from gaps g where g.collector = 'prices'
                 and g.start_at = r.started_at) as gap
          from collector_runs r where r.collector = 'prices'
          and r.started_at >= ${downAt} and r.started_at < ${upAt}`;
      await until(async () => (await outageSlots()).length >= 2, 20_000).catch(() => {});
      const slots = await outageSlots();
      assert.ok(slots.length >= 2, `runs recorded for the outage: ${JSON.stringify(slots)}`);
      for (const slot of slots.filter((r) => r.status === "failed")) {
        assert.ok(slot.gap, `a gap for ${slot.started_at.toISOString()}`);
      }
      const crashed = daemon.events.filter((e) =>
        e.event === "task_crashed" && e.task !== "trades"
      );
      assert.deepEqual(crashed, [], "no REST collector crashed over the outage");
      const stopped = await daemon.stop("SIGTERM");
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      await proxy.close();
    }
  }));
