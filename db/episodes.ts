/**
 * The `episodes` table (migration 0009): one row per scanner episode, written when it opens
 * and rewritten at its peak and when it is final. The key is (relation, channel, replayed,
 * start), so re-running a backtest over the same events rewrites the same rows.
 *
 * @example
 * ```ts ignore
 * import { listEpisodes, upsertEpisodes } from "./episodes.ts";
 * await upsertEpisodes(sql, [row]);
 * const day = await listEpisodes(sql, { since, until });
 * ```
 */
import type { Queryable } from "./client.ts";

/** One episode as stored: decimals as text, instants as Dates. */
export interface EpisodeRow {
  readonly startedAt: Date;
  readonly relationKey: string;
  readonly channel: string;
  readonly replayed: boolean;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
  readonly peakAt: Date;
  readonly peakProfit: string;
  readonly peakShares: string;
  readonly peakCapacity: string;
  readonly survival250msProfit: string | null;
  readonly survival1sProfit: string | null;
  readonly final: boolean;
  readonly bookAgesMs: readonly number[];
  readonly legs: unknown;
  readonly observations: number;
  readonly startSequence: number;
}

/** Inserts or rewrites episodes; `written_at` keeps the first commit (detection latency). */
export async function upsertEpisodes(sql: Queryable, rows: readonly EpisodeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map((r) => ({
    started_at: r.startedAt.toISOString(),
    relation_key: r.relationKey,
    channel: r.channel,
    replayed: r.replayed,
    ended_at: r.endedAt?.toISOString() ?? null,
    end_reason: r.endReason,
    peak_at: r.peakAt.toISOString(),
    peak_profit: r.peakProfit,
    peak_shares: r.peakShares,
    peak_capacity: r.peakCapacity,
    survival_250ms_profit: r.survival250msProfit,
    survival_1s_profit: r.survival1sProfit,
    final: r.final,
    book_ages_ms: r.bookAgesMs,
    legs: r.legs,
    observations: r.observations,
    start_sequence: r.startSequence,
  }));
  await sql`
    insert into episodes (started_at, relation_key, channel, replayed, ended_at, end_reason,
      peak_at, peak_profit, peak_shares, peak_capacity, survival_250ms_profit,
      survival_1s_profit, final, book_ages_ms, legs, observations, start_sequence)
    select (e->>'started_at')::timestamptz, e->>'relation_key', e->>'channel',
      (e->>'replayed')::boolean, (e->>'ended_at')::timestamptz, e->>'end_reason',
      (e->>'peak_at')::timestamptz, (e->>'peak_profit')::numeric,
      (e->>'peak_shares')::numeric, (e->>'peak_capacity')::numeric,
      (e->>'survival_250ms_profit')::numeric, (e->>'survival_1s_profit')::numeric,
      (e->>'final')::boolean,
      array(select jsonb_array_elements_text(e->'book_ages_ms')::integer),
      e->'legs', (e->>'observations')::integer, (e->>'start_sequence')::bigint
    from jsonb_array_elements(${sql.json(json as never)}::jsonb) as e
    on conflict (relation_key, channel, replayed, started_at) do update set
      ended_at = excluded.ended_at, end_reason = excluded.end_reason,
      peak_at = excluded.peak_at, peak_profit = excluded.peak_profit,
      peak_shares = excluded.peak_shares, peak_capacity = excluded.peak_capacity,
      survival_250ms_profit = excluded.survival_250ms_profit,
      survival_1s_profit = excluded.survival_1s_profit, final = excluded.final,
      book_ages_ms = excluded.book_ages_ms, legs = excluded.legs,
      observations = excluded.observations`;
}

/** Stored episodes that started in [since, until), oldest first. */
export async function listEpisodes(
  sql: Queryable,
  range: { readonly since: Date; readonly until: Date; readonly replayed?: boolean },
): Promise<EpisodeRow[]> {
  const replayed = range.replayed ?? null;
  const rows = await sql<{
    started_at: Date;
    relation_key: string;
    channel: string;
    replayed: boolean;
    ended_at: Date | null;
    end_reason: string | null;
    peak_at: Date;
    peak_profit: string;
    peak_shares: string;
    peak_capacity: string;
    survival_250ms_profit: string | null;
    survival_1s_profit: string | null;
    final: boolean;
    book_ages_ms: number[];
    legs: unknown;
    observations: number;
    start_sequence: string;
  }[]>`
    select started_at, relation_key, channel, replayed, ended_at, end_reason, peak_at,
      peak_profit::text, peak_shares::text, peak_capacity::text,
      survival_250ms_profit::text, survival_1s_profit::text, final, book_ages_ms, legs,
      observations, start_sequence::text
    from episodes
    where started_at >= ${range.since} and started_at < ${range.until}
      and (${replayed}::boolean is null or replayed = ${replayed})
    order by started_at, relation_key, channel`;
  return rows.map((r) => ({
    startedAt: r.started_at,
    relationKey: r.relation_key,
    channel: r.channel,
    replayed: r.replayed,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    peakAt: r.peak_at,
    peakProfit: r.peak_profit,
    peakShares: r.peak_shares,
    peakCapacity: r.peak_capacity,
    survival250msProfit: r.survival_250ms_profit,
    survival1sProfit: r.survival_1s_profit,
    final: r.final,
    bookAgesMs: r.book_ages_ms,
    legs: r.legs,
    observations: r.observations,
    startSequence: Number(r.start_sequence),
  }));
}
