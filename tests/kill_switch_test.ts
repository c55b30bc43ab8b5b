/**
 * The kill switch (execution/kill_switch.ts) against the real PostgreSQL, each test in its own
 * schema, with the paper broker running live (its own timers, 5 ms latency): every door stops
 * everything (open orders canceled, the next intent refused, the risk engine refusing) well
 * within a second, measured here only as an upper bound; the halt outlives the process until a
 * person resumes; `/healthz` and `/metrics` say so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrate } from "../db/migrate.ts";
import { openDatabase, type Sql } from "../db/client.ts";
import { parseDec } from "../edge/decimal.ts";
import type { Broker, OrderRequest } from "../execution/broker.ts";
import { createKillSwitch, KILL_FILE } from "../execution/kill_switch.ts";
import { createLedger, type Ledger, placeOrder, TradingHaltedError } from "../execution/ledger.ts";
import { INTENT_JOURNAL_FILE } from "../execution/intent_journal.ts";
import { haltedBy } from "../execution/_live_ledger.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { RiskEngine, riskLimits } from "../execution/risk.ts";
import { haltTrading, resumeTrading, tradingState } from "../execution/trading_state.ts";
import { loadConfig } from "../runtime/config.ts";
import { serveHealth } from "../runtime/health.ts";
import { silentLogger } from "../runtime/log.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";
import { orderRequest } from "./_order_request.ts";

const log = silentLogger();
const BOUND_MS = 1000;
let seq = 0;

/** One trading process: a paper broker with a book, its ledger, risk engine and kill switch. */
function startTrader(
  sql: Sql,
  options: {
    dataDir?: string | null;
    stale?: () => string | null;
    /** While true the broker's look-ups and cancels never answer (until their signal aborts). */
    dead?: { value: boolean };
    /** Intents through this journal file, halted by the engine (as live paths by default). */
    journal?: string;
  } = {},
) {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const broker = new PaperBroker({
    now: Date.now,
    latencyMs: 5,
    cash: "1000",
    feeOf: () => ({ rate: "0", exponent: 1, takerOnly: true }),
    setTimer: (ms, run) => {
      const id = setTimeout(() => {
        timers.delete(id);
        run();
      }, ms);
      timers.add(id);
    },
  });
  broker.onBookEvent({
    kind: "book",
    tokenId: "yes",
    exchangeTs: Date.now(),
    receivedAt: Date.now(),
    connection: 1,
    sequence: seq++,
    bids: [["0.30", "100"]],
    asks: [["0.60", "100"]],
    tickSize: "0.01",
  });
  // The broker's events are not booked into the ledger here: placeOrder books each ack, and
  // what the kill switch does is read from the broker, the engine and trading_state.
  const risk = new RiskEngine(riskLimits(loadConfig({}).risk));
  const ledger = options.journal === undefined
    ? createLedger(sql, { log })
    : createLedger(sql, { log, journal: { path: options.journal, halted: haltedBy(() => risk) } });
  const stopRisk = broker.onEvent((e) => risk.applyBrokerEvent(e));
  const dead = options.dead;
  const silent = <T>(answer: () => Promise<T>) => (signal?: AbortSignal): Promise<T> =>
    dead?.value === true
      ? new Promise<T>((_, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true })
      )
      : answer();
  const watched: Broker = {
    submit: (o, signal) => broker.submit(o, signal),
    cancel: (ids, signal) => silent(() => broker.cancel(ids))(signal),
    cancelAll: silent(() => broker.cancelAll()),
    openOrders: silent(() => broker.openOrders()),
    orderByClientId: (id) => broker.orderByClientId(id),
    positions: () => broker.positions(),
    onEvent: (listener) => broker.onEvent(listener),
  };
  const killSwitch = createKillSwitch({
    sql,
    broker: watched,
    risk,
    log,
    dataDir: options.dataDir ?? null,
    stale: options.stale,
  }, {
    intervalMs: 20,
    probeMs: 30,
    probeTimeoutMs: 30,
    cancelTimeoutMs: 500,
  });
  return {
    broker,
    ledger,
    risk,
    killSwitch,
    async stop() {
      stopRisk();
      for (const id of timers) clearTimeout(id);
      await ledger.intents.close();
    },
  };
}

/** A GTC bid at 0.40 of `size` shares of "yes". */
const restingBid = (clientOrderId: string, size: string): OrderRequest =>
  orderRequest(clientOrderId, { tokenId: "yes", orderType: "GTC", price: "0.4", size });

/** A resting GTC bid at 0.40, through the risk engine and the ledger. */
async function rest(trader: ReturnType<typeof startTrader>): Promise<string> {
  const request = restingBid(`k-${seq++}`, "10");
  const verdict = trader.risk.admit(
    { ...request, marketId: "m1", groupId: null, price: parseDec("0.4"), size: parseDec("10") },
    { now: Date.now(), bookPrice: parseDec("0.4"), bookAt: Date.now(), edge: parseDec("0.01") },
  );
  if (!verdict.ok) throw new Error(`risk refused: ${verdict.reason}`);
  const outcome = await placeOrder(trader.ledger, trader.broker, request);
  assert.equal(outcome.kind, "acked");
  return request.clientOrderId;
}

async function refused(ledger: Ledger, broker: PaperBroker): Promise<void> {
  await assert.rejects(
    placeOrder(ledger, broker, restingBid(`k-${seq++}`, "1")),
    TradingHaltedError,
  );
}

/** Resolves with the ms it took `condition` to hold; fails past `BOUND_MS`. */
async function within(condition: () => Promise<boolean> | boolean, what: string): Promise<number> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > BOUND_MS) assert.fail(`${what} not within ${BOUND_MS} ms`);
    await sleep(5);
  }
  return performance.now() - start;
}

async function withTestSchema(
  fn: (db: Awaited<ReturnType<typeof createTestDatabase>>) => Promise<void>,
) {
  const db = await createTestDatabase("server");
  try {
    await migrate(db.sql, { log, timescale: "off" });
    await fn(db);
  } finally {
    await db.dispose();
  }
}

Deno.test("kill() cancels every open order, halts and refuses the next order within a second", async () => {
  await withTestSchema(async (db) => {
    const trader = startTrader(db.sql);
    try {
      for (let i = 0; i < 5; i++) await rest(trader);
      assert.equal((await trader.broker.openOrders()).length, 5);
      const started = performance.now();
      const outcome = await trader.killSwitch.kill({ reason: "test kill", by: "test" });
      const elapsed = performance.now() - started;
      assert.equal(outcome.canceled, 5);
      assert.equal(outcome.persisted, true);
      assert.equal(outcome.cancelError, null);
      assert.deepEqual(await trader.broker.openOrders(), []);
      assert.ok(elapsed < BOUND_MS, `kill took ${elapsed} ms`);
      const state = await tradingState(db.sql);
      assert.equal(state.mode, "halted");
      assert.equal(state.reason, "test kill");
      assert.equal(trader.risk.mode, "halted");
      await refused(trader.ledger, trader.broker);
      const verdict = trader.risk.check(
        {
          clientOrderId: "x",
          tokenId: "yes",
          marketId: "m1",
          groupId: null,
          side: "BUY",
          price: parseDec("0.4"),
          size: parseDec("1"),
        },
        { now: Date.now(), bookPrice: parseDec("0.4"), bookAt: Date.now(), edge: parseDec("1") },
      );
      assert.deepEqual(verdict, {
        ok: false,
        limit: "mode",
        reason: "trading is halted (test kill)",
      });
      const changes = await db.sql`select mode, reason, changed_by from trading_state_changes`;
      assert.deepEqual([...changes], [{ mode: "halted", reason: "test kill", changed_by: "test" }]);
    } finally {
      await trader.stop();
    }
  });
});

for (const journal of [false, true]) {
  Deno.test(`the running task enforces the KILL file, POST /kill and a halt another process writes${journal ? " (intents through the journal)" : ""}`, async () => {
    await withTestSchema(async (db) => {
      const dataDir = await Deno.makeTempDir();
      const trader = startTrader(db.sql, {
        dataDir,
        ...(journal ? { journal: join(dataDir, INTENT_JOURNAL_FILE) } : {}),
      });
      const controller = new AbortController();
      const supervisor = runSupervisor([{ name: "risk", run: trader.killSwitch.run }], {
        signal: controller.signal,
        log,
      });
      const server = serveHealth(supervisor, {
        port: 0,
        signal: controller.signal,
        log,
        kill: trader.killSwitch.kill,
      });
      const open = async () => (await trader.broker.openOrders()).length;
      try {
        // 1. The KILL file: its text is the reason; it is removed once the halt is stored.
        for (let i = 0; i < 3; i++) await rest(trader);
        await Deno.writeTextFile(join(dataDir, KILL_FILE), "operator: fat finger\n");
        await within(async () => (await open()) === 0, "KILL file: orders canceled");
        await within(async () => (await tradingState(db.sql)).halted, "KILL file: halt stored");
        assert.equal((await tradingState(db.sql)).reason, "operator: fat finger");
        await within(async () => {
          try {
            await Deno.stat(join(dataDir, KILL_FILE));
            return false;
          } catch {
            return true;
          }
        }, "KILL file removed");
        await refused(trader.ledger, trader.broker);
        // /healthz is degraded with the reason, /metrics carries the mode (2 = halted).
        await within(async () => {
          const health = await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json();
          return health.status === "degraded" &&
            health.reasons.some((r: string) => r.includes("trading halted: operator: fat finger"));
        }, "/healthz reporting the halt");
        const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
        assert.match(metrics, /pmcollect_trading_mode\{task="risk"\} 2/);

        // 2. A person resumes: the task follows and orders go through again.
        assert.ok(await resumeTrading(db.sql, { by: "alice", reason: "checked" }));
        await within(() => trader.risk.mode === "active", "resume followed");
        for (let i = 0; i < 2; i++) await rest(trader);

        // 3. POST /kill.
        const response = await fetch(`http://127.0.0.1:${server.port}/kill`, {
          method: "POST",
          body: JSON.stringify({ reason: "http kill", by: "bob" }),
        });
        const body = await response.json();
        assert.equal(response.status, 200);
        assert.equal(body.canceled, 2);
        assert.equal(await open(), 0);
        assert.equal((await tradingState(db.sql)).reason, "http kill");

        // 4. A halt written by another process (what `pmcollect kill` does).
        assert.ok(await resumeTrading(db.sql, { by: "alice" }));
        await within(() => trader.risk.mode === "active", "second resume followed");
        for (let i = 0; i < 2; i++) await rest(trader);
        const other = await openDatabase(
          { url: TEST_DATABASE_URL, dataDir: "", schema: db.schema, poolSize: 1 },
          { log, signal: controller.signal },
        );
        try {
          await haltTrading(other.sql, { reason: "pmcollect kill", by: "cli" });
        } finally {
          await other.close();
        }
        const took = await within(async () => (await open()) === 0, "a stored halt enforced");
        assert.ok(took < BOUND_MS);
        assert.equal(trader.risk.mode, "halted");
        await refused(trader.ledger, trader.broker);
      } finally {
        controller.abort();
        await server.done;
        await supervisor.done;
        await trader.stop();
        await Deno.remove(dataDir, { recursive: true });
      }
    });
  });
}

Deno.test("a kill outlives the process: a restarted one starts halted until a person resumes", async () => {
  await withTestSchema(async (db) => {
    const first = await openDatabase(
      { url: TEST_DATABASE_URL, dataDir: "", schema: db.schema, poolSize: 2 },
      { log, signal: new AbortController().signal },
    );
    const before = startTrader(first.sql);
    await rest(before);
    await before.killSwitch.kill({ reason: "before restart", by: "test" });
    await before.stop();
    await first.close();

    // The next process: a new connection, broker, engine (starting active) and task.
    const after = startTrader(db.sql);
    const controller = new AbortController();
    const task = after.killSwitch.run(controller.signal);
    try {
      await within(() => after.risk.mode === "halted", "restarted engine halted");
      await refused(after.ledger, after.broker);
      const state = await tradingState(db.sql);
      assert.equal(state.reason, "before restart");
      assert.ok(await resumeTrading(db.sql, { by: "alice", reason: "restart checked" }));
      await within(() => after.risk.mode === "active", "resume followed after restart");
      await rest(after);
      const changes = await db.sql`select mode, changed_by from trading_state_changes order by id`;
      assert.deepEqual(changes.map((c) => `${c.mode}:${c.changed_by}`), [
        "halted:test",
        "active:alice",
      ]);
    } finally {
      controller.abort();
      await task;
      await after.stop();
    }
  });
});

Deno.test("stale data, and a broker that stops answering, kill automatically", async () => {
  await withTestSchema(async (db) => {
    let staleReason: string | null = null;
    const dead = { value: false };
    const trader = startTrader(db.sql, { stale: () => staleReason, dead });
    const controller = new AbortController();
    const task = trader.killSwitch.run(controller.signal);
    try {
      await rest(trader);
      staleReason = "books silent for 12 s";
      await within(async () => (await trader.broker.openOrders()).length === 0, "stale kill");
      // The cancel and the write go side by side: the write may land a moment later.
      await within(async () => (await tradingState(db.sql)).halted, "stale halt stored");
      assert.equal((await tradingState(db.sql)).reason, "stale data: books silent for 12 s");
      staleReason = null;
      assert.ok(await resumeTrading(db.sql, { by: "alice" }));
      await within(() => trader.risk.mode === "active", "resume followed");

      dead.value = true;
      // Three missed probes (30 ms apart, 30 ms each): well within a second.
      await within(() => trader.risk.mode === "halted", "broker-silent kill");
      await within(async () => (await tradingState(db.sql)).halted, "broker-silent halt stored");
      assert.match(
        (await tradingState(db.sql)).reason ?? "",
        /^broker stopped answering: 3 probes missed/,
      );
      await refused(trader.ledger, trader.broker);
    } finally {
      dead.value = false;
      controller.abort();
      await task;
      await trader.stop();
    }
  });
});
