/**
 * The ledger when a submit's answer (`recordAck`) and the broker's own report of the same order
 * (`recordOrderEvent`, as `bookBrokerEvents` books it) are booked at the same time: both insert
 * the order row, and the one that loses must do nothing rather than fail on the client order id
 * key (a live paper broker answering at once made one `placeOrder` in about forty fail so). Each
 * intent here is booked both ways at once, on two connections released together by a table
 * lock, so the race is run every time: the conflict-targeted insert failed every run of this.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { createLedger, recordAck, recordIntent, recordOrderEvent } from "../execution/ledger.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "./_db.ts";
import type { Sql } from "../db/client.ts";
import { setTimeout as sleep } from "node:timers/promises";

const ORDERS = 40;

Deno.test("recordAck() and recordOrderEvent() of one order at the same time both succeed", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    const ledger = createLedger(db.sql, { log });
    for (let i = 0; i < ORDERS; i++) {
      const clientOrderId = `race-${i}`;
      await recordIntent(ledger, {
        clientOrderId,
        tokenId: "yes",
        side: "BUY",
        orderType: "GTC",
        price: "0.4",
        size: "1",
        postOnly: false,
        expiration: null,
      });
      const orderId = `o-${i}`;
      // A third connection holds the orders table until both inserts wait for it, then lets
      // them go together: the two inserts start within microseconds of each other.
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const gate = db.sql.begin(async (tx) => {
        await tx`lock table orders in share row exclusive mode`;
        locked();
        await released;
      });
      await isLocked;
      const both = Promise.all([
        recordAck(ledger, { ok: true, orderId, clientOrderId, status: "LIVE" }),
        recordOrderEvent(ledger, {
          orderId,
          clientOrderId,
          tokenId: "yes",
          side: "BUY",
          orderType: "GTC",
          price: "0.4",
          originalSize: "1",
          sizeMatched: "0",
          status: "LIVE",
          createdAt: Date.now(),
        }, { at: Date.now(), source: "event" }),
      ]);
      await waitForLockWaiters(db.sql, 2);
      release();
      await gate;
      const [, added] = await both;
      assert.equal(added, true, `${clientOrderId}: the report is booked`);
    }
    const [row] = await db.sql`
      select (select count(*)::int from orders) as orders,
             (select count(*)::int from intents where state = 'acked') as acked`;
    assert.deepEqual({ ...row }, { orders: ORDERS, acked: ORDERS });
  });
});

/** Waits until `n` sessions wait for a lock on the orders table. */
async function waitForLockWaiters(sql: Sql, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = await sql`
      select count(*)::int as n from pg_locks
      where not granted and relation = 'orders'::regclass`;
    if (row!.n >= n) return;
    await sleep(2);
  }
  assert.fail(`${n} sessions never waited for the orders table`);
}
