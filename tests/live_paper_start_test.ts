/**
 * Live paper's start and its stale-feed kill (execution/live_paper.ts), each test in its own
 * schema of the real PostgreSQL: after a stop, the ledger is the paper account's only record, so
 * a resting order is closed as canceled, a pending intent becomes unsent, and the new paper
 * broker holds the ledger's cash and shares (the reconciliation is clean); a feed that delivered
 * frames and then went silent past the scanner's book age kills, a feed that never spoke does not;
 * a `KILL` file in the data directory kills.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrate } from "../db/migrate.ts";
import type { OrderRequest } from "../execution/broker.ts";
import { createLedger, placeOrder, recordIntent } from "../execution/ledger.ts";
import { KILL_FILE } from "../execution/kill_switch.ts";
import { startLivePaper } from "../execution/live_paper.ts";
import { bookBrokerEvents } from "../execution/recover.ts";
import { tradingState } from "../execution/trading_state.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet, type ScanRelation } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { createTestDatabase } from "./_db.ts";
import { until } from "./_trades_harness.ts";

const log = silentLogger();
const RELATION: ScanRelation = {
  key: "g",
  kind: "group",
  complete: true,
  convertFeeBips: 0,
  markets: [{
    marketId: "m1",
    conditionId: "0x01",
    yesTokenId: "yes",
    noTokenId: "no",
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: null,
  }],
};

function book(receivedAt: number): BookEvent {
  return {
    kind: "book",
    tokenId: "yes",
    exchangeTs: receivedAt,
    receivedAt,
    connection: 1,
    sequence: 0,
    bids: [["0.30", "100"]],
    asks: [["0.60", "100"]],
    tickSize: "0.01",
  };
}

function order(id: string, o: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId: id,
    tokenId: "yes",
    side: "BUY",
    orderType: "FAK",
    price: "0.6",
    size: "10",
    postOnly: false,
    expiration: null,
    ...o,
  };
}

async function fixture(env: Record<string, string> = {}) {
  const db = await createTestDatabase("server");
  await migrate(db.sql, { log, timescale: "off" });
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_live_paper_" });
  const config = loadConfig({
    DATABASE_URL: db.url!,
    PMCOLLECT_DATA_DIR: dataDir,
    PMCOLLECT_EXECUTOR: "paper",
    PMCOLLECT_EXECUTOR_LATENCY_MS: "0",
    PMCOLLECT_EXECUTOR_CASH: "1000",
    ...env,
  });
  return {
    db,
    config,
    dispose: async () => {
      await db.dispose();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test("startLivePaper() after a stop: a resting order canceled, a pending intent unsent, the broker seeded from the ledger", async () => {
  const f = await fixture();
  const sql = f.db.sql;
  const signal = new AbortController().signal;
  try {
    const first = await startLivePaper(
      { config: f.config, sql, log, feed: createScannerFeed() },
      signal,
    );
    first.tap.attached({ books: new L2Books(), set: new RelationSet([RELATION]) });
    first.broker.onBookEvent(book(Date.now()));
    const ledger = createLedger(sql, { log });
    const stop = bookBrokerEvents(ledger, first.broker);
    // 10 bought at 0.60; 5 bid at 0.30, resting; an intent recorded and never sent.
    assert.equal((await placeOrder(ledger, first.broker, order("a", {}))).kind, "acked");
    const resting = await placeOrder(
      ledger,
      first.broker,
      order("b", {
        orderType: "GTC",
        price: "0.3",
        size: "5",
      }),
    );
    assert.equal(resting.kind, "acked");
    await recordIntent(ledger, order("c", {}));
    await until(async () => (await sql`select 1 from fills`).length === 1, 2000);
    stop();

    const second = await startLivePaper(
      { config: f.config, sql, log, feed: createScannerFeed() },
      signal,
    );
    const [b] = await sql<{ status: string }[]>`
      select status from orders where client_order_id = 'b'`;
    assert.equal(b!.status, "CANCELED");
    const [event] = await sql<{ source: string }[]>`
      select source from order_events e join orders o using (order_id)
      where o.client_order_id = 'b' and e.status = 'CANCELED'`;
    assert.equal(event!.source, "paper_restart");
    const [c] = await sql<{ state: string }[]>`
      select state from intents where client_order_id = 'c'`;
    assert.equal(c!.state, "unsent");
    assert.deepEqual(await second.broker.positions(), [{ tokenId: "yes", size: "10" }]);
    assert.equal(second.broker.cash(), "994");
    const runs = await sql<{ ok: boolean }[]>`select ok from reconciliations order by id`;
    assert.deepEqual(runs.map((r) => r.ok), [true, true]);
    assert.equal((await tradingState(sql)).mode, "active");
    assert.equal(second.risk.mode, "active");
    // The holding counts against the limits at its cost.
    assert.equal(second.risk.snapshot(Date.now()).totalNotional, 600_000_000n);
    // The deposit is made once.
    const deposits = await sql`select 1 from cash where reason = 'deposit'`;
    assert.equal(deposits.length, 1);
  } finally {
    await f.dispose();
  }
});

Deno.test("live paper's kill switch: a feed silent past the scanner's book age kills; one that never spoke does not", async () => {
  const f = await fixture({ PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: "300" });
  const sql = f.db.sql;
  const controller = new AbortController();
  const feed = createScannerFeed();
  try {
    const paper = await startLivePaper({ config: f.config, sql, log, feed }, controller.signal);
    paper.tap.attached({ books: new L2Books(), set: new RelationSet([RELATION]) });
    feed.attach({ watches: () => true, push: () => {}, resubscribed: () => {} }, []);
    const supervisor = runSupervisor(paper.tasks, { signal: controller.signal, log });
    try {
      await sleep(700);
      assert.equal((await tradingState(sql)).mode, "active", "no frame yet: nothing is stale");
      const spoke = Date.now();
      feed.push([book(spoke)]);
      await until(async () => (await tradingState(sql)).mode === "halted", 2000);
      const after = Date.now() - spoke;
      assert.ok(after > 300 && after < 1300, `halted ${after} ms after the last frame`);
      const state = await tradingState(sql);
      assert.match(state.reason ?? "", /^stale data: the scanner's feed has delivered nothing/);
      assert.equal(paper.risk.mode, "halted");
    } finally {
      controller.abort();
      await supervisor.done;
    }
  } finally {
    await f.dispose();
  }
});

Deno.test("live paper's kill switch: a KILL file in the data directory halts, with its text as the reason", async () => {
  const f = await fixture();
  const sql = f.db.sql;
  const controller = new AbortController();
  try {
    const paper = await startLivePaper(
      { config: f.config, sql, log, feed: createScannerFeed() },
      controller.signal,
    );
    const supervisor = runSupervisor(paper.tasks, { signal: controller.signal, log });
    try {
      const path = join(f.config.dataDir, KILL_FILE);
      const wrote = Date.now();
      await Deno.writeTextFile(path, "operator: stop paper\n");
      await until(async () => (await tradingState(sql)).mode === "halted", 2000);
      assert.ok(Date.now() - wrote < 1000, `halted ${Date.now() - wrote} ms after the file`);
      assert.equal((await tradingState(sql)).reason, "operator: stop paper");
      assert.equal(paper.risk.mode, "halted");
      await until(async () => !(await exists(path)), 2000);
    } finally {
      controller.abort();
      await supervisor.done;
    }
  } finally {
    await f.dispose();
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
