/**
 * The data-quality report (`pmcollect status --quality`, and the numbers /metrics exposes):
 * coverage of the last 24 h and 7 days per collector, gaps by cause and whether they were
 * backfilled, rejects by reason. Database only; the trade-capture cross-check, which asks the
 * Data API, is `crossCheckTrades` in cross_check.ts.
 *
 * @example
 * ```ts ignore
 * import { measureDataQuality } from "./quality.ts";
 * const q = await measureDataQuality(sql, { now: new Date(), booksIntervalMs: 300_000 });
 * q.windows[0]?.prices.coveragePercent;
 * ```
 */
import type { Queryable } from "../db/client.ts";

/** Coverage of one look-back window. */
export interface CoverageWindow {
  label: "24h" | "7d";
  from: Date;
  to: Date;
  /** Minutes with a price snapshot per active token (since the token was first seen). */
  prices: {
    tokensActive: number;
    tokensWithPrices: number;
    minutesExpected: number;
    minutesWithPrices: number;
    coveragePercent: number | null;
    /** Active tokens with prices in fewer than 95 % of their minutes. */
    tokensBelow95: number;
  };
  /** Book-snapshot cadence achieved (mean seconds between snapshots of a token). */
  books: { tokens: number; snapshots: number; achievedIntervalS: number | null };
  /**
   * Active tokens the websocket delivered trades for, of the active ones; trades caught live
   * (a websocket receive time) and trades only the backfill brought.
   */
  trades: { tokensActive: number; tokensWithTrades: number; live: number; backfilled: number };
}

/** Everything the report prints. */
export interface DataQuality {
  at: Date;
  windows: CoverageWindow[];
  /**
   * Per collector and cause. A connection-outage row counts once per token it lists (and its
   * minutes once per token), so the figures mean the same as v0.1's per-token rows.
   */
  gaps: {
    collector: string;
    cause: string;
    gaps: number;
    minutes: number;
    backfilled: number;
    backfillRows: number;
  }[];
  rejects: { source: string; reason: string; occurrences: number; payloads: number }[];
  /** What cannot be backfilled, said plainly. */
  notBackfillable: string[];
}

const WINDOWS = [["24h", 86_400_000], ["7d", 7 * 86_400_000]] as const;

/** Measures data quality at `options.now`. */
export async function measureDataQuality(
  sql: Queryable,
  options: { now: Date },
): Promise<DataQuality> {
  const to = options.now;
  const windows: CoverageWindow[] = [];
  for (const [label, ms] of WINDOWS) {
    const from = new Date(to.getTime() - ms);
    windows.push({ label, from, to, ...await coverage(sql, from, to) });
  }
  const weekAgo = new Date(to.getTime() - 7 * 86_400_000);
  const gaps = await sql<
    { collector: string; cause: string; n: string; minutes: string; done: string; rows: string }[]
  >`
    select collector, cause, sum(k) as n,
           round(sum(k * extract(epoch from (end_at - start_at))) / 60, 1) as minutes,
           coalesce(sum(k) filter (where backfilled_at is not null), 0) as done,
           coalesce(sum(backfill_rows), 0) as rows
    from (select *, coalesce(cardinality(tokens), 1) as k from gaps
          where end_at >= ${weekAgo}) g
    group by collector, cause order by collector, cause`;
  const rejects = await sql<{ source: string; reason: string; n: string; payloads: string }[]>`
    select source, reason, sum(occurrences) as n, count(*) as payloads from rejects
    where last_seen_at >= ${weekAgo} group by source, reason order by 3 desc, source, reason`;
  const bookGaps = gaps.filter((g) => g.collector === "books").reduce((s, g) => s + Number(g.n), 0);
  return {
    at: to,
    windows,
    gaps: gaps.map((g) => ({
      collector: g.collector,
      cause: g.cause,
      gaps: Number(g.n),
      minutes: Number(g.minutes),
      backfilled: Number(g.done),
      backfillRows: Number(g.rows),
    })),
    rejects: rejects.map((r) => ({
      source: r.source,
      reason: r.reason,
      occurrences: Number(r.n),
      payloads: Number(r.payloads),
    })),
    notBackfillable: [
      `book snapshots cannot be backfilled (the venue keeps no historical order books): ${bookGaps} book gap(s) in 7 days stay open`,
    ],
  };
}

async function coverage(sql: Queryable, from: Date, to: Date) {
  const [p] = await sql<
    { active: string; with_prices: string; expected: string; seen: string; below: string }[]
  >`
    with active as (
      select t.token_id,
             floor(extract(epoch from (${to}::timestamptz - greatest(${from}::timestamptz,
                                                                     t.first_seen_at))) / 60)
               as expected
      from tokens t join markets m using (market_id) where m.active and not m.closed),
    seen as (
      select token_id, count(distinct date_trunc('minute', ts)) as minutes from price_snapshots
      where ts >= ${from} and ts < ${to} group by token_id)
    select count(*) as active, count(s.token_id) as with_prices,
           coalesce(sum(greatest(a.expected, 0)), 0) as expected,
           coalesce(sum(least(s.minutes, greatest(a.expected, 0))), 0) as seen,
           count(*) filter (where coalesce(s.minutes, 0) < 0.95 * a.expected) as below
    from active a left join seen s using (token_id)`;
  const [b] = await sql<{ tokens: string; snapshots: string; interval_s: string | null }[]>`
    select count(*) as tokens, coalesce(sum(n), 0) as snapshots,
           avg(extract(epoch from span) / (n - 1)) filter (where n > 1) as interval_s
    from (select token_id, count(*) as n, max(ts) - min(ts) as span from book_snapshots
          where ts >= ${from} and ts < ${to} group by token_id) per_token`;
  // Tokens with live trades among the active ones only: a token whose market closed since
  // traded too, and counting it gave "604/600 active tokens".
  const [t] = await sql<{ tokens: string; live: string; backfilled: string }[]>`
    select count(distinct tr.token_id) filter (where tr.received_at is not null
                                                 and m.active and not m.closed) as tokens,
           count(*) filter (where tr.received_at is not null) as live,
           count(*) filter (where tr.received_at is null) as backfilled
    from trades tr
    left join tokens tk using (token_id)
    left join markets m using (market_id)
    where tr.ts >= ${from} and tr.ts < ${to}`;
  const expected = Number(p?.expected ?? 0);
  const seen = Number(p?.seen ?? 0);
  return {
    prices: {
      tokensActive: Number(p?.active ?? 0),
      tokensWithPrices: Number(p?.with_prices ?? 0),
      minutesExpected: expected,
      minutesWithPrices: seen,
      coveragePercent: expected === 0 ? null : Math.round((1000 * seen) / expected) / 10,
      tokensBelow95: Number(p?.below ?? 0),
    },
    books: {
      tokens: Number(b?.tokens ?? 0),
      snapshots: Number(b?.snapshots ?? 0),
      achievedIntervalS: b?.interval_s == null ? null : Math.round(Number(b.interval_s)),
    },
    trades: {
      tokensActive: Number(p?.active ?? 0),
      tokensWithTrades: Number(t?.tokens ?? 0),
      live: Number(t?.live ?? 0),
      backfilled: Number(t?.backfilled ?? 0),
    },
  };
}
