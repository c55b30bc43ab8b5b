/**
 * Whether new orders may be sent (the one-row `trading_state` table, migration 0014). A
 * reconciliation difference halts trading (execution/reconcile.ts); `recordIntent` refuses every
 * new order while it is halted; only a person clears it, with `resumeTrading` (`pmcollect
 * resume`; the kill switch of the next issue halts and resumes through the same two functions).
 *
 * @example
 * ```ts ignore
 * import { haltTrading, resumeTrading, tradingState } from "./trading_state.ts";
 * await haltTrading(sql, { reason: "manual check", by: "ops" });
 * (await tradingState(sql)).halted; // true
 * await resumeTrading(sql, { by: "ops" });
 * ```
 */
import type { Queryable } from "../db/client.ts";

export interface TradingState {
  readonly halted: boolean;
  readonly reason: string | null;
  readonly since: Date;
  readonly updatedBy: string | null;
}

/**
 * The current state; `lock` takes a share lock on the row for the rest of the caller's
 * transaction (a halt waits for an intent being recorded, and the next intent sees the halt).
 * A missing row (a table emptied by hand) reads as halted.
 */
export async function tradingState(
  sql: Queryable,
  options: { readonly lock?: boolean } = {},
): Promise<TradingState> {
  const rows = options.lock === true
    ? await sql<Row[]>`select halted, reason, since, updated_by from trading_state for share`
    : await sql<Row[]>`select halted, reason, since, updated_by from trading_state`;
  const row = rows[0];
  if (row === undefined) {
    return {
      halted: true,
      reason: "the trading_state row is missing",
      since: new Date(0),
      updatedBy: null,
    };
  }
  return { halted: row.halted, reason: row.reason, since: row.since, updatedBy: row.updated_by };
}

/** Stops new orders until `resumeTrading`; a second halt keeps the first reason and instant. */
export async function haltTrading(
  sql: Queryable,
  options: { readonly reason: string; readonly by: string },
): Promise<void> {
  await sql`
    insert into trading_state (id, halted, reason, since, updated_by)
    values (true, true, ${options.reason}, now(), ${options.by})
    on conflict (id) do update set
      reason = case when trading_state.halted then trading_state.reason else excluded.reason end,
      since = case when trading_state.halted then trading_state.since else excluded.since end,
      updated_by = case when trading_state.halted then trading_state.updated_by
                        else excluded.updated_by end,
      halted = true`;
}

/**
 * Lets new orders through again and marks every open reconciliation difference as looked at
 * by `by`. Returns false when trading was not halted.
 */
export async function resumeTrading(
  sql: Queryable,
  options: { readonly by: string },
): Promise<boolean> {
  const rows = await sql`
    update trading_state set halted = false, reason = null, since = now(), updated_by = ${options.by}
    where halted
    returning id`;
  await sql`
    update reconciliations set cleared_at = now(), cleared_by = ${options.by}
    where not ok and cleared_at is null`;
  return rows.length > 0;
}

interface Row {
  halted: boolean;
  reason: string | null;
  since: Date;
  updated_by: string | null;
}
