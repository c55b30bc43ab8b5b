/**
 * The intent writer (execution/ledger_intents.ts) on a real PostgreSQL: intents asked for while
 * one is being written share the next statement (the rows of one statement share a transaction
 * id, `xmin`), a halt refuses a whole batch, a repeated id is refused to all but its first
 * asker, and a dedicated connection is not held up by a pool whose other connections are busy.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { createLedger, DuplicateIntentError, TradingHaltedError } from "../execution/ledger.ts";
import { IntentWriter } from "../execution/ledger_intents.ts";
import { haltTrading, resumeTrading } from "../execution/trading_state.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "./_db.ts";
import { orderRequest } from "./_order_request.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);

const intent = (clientOrderId: string) =>
  orderRequest(clientOrderId, { tokenId: "yes", price: "0.42", size: "12.37" });

test("IntentWriter.record() sends the first intent alone and the ones asked meanwhile together", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const writer = new IntentWriter(db.sql, { dedicated: true });
    try {
      await writer.record(intent("before"));
      const asked = ["a", "b", "c", "b", "before", "d"].map((id) =>
        writer.record(intent(id)).then(() => "ok", (err: unknown) => err)
      );
      const outcomes = await Promise.all(asked);
      assert.deepEqual(outcomes.slice(0, 3), ["ok", "ok", "ok"]);
      // A repeated id: its first asker has it, the second and an id recorded before do not.
      assert.ok(outcomes[3] instanceof DuplicateIntentError);
      assert.ok(outcomes[4] instanceof DuplicateIntentError);
      assert.equal(outcomes[5], "ok");
      const rows = await db.sql<{ id: string; tx: string; price: string; size: string }[]>`
        select client_order_id as id, xmin::text as tx, price::text, size::text from intents
        order by client_order_id`;
      assert.deepEqual(rows.map((r) => r.id), ["a", "b", "before", "c", "d"]);
      const tx = new Map(rows.map((r) => [r.id, r.tx]));
      assert.notEqual(tx.get("a"), tx.get("before"));
      // "a" went alone (nothing was being written); b, c and d waited for it and went together.
      assert.notEqual(tx.get("b"), tx.get("a"));
      assert.equal(tx.get("c"), tx.get("b"));
      assert.equal(tx.get("d"), tx.get("b"));
      assert.deepEqual(new Set(rows.map((r) => `${r.price} ${r.size}`)), new Set(["0.42 12.37"]));
    } finally {
      await writer.close();
    }
  });
});

test("IntentWriter.record() refuses a whole batch while halted and writes again once resumed", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    const ledger = createLedger(db.sql, { log });
    await haltTrading(db.sql, { reason: "manual check", by: "test" });
    const outcomes = await Promise.all(
      ["h1", "h2", "h3"].map((id) => ledger.intents.record(intent(id)).catch((err) => err)),
    );
    for (const err of outcomes) {
      assert.ok(err instanceof TradingHaltedError);
      assert.equal(err.reason, "manual check");
    }
    assert.equal((await db.sql`select 1 from intents`).length, 0);
    await resumeTrading(db.sql, { by: "test" });
    await ledger.intents.record(intent("h1"));
    assert.deepEqual(
      (await db.sql`select client_order_id from intents`).map((r) => r.client_order_id),
      ["h1"],
    );
    // A missing state row reads as halted.
    await db.sql`delete from trading_state`;
    await assert.rejects(
      ledger.intents.record(intent("h4")),
      (err: unknown) =>
        err instanceof TradingHaltedError && err.reason === "the trading_state row is missing",
    );
  });
});

test("a dedicated intent connection writes while every other connection of the pool is busy", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    const ledger = createLedger(db.sql, { log, dedicatedIntents: true });
    await ledger.intents.ready();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const holding: Promise<unknown>[] = [];
    const started: Promise<void>[] = [];
    // The test pool has 4 connections: the intents hold one, three of these transactions the
    // other three, and the fourth waits for one (shared, the four would take all of them).
    for (let i = 0; i < 4; i++) {
      let begun!: () => void;
      started.push(new Promise<void>((resolve) => begun = resolve));
      holding.push(db.sql.begin(async (tx) => {
        await tx`select 1`;
        begun();
        await gate;
      }));
    }
    try {
      await Promise.all(started.slice(0, 3));
      // Shared, these would wait for the gate, which opens only after them: the limit fails it.
      await Promise.all([
        ledger.intents.record(intent("while-busy")),
        ledger.intents.record(intent("second")),
      ]);
    } finally {
      release();
      await Promise.all(holding);
      await ledger.intents.close();
    }
    const rows = await db.sql`select client_order_id from intents order by 1`;
    assert.deepEqual(rows.map((r) => r.client_order_id), ["second", "while-busy"]);
  });
});

test("IntentWriter refuses a dedicated connection on a one-connection pool", async () => {
  await withDatabase("embedded", async (db) => {
    assert.throws(() => new IntentWriter(db.sql, { dedicated: true }), RangeError);
    // Shared, it writes on that one connection.
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await new IntentWriter(db.sql).record(intent("embedded"));
    assert.equal((await db.sql`select 1 from intents`).length, 1);
  });
});
