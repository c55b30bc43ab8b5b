/**
 * The books of account (issue 29; migration 0014, docs/execution.md "Ledger"). Every order is
 * written down before the broker is called (`recordIntent`: the client order id is unique, so
 * one intent is sent at most once) and again after it answers (`recordAck`); order updates and
 * fills are booked as the broker reports them (`recordOrderEvent`, `recordFill`, idempotent on
 * the fill id), and each fill moves the position and the cash in its own transaction.
 * Deposits and conversions are booked by execution/ledger_cash.ts.
 *
 * A process killed at any instant leaves one of three states, each finished by `recover`
 * (execution/recover.ts) at the next start: an intent with no known outcome (looked up by its
 * client order id, never sent again), an acknowledged order whose later fills are missing
 * (booked from the broker's fill history), or nothing to do.
 *
 * @example
 * ```ts ignore
 * import { createLedger, placeOrder } from "./ledger.ts";
 * const ledger = createLedger(db.sql, { log });
 * const outcome = await placeOrder(ledger, broker, request);
 * ```
 */
import type { Queryable, Sql } from "../db/client.ts";
import type { Logger } from "../runtime/log.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import type { Broker, Fill, OpenOrder, OrderRequest, SubmitResult } from "./broker.ts";
import { applyTrade, fillCash } from "./_positions.ts";
import { movePosition } from "./_position_rows.ts";
import {
  DuplicateIntentError,
  type IntentRecorder,
  IntentWriter,
  TradingHaltedError,
} from "./ledger_intents.ts";
import { JournaledIntents } from "./intent_journal.ts";

/** The database the books live in, where they log, and the writer of intents. */
export interface Ledger {
  readonly sql: Sql;
  readonly log: Logger;
  /**
   * Writes intents on the hot path: the database statement (execution/ledger_intents.ts) or the
   * local journal (execution/intent_journal.ts).
   */
  readonly intents: IntentRecorder;
}

/**
 * A ledger over `sql` (migrated to 0014 or later). `dedicatedIntents`: intents get a connection
 * of the pool to themselves (reserved at the first intent, or by `intents.ready()`), given back
 * by `intents.close()`, which must come before the pool ends or `sql.end()` waits its timeout.
 * `journal`: intents are made durable in that file instead, and stored in the background
 * (`JournaledIntents`; `halted` is then the halt check, `dedicatedIntents` is not used);
 * `intents.close()` before the pool ends.
 */
export function createLedger(
  sql: Sql,
  options: {
    readonly log: Logger;
    readonly dedicatedIntents?: boolean;
    readonly journal?: { readonly path: string; readonly halted: () => string | null };
  },
): Ledger {
  const log = options.log.child({ component: "ledger" });
  return {
    sql,
    log,
    intents: options.journal === undefined
      ? new IntentWriter(sql, { dedicated: options.dedicatedIntents === true })
      : new JournaledIntents(sql, { ...options.journal, log }),
  };
}

export { DuplicateIntentError, TradingHaltedError };

/**
 * Writes the intent before it is sent, durably, in one statement with the check that trading
 * is not halted (execution/ledger_intents.ts). @throws {TradingHaltedError}
 * @throws {DuplicateIntentError}
 */
export async function recordIntent(ledger: Ledger, request: OrderRequest): Promise<void> {
  await ledger.intents.record(request);
}

/** Books the broker's answer to a submit: the order it acknowledged, or why it refused. */
export async function recordAck(ledger: Ledger, result: SubmitResult): Promise<void> {
  await ledger.intents.stored(result.clientOrderId);
  if (!result.ok) {
    await ledger.sql`
      update intents set state = 'rejected', error = ${result.error},
        retryable = ${result.retryable}, settled_at = now()
      where client_order_id = ${result.clientOrderId} and state = 'pending'`;
    return;
  }
  await ledger.sql.begin(async (tx) => {
    await insertOrderFromIntent(tx, result.orderId, result.clientOrderId, result.status);
    await tx`
      insert into order_events (order_id, status, size_matched, at, source)
      select order_id, ${result.status}, size_matched, now(), 'ack' from orders
      where order_id = ${result.orderId}
      on conflict (order_id, status, size_matched) do nothing`;
    await tx`
      update intents set state = 'acked', settled_at = coalesce(settled_at, now())
      where client_order_id = ${result.clientOrderId} and state in ('pending', 'unsent')`;
  });
}

/**
 * Books an order update (status, matched size) as the broker reported it; an order this ledger
 * has no row for yet but whose intent it holds (an update that overtook the submit's answer, or
 * one found by `recover`) is added; a REJECTED report settles the intent as rejected. Returns
 * false for an order of no intent of ours.
 */
export async function recordOrderEvent(
  ledger: Ledger,
  order: OpenOrder,
  options: { readonly at: number; readonly source: string },
): Promise<boolean> {
  if (order.clientOrderId !== null) await ledger.intents.stored(order.clientOrderId);
  if (order.status === "REJECTED") {
    // A refusal is the intent's outcome, not an order (the paper broker's has no order id).
    if (order.clientOrderId === null) return false;
    const rows = await ledger.sql`
      update intents set state = 'rejected', retryable = false, settled_at = now(),
        error = coalesce(error, 'refused by the broker')
      where client_order_id = ${order.clientOrderId} and state in ('pending', 'unsent')
      returning client_order_id`;
    return rows.length > 0;
  }
  return await ledger.sql.begin(async (tx) => {
    const [known] = await tx`select 1 from orders where order_id = ${order.orderId}`;
    if (known === undefined) {
      if (order.clientOrderId === null) return false;
      const added = await insertOrderFromIntent(
        tx,
        order.orderId,
        order.clientOrderId,
        order.status,
      );
      if (!added) return false;
      await tx`
        update intents set state = 'acked', settled_at = coalesce(settled_at, now())
        where client_order_id = ${order.clientOrderId} and state in ('pending', 'unsent')`;
    }
    // The matched size only grows, and a final status (matched, canceled…) never turns LIVE
    // again: a late report of an older state changes neither.
    await tx`
      update orders set updated_at = now(),
        status = case when ${order.status} = 'LIVE' and status <> 'LIVE' then status
                      else ${order.status} end,
        size_matched = greatest(size_matched, ${order.sizeMatched}::numeric)
      where order_id = ${order.orderId}`;
    await tx`
      insert into order_events (order_id, status, size_matched, at, source)
      values (${order.orderId}, ${order.status}, ${order.sizeMatched}::numeric,
        ${new Date(options.at)}, ${options.source})
      on conflict (order_id, status, size_matched) do nothing`;
    return true;
  });
}

/**
 * Books one fill with its position and cash changes in one transaction. Idempotent: a fill id
 * already booked changes nothing and returns false.
 */
export async function recordFill(ledger: Ledger, fill: Fill): Promise<boolean> {
  if (fill.clientOrderId !== null) await ledger.intents.stored(fill.clientOrderId);
  const booked = await ledger.sql.begin(async (tx) => {
    const inserted = await tx`
      insert into fills (fill_id, order_id, client_order_id, token_id, side, price, size, fee,
        liquidity, at)
      values (${fill.fillId}, ${fill.orderId}, ${fill.clientOrderId}, ${fill.tokenId}, ${fill.side},
        ${fill.price}::numeric, ${fill.size}::numeric, ${fill.fee}::numeric, ${fill.liquidity},
        ${new Date(fill.at)})
      on conflict (fill_id) do nothing
      returning fill_id`;
    if (inserted.length === 0) return false;
    await movePosition(tx, fill.tokenId, (held) => applyTrade(held, fill), fill.fee);
    const at = new Date(fill.at);
    await tx`
      insert into cash (reason, ref, amount, at) values
        ('fill', ${fill.fillId}, ${fillCash(fill.side, fill.price, fill.size)}::numeric, ${at}),
        ('fee', ${fill.fillId}, ${formatDec(-parseDec(fill.fee))}::numeric, ${at})
      on conflict (reason, ref) do nothing`;
    await tx`
      update orders set updated_at = now(), size_matched = greatest(size_matched,
        (select coalesce(sum(size), 0) from fills where order_id = ${fill.orderId}))
      where order_id = ${fill.orderId}`;
    return true;
  });
  if (booked) {
    ledger.log.info("fill_booked", {
      fillId: fill.fillId,
      orderId: fill.orderId,
      tokenId: fill.tokenId,
      side: fill.side,
    });
  }
  return booked;
}

/** What `placeOrder` knows once the broker call is over. */
export type PlaceOutcome =
  | {
    readonly kind: "acked";
    readonly orderId: string;
    readonly status: string;
    /** Shares matched, when the broker's answer said (`SubmitResult.sizeMatched`). */
    readonly sizeMatched?: string;
  }
  | { readonly kind: "rejected"; readonly error: string; readonly retryable: boolean }
  /** The call failed or was aborted: the intent stays pending until `recover` looks it up. */
  | { readonly kind: "unknown"; readonly error: string };

/**
 * Records the intent, sends it, records the answer. A submit that throws (transport, abort)
 * leaves the intent pending: whether the broker has it is unknown, and only `recover` (a
 * lookup by client order id) settles it, so the order is never sent twice.
 * @throws {TradingHaltedError} @throws {DuplicateIntentError} before anything is sent
 */
export async function placeOrder(
  ledger: Ledger,
  broker: Broker,
  request: OrderRequest,
  options: { readonly signal?: AbortSignal } = {},
): Promise<PlaceOutcome> {
  await recordIntent(ledger, request);
  let result: SubmitResult;
  try {
    result = await broker.submit(request, options.signal);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    ledger.log.warn("order_outcome_unknown", { clientOrderId: request.clientOrderId, error });
    return { kind: "unknown", error };
  }
  await recordAck(ledger, result);
  if (!result.ok) {
    ledger.log.info("order_rejected", {
      clientOrderId: request.clientOrderId,
      error: result.error,
    });
    return { kind: "rejected", error: result.error, retryable: result.retryable };
  }
  const { orderId, status, sizeMatched } = result;
  return sizeMatched === undefined
    ? { kind: "acked", orderId, status }
    : { kind: "acked", orderId, status, sizeMatched };
}

/** Adds the order row from its intent; false when there is no such intent. */
async function insertOrderFromIntent(
  tx: Queryable,
  orderId: string,
  clientOrderId: string,
  status: string,
): Promise<boolean> {
  const rows = await tx`
    insert into orders (order_id, client_order_id, token_id, side, order_type, price,
      original_size, status, created_at)
    select ${orderId}, client_order_id, token_id, side, order_type, price, size, ${status},
      created_at
    from intents where client_order_id = ${clientOrderId}
    -- No conflict target: the ack and the broker's own report of the same order can insert it
    -- at once, and the loser then meets the client_order_id key as well as the order_id one.
    on conflict do nothing
    returning order_id`;
  if (rows.length > 0) return true;
  const [exists] = await tx`select 1 from orders where order_id = ${orderId}`;
  return exists !== undefined;
}
