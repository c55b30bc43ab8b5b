/**
 * The price half of `backfill --resolved`: one request per token, CLOB
 * `/prices-history?market=TOKEN&interval=max&fidelity=F`, the token's whole life in one answer.
 * F is the requested fidelity, raised for a long life so the answer stays under the venue's
 * ~4,300-point cap (F ≥ life / 4,000 minutes).
 *
 * The venue decides what it still serves: the fidelity got is the median spacing of the points
 * (rounded to the minute; F when fewer than two). Points are stored in `price_history` (source
 * `resolved_backfill`) at the fidelity got; a token with no points is recorded as a gap
 * (collector `history`, cause `no_history`), one served coarser than F as `coarse_history`
 * with both fidelities. The points and the token's checkpoint (kind `resolved_prices`) are
 * written by one statement and the gap before it, idempotently, so a crash at worst repeats
 * one request.
 *
 * @example
 * ```ts ignore
 * import { fillTokenHistory } from "./resolved_prices.ts";
 * const got = await fillTokenHistory(deps, token, { fidelityMinutes: 60, signal });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { col, iso } from "../db/_columns.ts";
import { recordGaps, recordRejects } from "../db/ops.ts";
import { fetchPriceHistory } from "../polymarket/clob.ts";
import type { TokenId } from "../polymarket/ids.ts";
import { type ResolvedDeps, type ResolvedRange, tokenHistoryKey } from "./resolved_catalog.ts";

/** Source value of the price points this backfill writes. */
export const RESOLVED_PRICES_SOURCE = "resolved_backfill";
/** Gap collector for what the venue no longer serves. */
export const HISTORY_GAP_COLLECTOR = "history";
/** Points one answer may hold before the venue's cap (~4,300) cuts it. */
const MAX_POINTS = 4000;

/** A backfilled market's token whose history is not stored yet. */
export interface TokenToFill {
  tokenId: string;
  marketId: string;
  startAt: Date | null;
  endAt: Date | null;
  closedAt: Date | null;
}

/** What one token's request brought. */
export interface TokenFill {
  rows: number;
  points: number;
  fidelityRequested: number;
  fidelityServed: number | null;
  gap: "no_history" | "coarse_history" | null;
}

/** Tokens of the range's backfilled closed markets whose history at `fidelity` is not done. */
export async function listTokensToFill(
  sql: Queryable,
  range: ResolvedRange,
  fidelityMinutes: number,
): Promise<TokenToFill[]> {
  const rows = await sql<
    {
      token_id: string;
      market_id: string;
      start_date: Date | null;
      end_date: Date | null;
      closed_time: Date | null;
    }[]
  >`
    select t.token_id, m.market_id, m.start_date, m.end_date, m.closed_time
    from markets m join tokens t on t.market_id = m.market_id
    where m.backfilled_at is not null and m.closed
      and m.end_date >= ${range.since}
      and (${range.until}::timestamptz is null or m.end_date <= ${range.until})
      and not exists (
        select 1 from backfill_checkpoints c
        where c.task_key = 'resolved:prices:' || t.token_id || ':' || ${fidelityMinutes}::text
          and c.done_at is not null)
    order by m.market_id, t.outcome_index`;
  return rows.map((r) => ({
    tokenId: r.token_id,
    marketId: r.market_id,
    startAt: r.start_date,
    endAt: r.end_date,
    closedAt: r.closed_time,
  }));
}

/** The fidelity to ask for: `requested`, raised so the whole life fits in one answer. */
export function fidelityFor(token: TokenToFill, requested: number): number {
  const end = token.closedAt ?? token.endAt;
  if (token.startAt === null || end === null) return requested;
  const lifeMinutes = (end.getTime() - token.startAt.getTime()) / 60_000;
  return Math.max(requested, Math.ceil(lifeMinutes / MAX_POINTS));
}

/**
 * The fidelity (minutes) the venue served when asked for `requested`: the median spacing of
 * the sorted unix-ms instants, taken as `requested` itself up to 1.5 × `requested` (one point
 * per bucket from a grid that does not divide the bucket spaces them unevenly around it);
 * null with fewer than two points.
 */
export function servedFidelity(instants: readonly number[], requested: number): number | null {
  if (instants.length < 2) return null;
  const gaps = instants.slice(1).map((t, i) => t - instants[i]!).sort((a, b) => a - b);
  const median = Math.max(1, Math.round(gaps[Math.floor(gaps.length / 2)]! / 60_000));
  return median <= 1.5 * requested ? requested : median;
}

/** Fetches and stores one token's whole history; closes its checkpoint. */
export async function fillTokenHistory(
  deps: ResolvedDeps,
  token: TokenToFill,
  options: { fidelityMinutes: number; signal: AbortSignal },
): Promise<TokenFill> {
  const now = deps.now ?? Date.now;
  const fidelity = fidelityFor(token, options.fidelityMinutes);
  const requestedAt = Math.floor(now() / 1000) * 1000;
  const batch = await fetchPriceHistory(deps.http, token.tokenId as TokenId, {
    signal: options.signal,
    range: { interval: "max", fidelity },
  });
  if (batch.rejects.length > 0) {
    await recordRejects(
      deps.sql,
      batch.rejects.map((r) => ({
        source: "clob:prices-history",
        reason: r.reason,
        path: r.path,
        raw: JSON.stringify(r.raw),
      })),
    );
  }
  // A live market's answer ends with a point stamped "now": never part of a closed history.
  const points = batch.items.filter((p) => p.at.getTime() < requestedAt)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const served = servedFidelity(points.map((p) => p.at.getTime()), fidelity);
  const stored = Math.max(fidelity, served ?? fidelity);
  const gap = points.length === 0
    ? "no_history"
    : served !== null && served > fidelity
    ? "coarse_history"
    : null;
  const start = token.startAt ?? token.endAt ?? token.closedAt ?? new Date(requestedAt);
  const end = token.closedAt ?? token.endAt ?? start;
  const detail = {
    marketId: token.marketId,
    fidelityRequested: fidelity,
    fidelityServed: served,
    points: points.length,
  };
  if (gap !== null) {
    await recordGaps(deps.sql, [{
      collector: HISTORY_GAP_COLLECTOR,
      scope: token.tokenId,
      startAt: start,
      endAt: end < start ? start : end,
      cause: gap,
      detail,
    }]);
  }
  // Points and checkpoint in one statement: both are stored, or neither.
  const end2 = end < start ? start : end;
  const [saved] = await deps.sql<{ rows: number }[]>`
    with ins as (
      insert into price_history (token_id, ts, fidelity_minutes, price, source)
      select ${token.tokenId}, u.ts, ${stored}, u.price, ${RESOLVED_PRICES_SOURCE}
      from unnest(${col(points, (p) => iso(p.at))}::timestamptz[],
                  ${col(points, (p) => p.price)}::numeric[]) as u(ts, price)
      on conflict (token_id, ts, fidelity_minutes) do nothing
      returning 1),
    n as (select count(*)::int as rows from ins)
    insert into backfill_checkpoints as c (task_key, kind, scope, start_at, end_at, done_until,
                                           rows_written, requests, done_at, detail)
    select ${tokenHistoryKey(token.tokenId, options.fidelityMinutes)}, 'resolved_prices',
           ${token.tokenId}, ${start}::timestamptz, ${end2}::timestamptz, ${end2}::timestamptz,
           n.rows, 1, now(), ${JSON.stringify(detail)}::text::jsonb
    from n
    on conflict (task_key) do update set
      rows_written = c.rows_written + excluded.rows_written, requests = c.requests + 1,
      done_at = coalesce(c.done_at, excluded.done_at), done_until = excluded.done_until,
      detail = c.detail || excluded.detail, updated_at = now()
    returning (select rows from n) as rows`;
  const rows = saved?.rows ?? 0;
  return {
    rows,
    points: points.length,
    fidelityRequested: fidelity,
    fidelityServed: served,
    gap,
  };
}
