/**
 * The ledger against the real PostgreSQL (own schema each): idempotent fills, recovery after a
 * crash between intent and acknowledgement (looked up, never re-sent: the broker's submits are
 * counted) and between acknowledgement and fill (booked once), and a reconciliation difference
 * that stops new orders until trading is resumed. A "crash" here is a broker call that throws
 * and a fresh ledger over the same database (the killed process's memory is gone); the real
 * `kill -9` is in ledger_kill_test.ts.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import type { Sql } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import type { OrderRequest } from "../execution/broker.ts";
import {
  createLedger,
  DuplicateIntentError,
  type Ledger,
  placeOrder,
  recordFill,
  recordIntent,
  recordOrderEvent,
  TradingHaltedError,
} from "../execution/ledger.ts";
import { bookBrokerEvents, recover } from "../execution/recover.ts";
import { recordCash, recordConversion } from "../execution/ledger_cash.ts";
import { reconcile } from "../execution/reconcile.ts";
import { resumeTrading, tradingState } from "../execution/trading_state.ts";
import { withDatabase } from "./_db.ts";
import { orderRequest } from "./_order_request.ts";
import { MemoryBroker } from "./_memory_broker.ts";
import { PaperBroker } from "../execution/paper_broker.ts";

const log = silentLogger();

const order = orderRequest;

async function withLedger(fn: (ledger: Ledger, sql: Sql) => Promise<void>): Promise<void> {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log, timescale: "off" });
    await fn(createLedger(db.sql, { log }), db.sql);
  });
}

async function count(sql: Sql, table: string): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::int as n from ${table}`);
  return row!.n as number;
}

async function positionOf(sql: Sql, tokenId: string) {
  const [row] = await sql`
    select size::text, cost::text, fees::text from positions where token_id = ${tokenId}`;
  return row;
}

async function cashBalance(sql: Sql): Promise<string> {
  const [row] = await sql`select coalesce(sum(amount), 0)::text as balance from cash`;
  return row!.balance as string;
}

Deno.test("recordFill() books a fill reported twice once, with its position and cash", () =>
  withLedger(async (ledger, sql) => {
    const fill = {
      fillId: "trade-1",
      orderId: "o-1",
      clientOrderId: null,
      tokenId: "tok-yes",
      side: "BUY" as const,
      price: "0.52",
      size: "10",
      fee: "0.052",
      liquidity: "taker" as const,
      at: Date.parse("2026-12-06T10:00:00Z"),
    };
    assert.equal(await recordFill(ledger, fill), true);
    assert.equal(await recordFill(ledger, fill), false);
    // Concurrently as well: the fill id decides, not the order of arrival.
    const again = await Promise.all([recordFill(ledger, fill), recordFill(ledger, fill)]);
    assert.deepEqual(again, [false, false]);
    assert.equal(await count(sql, "fills"), 1);
    assert.deepEqual({ ...(await positionOf(sql, "tok-yes")) }, {
      size: "10",
      cost: "5.2",
      fees: "0.052",
    });
    assert.equal(await cashBalance(sql), "-5.252");
  }));

Deno.test("placeOrder() writes the intent, the order and (from events) its fill", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    const stop = bookBrokerEvents(ledger, broker);
    try {
      const outcome = await placeOrder(ledger, broker, order("c-1"));
      assert.equal(outcome.kind, "acked");
      await waitFor(() => settled(sql));
      const [intent] = await sql`select state from intents where client_order_id = 'c-1'`;
      assert.equal(intent!.state, "acked");
      const [row] = await sql`select status, size_matched::text from orders`;
      assert.deepEqual({ ...row }, { status: "MATCHED", size_matched: "10" });
      // The same client order id is never sent twice.
      await assert.rejects(placeOrder(ledger, broker, order("c-1")), DuplicateIntentError);
      assert.equal(broker.submits, 1);
    } finally {
      stop();
    }
  }));

Deno.test("recover() after a crash between intent and ack looks the order up and does not re-send it", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    // The broker takes the order and fills it; the answer never arrives; the process dies.
    broker.silent = true;
    broker.crash = "after_accept";
    const outcome = await placeOrder(ledger, broker, order("c-lost-answer"));
    assert.equal(outcome.kind, "unknown");
    // And one the broker never received.
    broker.crash = "before_accept";
    assert.equal((await placeOrder(ledger, broker, order("c-never-arrived"))).kind, "unknown");
    assert.equal(await count(sql, "orders"), 0);

    broker.crash = "none";
    broker.silent = false;
    const restarted = createLedger(sql, { log });
    const report = await recover(restarted, broker);
    assert.deepEqual(report.found, ["c-lost-answer"]);
    assert.deepEqual(report.unsent, ["c-never-arrived"]);
    assert.equal(report.fillsBooked, 1);
    assert.deepEqual(report.unbooked, {});
    assert.equal(broker.submits, 2, "recovery sent nothing");
    const states = await sql`select client_order_id, state from intents order by client_order_id`;
    assert.deepEqual(states.map((r) => [r.client_order_id, r.state]), [
      ["c-lost-answer", "acked"],
      ["c-never-arrived", "unsent"],
    ]);
    assert.equal(await count(sql, "orders"), 1);
    assert.equal(await count(sql, "fills"), 1);
    // A second recovery (a crash during the first) changes nothing.
    const second = await recover(restarted, broker);
    assert.deepEqual(second.found, []);
    assert.equal(second.fillsBooked, 0);
    assert.equal(await count(sql, "fills"), 1);
    assert.equal((await reconcile(restarted, broker)).ok, true);
  }));

Deno.test("recover() after a crash between ack and fill books the fill once", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    const outcome = await placeOrder(ledger, broker, order("c-rest", { orderType: "GTC" }));
    assert.equal(outcome.kind, "acked");
    // The process is dead (nobody listens) while the resting order fills in two parts.
    const orderId = outcome.kind === "acked" ? outcome.orderId : "";
    broker.fillResting(orderId, "4");
    broker.fillResting(orderId, "6");
    const report = await recover(createLedger(sql, { log }), broker);
    assert.equal(report.refreshed, 1);
    assert.equal(report.fillsBooked, 2);
    assert.equal(await count(sql, "fills"), 2);
    assert.equal((await positionOf(sql, "tok-yes"))!.size, "10");
    const [row] = await sql`select status, size_matched::text from orders`;
    assert.deepEqual({ ...row }, { status: "MATCHED", size_matched: "10" });
    assert.equal(broker.submits, 1);
    assert.equal((await recover(createLedger(sql, { log }), broker)).fillsBooked, 0);
    assert.equal((await reconcile(ledger, broker)).ok, true);
  }));

Deno.test("a reconciliation difference is stored and stops new orders until resumed", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    const stop = bookBrokerEvents(ledger, broker);
    try {
      await placeOrder(ledger, broker, order("c-1"));
      await waitFor(() => settled(sql));
      assert.equal((await reconcile(ledger, broker)).ok, true);

      broker.foreignFill("tok-no", "3");
      const report = await reconcile(ledger, broker);
      assert.equal(report.ok, false);
      assert.deepEqual(report.differences, [
        { kind: "position", tokenId: "tok-no", ledger: "0", broker: "3" },
      ]);
      const [stored] =
        await sql`select ok, differences from reconciliations where id = ${report.id}`;
      assert.equal(stored!.ok, false);
      assert.deepEqual(stored!.differences, report.differences);
      assert.equal((await tradingState(sql)).halted, true);

      const submits = broker.submits;
      await assert.rejects(placeOrder(ledger, broker, order("c-2")), TradingHaltedError);
      assert.equal(broker.submits, submits, "a halted ledger sends nothing");
      assert.equal(await count(sql, "intents"), 1, "nor records the refused intent");

      assert.equal(await resumeTrading(sql, { by: "test" }), true);
      const [cleared] = await sql`select cleared_by from reconciliations where id = ${report.id}`;
      assert.equal(cleared!.cleared_by, "test");
      assert.equal((await placeOrder(ledger, broker, order("c-2"))).kind, "acked");
    } finally {
      stop();
    }
  }));

Deno.test("reconcile() reports an order open on one side only", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    const placed = await placeOrder(ledger, broker, order("c-gtc", { orderType: "GTC" }));
    assert.equal(placed.kind, "acked");
    const orderId = placed.kind === "acked" ? placed.orderId : "";
    // Canceled at the broker behind the ledger's back (the event was lost).
    broker.silent = true;
    await broker.cancel([orderId]);
    const report = await reconcile(ledger, broker);
    assert.deepEqual(report.differences, [{ kind: "order_not_open_at_broker", orderId }]);
    assert.equal((await tradingState(sql)).halted, true);
  }));

Deno.test("recover() books a refusal whose answer was lost as rejected (paper broker)", () =>
  withLedger(async (ledger, sql) => {
    const paper = new PaperBroker({
      now: () => Date.now(),
      latencyMs: 0,
      cash: "100",
      feeOf: () => null,
      validate: (o) => o.price.endsWith("5") ? "invalid tick size" : null,
    });
    // The broker answers; the answer is lost on the way back.
    const losing = Object.assign(Object.create(paper), {
      submit: async (o: OrderRequest) => {
        await paper.submit(o);
        throw new Error("socket hang up");
      },
    }) as PaperBroker;
    const outcome = await placeOrder(ledger, losing, order("c-bad-tick", { price: "0.525" }));
    assert.equal(outcome.kind, "unknown");
    const report = await recover(createLedger(sql, { log }), paper);
    assert.deepEqual([report.found, report.unsent, report.rejected], [[], [], ["c-bad-tick"]]);
    const [intent] = await sql`select state, retryable from intents`;
    assert.deepEqual({ ...intent }, { state: "rejected", retryable: false });
    assert.equal(await count(sql, "orders"), 0);
  }));

Deno.test("recordOrderEvent() books a REJECTED report as the intent's outcome, not an order", () =>
  withLedger(async (ledger, sql) => {
    await recordIntent(ledger, order("c-refused"));
    const refused = {
      orderId: "",
      clientOrderId: "c-refused",
      tokenId: "tok-yes",
      side: "BUY" as const,
      orderType: "FOK" as const,
      price: "0.52",
      originalSize: "10",
      sizeMatched: "0",
      status: "REJECTED" as const,
      createdAt: 1,
    };
    assert.equal(await recordOrderEvent(ledger, refused, { at: 1, source: "event" }), true);
    const [intent] = await sql`select state from intents`;
    assert.equal(intent!.state, "rejected");
    assert.equal(await count(sql, "orders"), 0);
    // An order of nobody's intent is not ours: nothing is stored.
    const foreign = {
      ...refused,
      orderId: "x-1",
      clientOrderId: "c-other",
      status: "LIVE" as const,
    };
    assert.equal(await recordOrderEvent(ledger, foreign, { at: 1, source: "event" }), false);
    assert.equal(await count(sql, "orders"), 0);
  }));

Deno.test("recordIntent() refuses a price outside (0, 1) or a size ≤ 0 before writing", () =>
  withLedger(async (ledger, sql) => {
    const broker = new MemoryBroker();
    await assert.rejects(
      placeOrder(ledger, broker, order("c-1", { price: "1.2" })),
      /between 0 and 1/,
    );
    await assert.rejects(
      placeOrder(ledger, broker, order("c-2", { size: "0" })),
      /size must be positive/,
    );
    await assert.rejects(
      placeOrder(ledger, broker, order("c-3", { size: "ten" })),
      /Not a decimal/,
    );
    assert.equal(await count(sql, "intents"), 0);
    assert.equal(broker.submits, 0);
  }));

Deno.test("recordConversion() and recordCash() move positions and cash once", () =>
  withLedger(async (ledger, sql) => {
    assert.equal(
      await recordCash(ledger, { reason: "deposit", ref: "d-1", amount: "100", at: 0 }),
      true,
    );
    assert.equal(
      await recordCash(ledger, { reason: "deposit", ref: "d-1", amount: "100", at: 0 }),
      false,
    );
    // Hold 10 NO of two markets (basis 3 and 4), convert them: 1 × (10 − 0) collateral and 10
    // YES of the third question; the basis moves from the NOs to the YES.
    for (const [id, token, cost] of [["n1", "no-a", "0.3"], ["n2", "no-b", "0.4"]]) {
      await recordFill(ledger, {
        fillId: id!,
        orderId: id!,
        clientOrderId: null,
        tokenId: token!,
        side: "BUY",
        price: cost!,
        size: "10",
        fee: "0",
        liquidity: "maker",
        at: 1,
      });
    }
    const conversion = {
      conversionId: "conv-1",
      kind: "convert" as const,
      legs: [
        { tokenId: "no-a", size: "-10", cost: "-3" },
        { tokenId: "no-b", size: "-10", cost: "-4" },
        { tokenId: "yes-c", size: "10", cost: "0" },
      ],
      collateral: "10",
      at: 2,
    };
    assert.equal(await recordConversion(ledger, conversion), true);
    assert.equal(await recordConversion(ledger, conversion), false);
    const held = await sql`select token_id, size::text, cost::text from positions order by 1`;
    assert.deepEqual(held.map((r) => [r.token_id, r.size, r.cost]), [
      ["no-a", "0", "0"],
      ["no-b", "0", "0"],
      ["yes-c", "10", "0"],
    ]);
    // 100 deposited − 3 − 4 paid + 10 from the conversion.
    assert.equal(await cashBalance(sql), "103");
    await assert.rejects(
      recordConversion(ledger, { ...conversion, conversionId: "conv-2", collateral: "x" }),
      /Not a decimal/,
    );
  }));

/** One fill booked and no order LIVE: the broker's events of a FOK order are all booked. */
async function settled(sql: Sql): Promise<boolean> {
  const [row] = await sql`
    select (select count(*) from fills)::int as fills,
      (select count(*) from orders where status = 'LIVE')::int as live`;
  return row!.fills === 1 && row!.live === 0;
}

async function waitFor(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
