/**
 * `recover`: what the next start does after a crash, before any new order (issue 29). Three
 * steps, each idempotent, so a crash during recovery is finished by the next one:
 *
 * 0. Intents the journal holds (a crash between an intent's flush and its row, when the ledger
 *    writes intents through the journal: execution/intent_journal.ts) are stored as `pending`.
 * 1. Every intent still `pending` (recorded, outcome unknown) is looked up at the broker by its
 *    client order id (`Broker.orderByClientId`). Found: its order is booked as the broker holds
 *    it (or, when it refused it, the intent becomes `rejected`). Not found: the broker never
 *    received it, and the intent becomes `unsent`. It is never
 *    sent again here: a strategy that still wants it sends a new intent with a new id.
 * 2. Every order the ledger holds as LIVE, or whose fills may be missing (known only from the
 *    submit's answer, or matched further than its booked fills), is looked up again and its
 *    status booked.
 * 3. Fills the broker reports and the ledger lacks are booked (`recordFill` skips known ones):
 *    from the broker's fill history when it has one (`FillHistory`: the venue's `/data/trades`,
 *    the paper broker's log), since the oldest order that steps 1–2 touched. Orders whose matched
 *    size still exceeds their booked fills are returned as `unbooked`: they are not guessed at;
 *    the reconciliation that follows finds the position difference and halts trading.
 *
 * A broker that emits fills as events is booked by `bookBrokerEvents` while the process runs.
 *
 * @example
 * ```ts ignore
 * import { recover } from "./recover.ts";
 * const report = await recover(ledger, broker, { signal });
 * ```
 */
import type { Broker, Fill } from "./broker.ts";
import { type Ledger, recordAck, recordFill, recordOrderEvent } from "./ledger.ts";

/** How much earlier than the oldest order touched the fill history is read. */
const CLOCK_MARGIN_MS = 60_000;

/** A broker that can list our fills since an instant (unix ms), oldest first. */
export interface FillHistory {
  fillsSince(sinceMs: number, signal?: AbortSignal): Promise<Fill[]>;
}

export interface RecoveryReport {
  /** Intents found in the journal and not in the ledger: stored as pending (step 0). */
  readonly restored: readonly string[];
  /** Pending intents the broker had: booked as orders. */
  readonly found: readonly string[];
  /** Pending intents the broker never saw: now `unsent`. */
  readonly unsent: readonly string[];
  /** Pending intents the broker had refused: now `rejected`. */
  readonly rejected: readonly string[];
  /** Orders (open, or with fills possibly missing) whose status was looked up again. */
  readonly refreshed: number;
  /** Fills booked that the ledger lacked. */
  readonly fillsBooked: number;
  /** Orders whose broker-matched size exceeds their booked fills (order id → missing size). */
  readonly unbooked: Readonly<Record<string, string>>;
}

/** Finishes what a crash left open. Call before the first new order after a start. */
export async function recover(
  ledger: Ledger,
  broker: Broker & Partial<FillHistory>,
  options: { readonly signal?: AbortSignal; readonly now?: () => number } = {},
): Promise<RecoveryReport> {
  const { signal } = options;
  const now = options.now ?? Date.now;
  const found: string[] = [];
  const unsent: string[] = [];
  const rejected: string[] = [];
  let oldest: number | null = null;
  const restored = await ledger.intents.restore();
  const pending = await ledger.sql<{ client_order_id: string; created_at: Date }[]>`
    select client_order_id, created_at from intents where state = 'pending' order by created_at`;
  for (const intent of pending) {
    const order = await broker.orderByClientId(intent.client_order_id, signal);
    if (order === null) {
      await ledger.sql`
        update intents set state = 'unsent', settled_at = now(),
          error = 'not at the broker when recovered: never sent'
        where client_order_id = ${intent.client_order_id} and state = 'pending'`;
      unsent.push(intent.client_order_id);
      continue;
    }
    if (order.status === "REJECTED") {
      // The broker received it and refused it; the answer was lost.
      await recordAck(ledger, {
        ok: false,
        clientOrderId: intent.client_order_id,
        error: "refused by the broker (found when recovered)",
        retryable: false,
      });
      rejected.push(intent.client_order_id);
      continue;
    }
    await recordAck(ledger, {
      ok: true,
      orderId: order.orderId,
      clientOrderId: intent.client_order_id,
      status: order.status,
    });
    await recordOrderEvent(ledger, order, { at: now(), source: "recover" });
    found.push(intent.client_order_id);
    oldest = Math.min(oldest ?? Infinity, order.createdAt, intent.created_at.getTime());
  }
  // Open orders, and orders whose fills may be missing: known only from the submit's answer,
  // matched further than their booked fills, or MATCHED with fills short of their size.
  const live = await ledger.sql<
    { order_id: string; client_order_id: string | null; created_at: Date }[]
  >`
    select o.order_id, o.client_order_id, o.created_at
    from orders o
    left join (select order_id, sum(size) as booked from fills group by order_id) f
      using (order_id)
    where o.status = 'LIVE'
       or o.size_matched > coalesce(f.booked, 0)
       or (o.status = 'MATCHED' and o.original_size > coalesce(f.booked, 0))
       or not exists (select 1 from order_events e
                      where e.order_id = o.order_id and e.source <> 'ack')`;
  let refreshed = 0;
  for (const row of live) {
    if (row.client_order_id === null) continue;
    const order = await broker.orderByClientId(row.client_order_id, signal);
    if (order === null) continue;
    await recordOrderEvent(ledger, order, { at: now(), source: "recover" });
    refreshed++;
    oldest = Math.min(oldest ?? Infinity, row.created_at.getTime());
  }
  const short = await unbookedOrders(ledger);
  for (const row of short) oldest = Math.min(oldest ?? Infinity, row.createdAt);
  let fillsBooked = 0;
  if (oldest !== null && broker.fillsSince !== undefined) {
    // A minute early: the broker's clock and the database's need not agree to the millisecond.
    for (const fill of await broker.fillsSince(oldest - CLOCK_MARGIN_MS, signal)) {
      if (await recordFill(ledger, fill)) fillsBooked++;
    }
  }
  const unbooked = Object.fromEntries(
    (await unbookedOrders(ledger)).map((r) => [r.orderId, r.missing]),
  );
  const report = { restored, found, unsent, rejected, refreshed, fillsBooked, unbooked };
  ledger.log.info("ledger_recovered", {
    restored: restored.length,
    found: found.length,
    unsent: unsent.length,
    rejected: rejected.length,
    refreshed,
    fillsBooked,
    unbooked: Object.keys(unbooked).length,
  });
  if (Object.keys(unbooked).length > 0) ledger.log.warn("fills_unbooked", { orders: unbooked });
  return report;
}

/**
 * Books every fill and order update the broker emits, as it emits them; a failure to book is
 * logged (`recover` at the next start books what was missed). Returns the unsubscribe function.
 */
export function bookBrokerEvents(ledger: Ledger, broker: Broker): () => void {
  // One booking at a time, in the order the broker emitted them.
  let chain: Promise<unknown> = Promise.resolve();
  return broker.onEvent((event) => {
    chain = chain.then(() =>
      event.kind === "fill"
        ? recordFill(ledger, event.fill)
        : recordOrderEvent(ledger, event.order, { at: event.at, source: "event" })
    ).catch((err) => {
      ledger.log.error("broker_event_not_booked", {
        kind: event.kind,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  });
}

/** Orders whose matched size exceeds the fills booked for them. */
async function unbookedOrders(
  ledger: Ledger,
): Promise<{ orderId: string; missing: string; createdAt: number }[]> {
  const rows = await ledger.sql<{ order_id: string; missing: string; created_at: Date }[]>`
    select o.order_id, (o.size_matched - coalesce(f.booked, 0))::text as missing, o.created_at
    from orders o
    left join (select order_id, sum(size) as booked from fills group by order_id) f
      using (order_id)
    where o.size_matched > coalesce(f.booked, 0)`;
  return rows.map((r) => ({
    orderId: r.order_id,
    missing: r.missing,
    createdAt: r.created_at.getTime(),
  }));
}
