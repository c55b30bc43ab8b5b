/**
 * Backfill storage: checkpoints (`backfill_checkpoints`), price history (`price_history`)
 * and marking the filled gaps. Every write is an idempotent upsert, so a crash between two
 * statements at worst repeats a request on the next run and never duplicates a row.
 *
 * @example
 * ```ts ignore
 * import { loadCheckpoints } from "./checkpoints.ts";
 * await loadCheckpoints(sql, plan.windows); // sets doneUntil/done from earlier runs
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { col, iso } from "../db/_columns.ts";
import type { BackfillWindow } from "./windows.ts";

/** Fills `doneUntil` and `done` of each window from its stored checkpoint. */
export async function loadCheckpoints(
  sql: Queryable,
  windows: readonly BackfillWindow[],
): Promise<void> {
  if (windows.length === 0) return;
  const rows = await sql<{ task_key: string; done_until: Date | null; done_at: Date | null }[]>`
    select task_key, done_until, done_at from backfill_checkpoints
    where task_key = any(${windows.map((w) => w.key)}::text[])`;
  const byKey = new Map(rows.map((r) => [r.task_key, r]));
  for (const w of windows) {
    const r = byKey.get(w.key);
    w.doneUntil = r?.done_until ?? null;
    w.done = r?.done_at !== null && r?.done_at !== undefined;
  }
}

/** Progress of one window: added rows/requests, and how far it is done. */
export interface CheckpointUpdate {
  doneUntil: Date | null;
  rows: number;
  requests: number;
  done: boolean;
  detail?: Record<string, string | number | boolean>;
}

/** Adds progress to a window's checkpoint (creating it on first use). */
export async function saveCheckpoint(
  sql: Queryable,
  window: BackfillWindow,
  update: CheckpointUpdate,
): Promise<void> {
  await sql`
    insert into backfill_checkpoints as c (task_key, kind, scope, start_at, end_at, done_until,
                                           rows_written, requests, done_at, detail)
    values (${window.key}, ${window.kind}, ${window.scope}, ${window.startAt}, ${window.endAt},
            ${update.doneUntil}, ${update.rows}, ${update.requests},
            ${update.done ? new Date() : null}, ${JSON.stringify(update.detail ?? {})}::jsonb)
    on conflict (task_key) do update set
      done_until = coalesce(excluded.done_until, c.done_until),
      rows_written = c.rows_written + excluded.rows_written,
      requests = c.requests + excluded.requests,
      done_at = coalesce(c.done_at, excluded.done_at),
      detail = c.detail || excluded.detail,
      updated_at = now()`;
  if (update.doneUntil !== null) window.doneUntil = update.doneUntil;
  if (update.done) window.done = true;
}

/** One backfilled price point. */
export interface PriceHistoryRow {
  tokenId: string;
  ts: Date;
  fidelityMinutes: number;
  price: string;
}

/** Inserts price points, skipping those already stored; returns the number of new rows. */
export async function insertPriceHistory(
  sql: Queryable,
  rows: readonly PriceHistoryRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await sql`
    insert into price_history (token_id, ts, fidelity_minutes, price)
    select * from unnest(
      ${col(rows, (r) => r.tokenId)}::text[], ${col(rows, (r) => iso(r.ts))}::timestamptz[],
      ${col(rows, (r) => r.fidelityMinutes)}::integer[], ${col(rows, (r) => r.price)}::numeric[])
    on conflict (token_id, ts, fidelity_minutes) do nothing`;
  return result.count;
}

/**
 * Marks each gap whose windows are all done as backfilled, with the rows its windows wrote;
 * returns how many gaps were marked.
 */
export async function markGapsBackfilled(
  sql: Queryable,
  gaps: readonly {
    gap: { collector: string; scope: string; startAt: Date; cause: string };
    windowKeys: string[];
  }[],
): Promise<number> {
  let marked = 0;
  for (const { gap, windowKeys } of gaps) {
    const [row] = await sql<{ n: string; open: string; rows: string | null }[]>`
      select count(*) as n, count(*) filter (where done_at is null) as open,
             sum(rows_written) as rows
      from backfill_checkpoints where task_key = any(${windowKeys}::text[])`;
    const complete = Number(row?.n ?? 0) === new Set(windowKeys).size && row?.open === "0";
    if (!complete) continue;
    const result = await sql`
      update gaps set backfilled_at = now(), backfill_rows = ${Number(row?.rows ?? 0)}
      where collector = ${gap.collector} and scope = ${gap.scope}
        and start_at = ${gap.startAt} and cause = ${gap.cause} and backfilled_at is null`;
    marked += result.count;
  }
  return marked;
}
