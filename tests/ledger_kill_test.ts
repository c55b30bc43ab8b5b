/**
 * Chaos test of the ledger (issue 29): a trading process (tests/_ledger_entry.ts) is killed
 * with SIGKILL between "intent recorded" and "order acknowledged" (inside the broker's submit:
 * the broker took the order, the answer never arrives), between "order acknowledged" and "fill
 * recorded" (the fill is being delivered to it), and before the broker took an order at all;
 * after each kill it is started again. In the end every order exists exactly once at the broker
 * and in the ledger, every fill is booked once, and the ledger reconciles with the broker
 * (positions, open orders, cash).
 *
 * The broker is the paper broker (execution/paper_broker.ts) over one token's book, living in
 * this test process and served to the child over loopback HTTP, so it survives the child's
 * death as a venue does; its emitted fills are its fill history (`/fills`, as the venue's
 * `/data/trades`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { parseEntry } from "../execution/intent_journal.ts";
import type { BrokerEvent, Fill, OrderRequest } from "../execution/broker.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { createLedger } from "../execution/ledger.ts";
import { reconcile } from "../execution/reconcile.ts";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { withDatabase } from "./_db.ts";
import { testWithin } from "./_time_limit.ts";

const ENTRY = fromFileUrl(new URL("./_ledger_entry.ts", import.meta.url));
const TOKEN = "yes";

function order(clientOrderId: string, fields: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId,
    tokenId: TOKEN,
    side: "BUY",
    orderType: "FOK",
    price: "0.40",
    size: "10",
    postOnly: false,
    expiration: null,
    ...fields,
  };
}

const PLAN = [
  order("a-fok", {}), // killed inside its submit, after the broker took and filled it
  order("b-gtc", { orderType: "GTC", price: "0.35", size: "5" }), // killed while its fill is delivered
  order("c-never", {}), // killed inside its submit, before the broker took it
  order("d-fok", { size: "3" }),
];

type KillPoint =
  | { readonly at: "submit_after_accept"; readonly clientOrderId: string }
  | { readonly at: "submit_before_accept"; readonly clientOrderId: string }
  | { readonly at: "fill_delivery"; readonly clientOrderId: string }
  | null;

const test = testWithin(90_000);

test("SIGKILL between intent and ack, and between ack and fill: every order once, ledger reconciles", () =>
  chaos(null));

test("the same kills with intents through the journal: every order once, the journal emptied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger_kill_journal_" });
  try {
    await chaos(join(dir, "intents.journal"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The kills, with intents committed by the database (`journal` null) or flushed to that
 * journal file first (execution/intent_journal.ts).
 */
async function chaos(journal: string | null): Promise<void> {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    // The broker runs on the wall clock, as the venue does.
    let seq = 0;
    const book = (bids: [string, string][], asks: [string, string][]): BookEvent => ({
      kind: "book",
      tokenId: TOKEN,
      exchangeTs: Date.now(),
      receivedAt: Date.now(),
      connection: 1,
      sequence: seq++,
      bids,
      asks,
      tickSize: "0.01",
    });
    const broker = new PaperBroker({
      now: () => Date.now(),
      latencyMs: 0,
      cash: "1000",
      feeOf: () => ({ rate: "0.05", exponent: 1, takerOnly: true }),
    });
    broker.onBookEvent(book([["0.30", "50"]], [["0.40", "100"]]));
    const events: BrokerEvent[] = [];
    broker.onEvent((e) => events.push(e));
    const submits = new Map<string, number>();
    const notes: string[] = [];

    let child: Deno.ChildProcess | null = null;
    let kill: KillPoint = null;
    let killed = Promise.withResolvers<void>();
    const killChild = async () => {
      kill = null;
      child!.kill("SIGKILL");
      await child!.status;
      killed.resolve();
    };
    const fillOf = (e: BrokerEvent, clientOrderId: string) =>
      e.kind === "fill" && e.fill.clientOrderId === clientOrderId;

    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const url = new URL(req.url);
        const json = (value: unknown) => Response.json(value);
        switch (url.pathname) {
          case "/submit": {
            const request = await req.json() as OrderRequest;
            submits.set(request.clientOrderId, (submits.get(request.clientOrderId) ?? 0) + 1);
            if (
              kill?.at === "submit_before_accept" && kill.clientOrderId === request.clientOrderId
            ) {
              await killChild();
              return new Response(null, { status: 502 });
            }
            const result = await broker.submit(request);
            if (
              kill?.at === "submit_after_accept" && kill.clientOrderId === request.clientOrderId
            ) {
              await killChild();
              return new Response(null, { status: 502 });
            }
            return json(result);
          }
          case "/order":
            return json(await broker.orderByClientId(url.searchParams.get("client")!));
          case "/open-orders":
            return json(await broker.openOrders());
          case "/positions":
            return json(await broker.positions());
          case "/fills": {
            const since = Number(url.searchParams.get("since"));
            return json(
              events.flatMap((e) => e.kind === "fill" && e.fill.at >= since ? [e.fill] : []),
            );
          }
          case "/events/count":
            return json(events.length);
          case "/events": {
            const batch = events.slice(Number(url.searchParams.get("after")));
            const target = kill?.at === "fill_delivery" ? kill.clientOrderId : null;
            if (target !== null && batch.some((e) => fillOf(e, target))) {
              await killChild();
              return new Response(null, { status: 502 });
            }
            return json(batch);
          }
          case "/note": {
            const { text } = await req.json() as { text: string };
            notes.push(text);
            // b-gtc rests at 0.35: once it is acknowledged, an ask at 0.35 fills it.
            if (text === "placed b-gtc acked") {
              broker.onBookEvent(book([["0.30", "50"]], [["0.35", "5"], ["0.40", "100"]]));
              // The child learns of the fill only by its event poll, and goes no further (no
              // next order) before it is killed there.
              if (kill?.at === "fill_delivery") await killed.promise;
            }
            return json(true);
          }
          default:
            return new Response(null, { status: 404 });
        }
      },
    );

    const run = async (point: KillPoint): Promise<Deno.CommandStatus> => {
      kill = point;
      killed = Promise.withResolvers<void>();
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", ENTRY],
        env: {
          DATABASE_URL: db.url!.replace(/\?.*$/, ""),
          TEST_SCHEMA: db.schema,
          BROKER_URL: `http://127.0.0.1:${server.addr.port}`,
          PLAN: JSON.stringify(PLAN),
          ...(journal === null ? {} : { JOURNAL: journal }),
        },
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      const status = await child.status;
      assert.equal(
        kill,
        null,
        `the kill at ${JSON.stringify(point)} happened (${JSON.stringify(status)}, notes: ${
          notes.join(" | ")
        })`,
      );
      return status;
    };

    try {
      const stateOf = async (clientOrderId: string) => {
        const [row] = await db.sql`
          select i.state, count(distinct o.order_id)::int as orders, count(f.fill_id)::int as fills
          from intents i left join orders o using (client_order_id)
          left join fills f on f.order_id = o.order_id
          where i.client_order_id = ${clientOrderId} group by i.state`;
        return row === undefined ? null : [row.state, row.orders, row.fills];
      };
      // Through the journal, a kill may come before the intent's row (stored behind the flush,
      // while the order is on its way): then the journal holds it, and the next start stores it.
      const recorded = async (clientOrderId: string) => {
        const state = await stateOf(clientOrderId);
        if (state !== null || journal === null) return state;
        const lines = Deno.readTextFileSync(journal).split("\n").filter((l) => l !== "");
        return lines.some((l) => parseEntry(l)?.request.clientOrderId === clientOrderId)
          ? ["pending", 0, 0]
          : null;
      };
      // Killed with the intent recorded and the broker holding (and having filled) the order.
      assert.equal(
        (await run({ at: "submit_after_accept", clientOrderId: "a-fok" })).signal,
        "SIGKILL",
      );
      assert.deepEqual(await recorded("a-fok"), ["pending", 0, 0]);
      // Killed with the order acknowledged and its fill on the way, not booked.
      assert.equal((await run({ at: "fill_delivery", clientOrderId: "b-gtc" })).signal, "SIGKILL");
      assert.deepEqual(await stateOf("a-fok"), ["acked", 1, 1]);
      assert.deepEqual(await stateOf("b-gtc"), ["acked", 1, 0]);
      // Killed with the intent recorded and the broker never having taken it.
      assert.equal(
        (await run({ at: "submit_before_accept", clientOrderId: "c-never" })).signal,
        "SIGKILL",
      );
      assert.deepEqual(await stateOf("b-gtc"), ["acked", 1, 1]);
      assert.deepEqual(await recorded("c-never"), ["pending", 0, 0]);
      const last = await run(null);
      assert.equal(last.code, 0, `notes: ${notes.join(" | ")}`);
    } finally {
      await server.shutdown();
    }

    // Each order reached the broker once; the one killed before the broker took it, never
    // again (nothing re-sends an intent whose outcome was unknown).
    assert.deepEqual(Object.fromEntries(submits), {
      "a-fok": 1,
      "b-gtc": 1,
      "c-never": 1,
      "d-fok": 1,
    });
    const intents = await db.sql`select client_order_id, state from intents order by 1`;
    assert.deepEqual(intents.map((r) => [r.client_order_id, r.state]), [
      ["a-fok", "acked"],
      ["b-gtc", "acked"],
      ["c-never", "unsent"],
      ["d-fok", "acked"],
    ]);
    const orders = await db.sql`
      select client_order_id, count(*)::int as n, max(status) as status from orders group by 1
      order by 1`;
    assert.deepEqual(orders.map((r) => [r.client_order_id, r.n, r.status]), [
      ["a-fok", 1, "MATCHED"],
      ["b-gtc", 1, "MATCHED"],
      ["d-fok", 1, "MATCHED"],
    ]);
    const brokerFills = events.flatMap((e) => (e.kind === "fill" ? [e.fill] : []));
    const booked = await db.sql<{ fill_id: string }[]>`select fill_id from fills order by 1`;
    assert.deepEqual(booked.map((r) => r.fill_id), brokerFills.map((f: Fill) => f.fillId).sort());
    assert.equal(brokerFills.length, 3);

    const ledger = createLedger(db.sql, { log });
    const report = await reconcile(ledger, broker);
    assert.deepEqual(report.differences, []);
    const [cash] = await db.sql`select sum(amount)::text as balance from cash`;
    assert.equal(Number(cash!.balance), Number(broker.cash()));
    assert.equal(cash!.balance.replace(/0+$/, "").replace(/\.$/, ""), broker.cash());
    if (journal !== null) assert.equal(Deno.readTextFileSync(journal), "", "every row stored");
  });
}
