/**
 * Retention: drops a table's data older than `retainDays` whole UTC days, but only data whose
 * export verifies (`verify_day.ts`: files intact, row count and checksum recomputed from the
 * database equal to the manifest's). Never anything else.
 *
 * - Plain PostgreSQL: per day, one REPEATABLE READ transaction verifies then deletes that
 *   day's rows; a row inserted meanwhile is outside the snapshot and stays.
 * - TimescaleDB hypertable: old chunks are grouped by the days they touch; per group, one
 *   transaction locks those chunks (SHARE: writes to them wait, live chunks are untouched),
 *   verifies every day of the group, then `drop_chunks` each chunk by its exact range. A group
 *   with any unverified day is skipped whole, with the reason.
 * - A public view over a storage table (`price_snapshots` → `price_snapshot_data`,
 *   view_storage.ts): the view's export is verified, and the day is freed in the storage table
 *   only when that table holds exactly the rows the view showed for the day. The storage table
 *   itself is refused by name (its export would hold token keys and integer millionths).
 * - Any other view is skipped (retention applies to its base table).
 *
 * @example
 * ```ts
 * import { applyRetention } from "./retention.ts";
 * const outcomes = await applyRetention(sql, "trades", { out: "./export", retainDays: 30, now: new Date(), dryRun: true });
 * ```
 */
import type { Queryable, Sql } from "../db/client.ts";
import {
  dayPartition,
  deleteHourTotals,
  deletePackedRows,
  packedTableOf,
  quoteRelation,
} from "./partition.ts";
import { verifyDay } from "./verify_day.ts";
import { dropVerifiedChunks, hypertableOf, type RetentionOutcome } from "./_retention_chunks.ts";
import { rowsOfDay, storedIn, storedMismatch, viewOf } from "./view_storage.ts";

export type { RetentionOutcome };

export interface RetentionOptions {
  readonly out: string;
  readonly retainDays: number;
  readonly now: Date;
  readonly dryRun: boolean;
  readonly timeColumn?: string;
  readonly signal?: AbortSignal;
}

/** First UTC day kept: today − retainDays. */
export function retentionCutoff(now: Date, retainDays: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - retainDays * 86_400_000);
}

/** Applies retention to one table; returns what was (or, dry run, would be) dropped or skipped. */
export async function applyRetention(
  sql: Sql,
  table: string,
  options: RetentionOptions,
): Promise<RetentionOutcome[]> {
  const cutoff = retentionCutoff(options.now, options.retainDays);
  const timeColumn = options.timeColumn ?? "ts";
  const [kind] = await sql<{ relkind: string }[]>`
    select relkind from pg_class where oid = to_regclass(${table})`;
  if (kind === undefined) throw new RangeError(`Cannot apply retention: no relation "${table}"`);
  const stored = storedIn(table);
  const view = viewOf(table);
  if (view !== undefined) {
    // Its export would hold token keys and integer millionths, unreadable without this program.
    return [{
      table,
      days: "*",
      action: "skipped",
      rows: 0,
      reason: `stores the rows of the view ${view}: apply retention to ${view}, ` +
        `whose export holds token ids and decimals`,
    }];
  }
  if (stored === undefined && (kind.relkind === "v" || kind.relkind === "m")) {
    return [{
      table,
      days: "*",
      action: "skipped",
      rows: 0,
      reason: "a view: apply to its base table",
    }];
  }
  // What is freed: the view's storage table, or the table itself.
  const target = stored ?? table;
  const storedField = stored === undefined ? {} : { stored };
  const hypertable = await hypertableOf(sql, target);
  if (hypertable !== null) {
    return await dropVerifiedChunks(sql, hypertable, {
      ...options,
      table,
      timeColumn,
      cutoff,
      ...storedField,
    });
  }
  const outcomes: RetentionOutcome[] = [];
  for (const day of await oldDays(sql, target, timeColumn, cutoff)) {
    if (options.signal?.aborted) throw options.signal.reason;
    const partition = dayPartition(table, timeColumn, day);
    const outcome = await sql.begin("isolation level repeatable read", async (tx) => {
      const verdict = await verifyDay(tx, partition, options.out);
      if (!verdict.ok) {
        const stale = verdict.stale === true ? { staleDays: [day] } : {};
        return {
          table,
          days: day,
          action: "skipped",
          rows: 0,
          reason: verdict.reason,
          ...stale,
          ...storedField,
        } as const;
      }
      if (stored !== undefined) {
        const held = await rowsOfDay(tx, stored, timeColumn, day);
        if (held !== verdict.rows) {
          return {
            table,
            days: day,
            action: "skipped",
            rows: 0,
            reason: storedMismatch(stored, held, table, verdict.rows),
            ...storedField,
          } as const;
        }
      }
      if (options.dryRun) {
        return {
          table,
          days: day,
          action: "would_drop",
          rows: verdict.rows,
          ...storedField,
        } as const;
      }
      const deleted = await deleteDay(tx, target, timeColumn, day);
      if (deleted !== verdict.rows) {
        throw new Error(
          `Cannot drop ${table} ${day}: verified ${verdict.rows} rows, ` +
            `delete from ${target} matched ${deleted}; rolled back`,
        );
      }
      return { table, days: day, action: "dropped", rows: deleted, ...storedField } as const;
    });
    if (outcome.action === "skipped" || outcome.rows > 0) outcomes.push(outcome);
  }
  return outcomes;
}

/** UTC days before `cutoff` that hold rows, oldest first (walks from the oldest row). */
async function oldDays(
  sql: Sql,
  table: string,
  timeColumn: string,
  cutoff: Date,
): Promise<string[]> {
  const rel = quoteRelation(table);
  const col = quoteRelation(timeColumn);
  // The packed part of a table's rows (migration 0013) goes with its days.
  const packed = packedTableOf(table);
  const packs = packed === undefined
    ? ""
    : `union all select min(first_at) from ${quoteRelation(packed)} where first_at < $1`;
  const [row] = await sql.unsafe<{ first: Date | null }[]>(
    `select min(first) as first from (
       select min(${col}) as first from ${rel} where ${col} < $1 ${packs}) m`,
    [cutoff],
  );
  const days: string[] = [];
  if (row?.first == null) return days;
  const first = row.first;
  for (
    let t = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
    t < cutoff.getTime();
    t += 86_400_000
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

async function deleteDay(
  tx: Queryable,
  table: string,
  timeColumn: string,
  day: string,
): Promise<number> {
  const col = quoteRelation(timeColumn);
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const result = await tx.unsafe(
    `delete from ${quoteRelation(table)} where ${col} >= $1 and ${col} < $2`,
    [from, to],
  );
  const rows = result.count + await deletePackedRows(tx, table, from, to);
  await deleteHourTotals(tx, table, from, to);
  return rows;
}
