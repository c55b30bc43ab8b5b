/**
 * The trading process of the ledger's kill test (tests/ledger_kill_test.ts): env DATABASE_URL,
 * TEST_SCHEMA, BROKER_URL (the test's broker, served over loopback HTTP), PLAN (a JSON array
 * of OrderRequests) and, optionally, JOURNAL (intents through that journal file). It does what
 * a start does: recover, reconcile, then send every order of the plan whose client order id the
 * ledger does not hold yet (one already recorded is never sent again: `DuplicateIntentError`),
 * booking the broker's events as they come. It posts notes to the broker (`placed <id>
 * <outcome>`, `done`) and exits 0 once every acked order's fills are booked. The test kills it
 * with SIGKILL at chosen points.
 */
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  Broker,
  BrokerEvent,
  CancelResult,
  Fill,
  OpenOrder,
  OrderRequest,
  Position,
  SubmitResult,
} from "../execution/broker.ts";
import { createLedger, DuplicateIntentError, placeOrder } from "../execution/ledger.ts";
import { recordCash } from "../execution/ledger_cash.ts";
import { bookBrokerEvents, type FillHistory, recover } from "../execution/recover.ts";
import { reconcile } from "../execution/reconcile.ts";
import { silentLogger } from "../runtime/log.ts";

/** Our Broker interface over the test's HTTP bridge; events by polling. */
class HttpBroker implements Broker, FillHistory {
  readonly #url: string;
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  #seen = 0;
  #polling = false;
  /** Settles once the first poll knows where the events it listens to start. */
  started: Promise<void> = Promise.resolve();
  constructor(url: string) {
    this.#url = url;
  }
  async #call<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.#url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`broker ${path}: HTTP ${response.status}`);
    return await response.json() as T;
  }
  submit(order: OrderRequest): Promise<SubmitResult> {
    return this.#call("/submit", order);
  }
  cancel(orderIds: readonly string[]): Promise<CancelResult> {
    return this.#call("/cancel", orderIds);
  }
  cancelAll(): Promise<CancelResult> {
    return this.#call("/cancel-all", {});
  }
  openOrders(): Promise<OpenOrder[]> {
    return this.#call("/open-orders");
  }
  orderByClientId(clientOrderId: string): Promise<OpenOrder | null> {
    return this.#call(`/order?client=${encodeURIComponent(clientOrderId)}`);
  }
  positions(): Promise<Position[]> {
    return this.#call("/positions");
  }
  fillsSince(sinceMs: number): Promise<Fill[]> {
    return this.#call(`/fills?since=${sinceMs}`);
  }
  note(text: string): Promise<unknown> {
    return this.#call("/note", { text });
  }
  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#polling) {
      this.#polling = true;
      let begin = () => {};
      this.started = new Promise((resolve) => begin = resolve);
      this.#poll(begin);
    }
    return () => this.#listeners.delete(listener);
  }
  async #poll(begin: () => void): Promise<void> {
    // Events from the ones this process has not seen (the first poll skips the past: what a
    // restart missed is recovery's business, as with the venue's user channel).
    this.#seen = await this.#call<number>("/events/count");
    begin();
    while (this.#listeners.size > 0) {
      const events = await this.#call<BrokerEvent[]>(`/events?after=${this.#seen}`);
      this.#seen += events.length;
      for (const event of events) for (const listener of this.#listeners) listener(event);
      await sleep(20);
    }
  }
}

const env = Deno.env.toObject();
const sql = postgres(env.DATABASE_URL!, {
  max: 2,
  onnotice: () => {},
  connection: { search_path: env.TEST_SCHEMA! },
});
const broker = new HttpBroker(env.BROKER_URL!);
// JOURNAL: intents flushed to that file first (execution/intent_journal.ts).
const ledger = env.JOURNAL === undefined
  ? createLedger(sql, { log: silentLogger() })
  : createLedger(sql, { log: silentLogger(), journal: { path: env.JOURNAL, halted: () => null } });
const plan: OrderRequest[] = JSON.parse(env.PLAN!);

await recordCash(ledger, { reason: "deposit", ref: "initial", amount: "1000", at: 0 });
await recover(ledger, broker);
const checked = await reconcile(ledger, broker);
if (!checked.ok) {
  await broker.note(`reconcile ${JSON.stringify(checked.differences)}`);
  Deno.exit(3);
}
bookBrokerEvents(ledger, broker);
await broker.started;
for (const order of plan) {
  // Through the journal, an id stored by an earlier process is the caller's to skip (the
  // journal refuses only the ids it journaled or restored itself).
  if (env.JOURNAL !== undefined) {
    const [held] = await sql`select 1 from intents where client_order_id = ${order.clientOrderId}`;
    if (held !== undefined) continue;
  }
  try {
    const outcome = await placeOrder(ledger, broker, order);
    await broker.note(`placed ${order.clientOrderId} ${outcome.kind}`);
  } catch (err) {
    if (!(err instanceof DuplicateIntentError)) throw err;
  }
}
// Every acked order's matched size booked as fills.
for (;;) {
  const [short] = await sql`
    select 1 from orders o
    where o.size_matched > (select coalesce(sum(size), 0) from fills f where f.order_id = o.order_id)
       or (o.status = 'MATCHED'
           and o.original_size > (select coalesce(sum(size), 0) from fills f
                                  where f.order_id = o.order_id))
    limit 1`;
  if (short === undefined) break;
  await sleep(20);
}
await broker.note("done");
await sql.end({ timeout: 1 });
Deno.exit(0);
