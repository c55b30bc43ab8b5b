/**
 * Whether new orders may be sent (the one-row `trading_state` table, migrations 0014 and 0017).
 * Three modes: active; reducing (the risk engine, execution/risk.ts, lets through only orders
 * that reduce exposure); halted (`recordIntent` refuses every new order). A reconciliation
 * difference and the kill switch (execution/kill_switch.ts) halt; a breach of an exposure limit
 * moves to reducing; only a person clears either, with `resumeTrading` (`pmcollect resume`).
 * Modes only escalate: reducing never softens a halt. Every change is kept in
 * `trading_state_changes`.
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
import type { TradingMode } from "./risk.ts";

export interface TradingState {
  readonly mode: TradingMode;
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
    ? await sql<Row[]>`select mode, halted, reason, since, updated_by from trading_state for share`
    : await sql<Row[]>`select mode, halted, reason, since, updated_by from trading_state`;
  const row = rows[0];
  if (row === undefined) {
    return {
      mode: "halted",
      halted: true,
      reason: "the trading_state row is missing",
      since: new Date(0),
      updatedBy: null,
    };
  }
  return {
    mode: row.mode,
    halted: row.halted,
    reason: row.reason,
    since: row.since,
    updatedBy: row.updated_by,
  };
}

/** Stops new orders until `resumeTrading`; a second halt keeps the first reason and instant. */
export async function haltTrading(
  sql: Queryable,
  options: { readonly reason: string; readonly by: string },
): Promise<void> {
  await escalate(sql, "halted", options);
}

/**
 * Lets through only orders that reduce exposure until `resumeTrading`; does nothing while
 * halted, and a second call keeps the first reason and instant. Returns true when it changed
 * the mode.
 */
export async function reduceTrading(
  sql: Queryable,
  options: { readonly reason: string; readonly by: string },
): Promise<boolean> {
  return await escalate(sql, "reducing", options);
}

/** Moves to `mode` unless the state is already there or beyond; logs a change. */
async function escalate(
  sql: Queryable,
  mode: "reducing" | "halted",
  options: { readonly reason: string; readonly by: string },
): Promise<boolean> {
  const rank = mode === "halted" ? 2 : 1;
  const rows = await sql`
    with current as (
      select coalesce((select case mode when 'halted' then 2 when 'reducing' then 1 else 0 end
                       from trading_state), -1) as rank),
    moved as (
      insert into trading_state (id, mode, halted, reason, since, updated_by)
      select true, ${mode}, ${mode === "halted"}, ${options.reason}, now(), ${options.by}
      from current where current.rank < ${rank}
      on conflict (id) do update set mode = excluded.mode, halted = excluded.halted,
        reason = excluded.reason, since = excluded.since, updated_by = excluded.updated_by
      returning mode)
    insert into trading_state_changes (mode, reason, changed_by)
    select mode, ${options.reason}, ${options.by} from moved
    returning id`;
  return rows.length > 0;
}

/**
 * Lets every order through again (from halted or reducing) and marks every open
 * reconciliation difference as looked at by `by`. Returns false when trading was active.
 */
export async function resumeTrading(
  sql: Queryable,
  options: { readonly by: string; readonly reason?: string },
): Promise<boolean> {
  const rows = await sql`
    update trading_state set mode = 'active', halted = false, reason = null, since = now(),
      updated_by = ${options.by}
    where mode <> 'active'
    returning id`;
  if (rows.length > 0) {
    await sql`
      insert into trading_state_changes (mode, reason, changed_by)
      values ('active', ${options.reason ?? null}, ${options.by})`;
  }
  await sql`
    update reconciliations set cleared_at = now(), cleared_by = ${options.by}
    where not ok and cleared_at is null`;
  return rows.length > 0;
}

interface Row {
  mode: TradingMode;
  halted: boolean;
  reason: string | null;
  since: Date;
  updated_by: string | null;
}
