/**
 * Operational records: one `collector_runs` row per cycle, `gaps` for what could not be
 * collected, and `rejects` for what could not be parsed (raw payload kept, repeats counted).
 *
 * @example
 * ```ts
 * import { recordGaps } from "./ops.ts";
 * await recordGaps(sql, [{ collector: "prices", scope: "*", startAt, endAt, cause: "overlap" }]);
 * ```
 */
import type { Queryable } from "./client.ts";
import { col, iso } from "./_columns.ts";

export interface CollectorRunRow {
  collector: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: "ok" | "partial" | "failed" | "skipped";
  rowsWritten: number;
  errors: number;
  rejects: number;
  detail?: Record<string, unknown>;
}

/** Records (or completes) one collector cycle. */
export async function recordCollectorRun(sql: Queryable, run: CollectorRunRow): Promise<void> {
  await sql`
    insert into collector_runs (collector, started_at, finished_at, status, rows_written, errors,
                                rejects, detail)
    values (${run.collector}, ${run.startedAt}, ${run.finishedAt}, ${run.status},
            ${run.rowsWritten}, ${run.errors}, ${run.rejects}, ${
    sql.json(toJson(run.detail ?? {}))
  })
    on conflict (collector, started_at) do update set
      finished_at = excluded.finished_at, status = excluded.status,
      rows_written = excluded.rows_written, errors = excluded.errors, rejects = excluded.rejects,
      detail = excluded.detail`;
}

export interface GapRow {
  collector: string;
  /**
   * A token id, a condition id, "*" when everything was missed, or "conn:<id>" for one
   * websocket connection's outage, whose uncovered tokens are listed in `tokens`.
   */
  scope: string;
  startAt: Date;
  endAt: Date;
  cause: string;
  /** The tokens uncovered over [startAt, endAt] (connection outages); absent otherwise. */
  tokens?: readonly string[];
  detail?: Record<string, unknown>;
}

/**
 * Records gaps; the same (collector, scope, start, cause) again extends its end and adds its
 * tokens, so replaying a row (spill files) changes nothing.
 */
export async function recordGaps(sql: Queryable, batch: readonly GapRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const gaps = mergeByKey(batch);
  const result = await sql`
    insert into gaps (collector, scope, start_at, end_at, cause, detail, tokens)
    select c, s, sa, ea, ca, d,
           case when tk is null then null else array(select jsonb_array_elements_text(tk)) end
    from unnest(
      ${col(gaps, (g) => g.collector)}::text[], ${col(gaps, (g) => g.scope)}::text[],
      ${col(gaps, (g) => iso(g.startAt))}::timestamptz[],
      ${col(gaps, (g) => iso(g.endAt))}::timestamptz[], ${col(gaps, (g) => g.cause)}::text[],
      ${col(gaps, (g) => JSON.stringify(g.detail ?? {}))}::jsonb[],
      ${col(gaps, (g) => (g.tokens === undefined ? null : JSON.stringify(g.tokens)))}::jsonb[]
    ) as u(c, s, sa, ea, ca, d, tk)
    on conflict (collector, scope, start_at, cause) do update set
      end_at = greatest(gaps.end_at, excluded.end_at), detail = gaps.detail || excluded.detail,
      tokens = case when gaps.tokens is null then excluded.tokens
                    when excluded.tokens is null then gaps.tokens
                    else array(select distinct t from unnest(gaps.tokens || excluded.tokens) t
                               order by t) end`;
  return result.count;
}

/** One row per key (an upsert may not touch a row twice): the latest end, tokens unioned. */
function mergeByKey(batch: readonly GapRow[]): GapRow[] {
  const byKey = new Map<string, GapRow>();
  for (const g of batch) {
    const key = `${g.collector}\n${g.scope}\n${g.startAt.getTime()}\n${g.cause}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, g);
      continue;
    }
    const tokens = seen.tokens === undefined && g.tokens === undefined
      ? undefined
      : [...new Set([...(seen.tokens ?? []), ...(g.tokens ?? [])])];
    byKey.set(key, {
      ...g,
      endAt: g.endAt > seen.endAt ? g.endAt : seen.endAt,
      detail: { ...seen.detail, ...g.detail },
      ...(tokens === undefined ? {} : { tokens }),
    });
  }
  return [...byKey.values()];
}

export interface StoredGap extends GapRow {
  backfilledAt: Date | null;
}

/** Gaps overlapping [from, to), optionally only those not yet backfilled. */
export async function listGaps(
  sql: Queryable,
  options: { from?: Date; to?: Date; collector?: string; openOnly?: boolean } = {},
): Promise<StoredGap[]> {
  const rows = await sql<
    {
      collector: string;
      scope: string;
      start_at: Date;
      end_at: Date;
      cause: string;
      detail: Record<string, unknown>;
      tokens: string[] | null;
      backfilled_at: Date | null;
    }[]
  >`
    select collector, scope, start_at, end_at, cause, detail, tokens, backfilled_at from gaps
    where end_at >= ${options.from ?? new Date(0)}
      and start_at < ${options.to ?? new Date("9999-01-01")}
      and (${options.collector ?? null}::text is null or collector = ${options.collector ?? null})
      and (${options.openOnly ?? false} = false or backfilled_at is null)
    order by start_at, collector, scope`;
  return rows.map((r) => ({
    collector: r.collector,
    scope: r.scope,
    startAt: r.start_at,
    endAt: r.end_at,
    cause: r.cause,
    detail: r.detail,
    ...(r.tokens === null ? {} : { tokens: r.tokens }),
    backfilledAt: r.backfilled_at,
  }));
}

export interface RejectRow {
  /** The endpoint or channel, e.g. "gamma:/markets/keyset" or "ws:market". */
  source: string;
  reason: string;
  path: string;
  raw: string;
}

/** The longest raw excerpt stored per reject (a longer one ends with its full length). */
export const REJECT_RAW_MAX_CHARS = 2048;
const REASON_MAX_CHARS = 500;
const PATH_MAX_CHARS = 200;

/**
 * Stores rejects; one already stored (same source and payload) only has its count raised.
 * What is stored is made storable first: NUL (which text columns cannot hold) is written as
 * `\u0000` and the raw excerpt is cut to `REJECT_RAW_MAX_CHARS`.
 */
export async function recordRejects(sql: Queryable, batch: readonly RejectRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  // Identical payloads within one batch become one row with their count.
  const unique = new Map<string, { row: RejectRow; hash: string; count: number }>();
  for (const original of batch) {
    const row = {
      source: storable(original.source, PATH_MAX_CHARS),
      reason: storable(original.reason, REASON_MAX_CHARS),
      path: storable(original.path, PATH_MAX_CHARS),
      raw: storable(original.raw, REJECT_RAW_MAX_CHARS),
    };
    const hash = await sha1(`${row.path}\n${row.raw}`);
    const key = `${row.source}\n${hash}`;
    const seen = unique.get(key);
    if (seen === undefined) unique.set(key, { row, hash, count: 1 });
    else seen.count++;
  }
  const items = [...unique.values()];
  const result = await sql`
    insert into rejects as r (source, payload_hash, reason, path, raw, occurrences)
    select * from unnest(
      ${col(items, (i) => i.row.source)}::text[], ${col(items, (i) => i.hash)}::text[],
      ${col(items, (i) => i.row.reason)}::text[], ${col(items, (i) => i.row.path)}::text[],
      ${col(items, (i) => i.row.raw)}::text[], ${col(items, (i) => i.count)}::bigint[])
    on conflict (source, payload_hash) do update set
      occurrences = r.occurrences + excluded.occurrences, last_seen_at = now()`;
  return result.count;
}

/** `text` without NUL bytes, cut to `max` characters (with a marker saying how long it was). */
function storable(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…[${text.length} chars]` : text;
  return cut.includes("\0") ? cut.replaceAll("\0", "\\u0000") : cut;
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
function toJson(value: Record<string, unknown>): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}
