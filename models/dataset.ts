/**
 * The point-in-time dataset from PostgreSQL (issue 28): one row per resolved binary market and
 * horizon, at the instant `end − horizon` (end = the first of its resolution and its close),
 * with features computed only from rows stored before that instant and metadata as of it
 * (`marketMetadataAsOf`'s rule). What "stored before" means per source, and every feature, is in
 * `_dataset_features.ts` and docs/models.md ("Datasets"). Markets left out are counted by reason.
 *
 * Set-based: one query for the candidates, one for the neg-risk groups, then per batch of
 * market-horizons one query of price lookups and one of book, trades and metadata lookups (each
 * a lateral index probe, asked within an hour before its cut, then a day, then unbounded:
 * `latestAtOrBefore`; trades from their hourly totals, `trade_hours`, and the last hour's
 * trades), the two batches' queries running at once on the pool.
 *
 * @example
 * ```ts ignore
 * import { buildDataset, parseHorizons } from "./dataset.ts";
 * const { rows, excluded } = await buildDataset(sql, { horizons: parseHorizons("1h,24h,7d") });
 * rows[0]?.features.momentum24h;
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { arrayLiteral, col } from "../db/_columns.ts";
import type { DatasetRow } from "./dataset_row.ts";
import { type GroupMember, ROW_METADATA_COLUMNS } from "./_dataset_features.ts";
import {
  buildFromSource,
  type BuildOptions,
  type CandidateScan,
  type DatasetBuild,
  type DatasetSource,
  HOUR_MS,
  hourFloor,
  type ParsedHorizon,
  type RowAnswer,
} from "./_dataset_build.ts";
import {
  type CandidateRecord,
  candidatesOf,
  pricePointOf,
  type PriceRecord,
} from "./_dataset_candidates.ts";

export type { DatasetBuild, DatasetExclusions, ParsedHorizon } from "./_dataset_build.ts";

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses "1h,24h,7d" (whole minutes, hours or days, each once).
 * @throws {RangeError} naming the bad element.
 */
export function parseHorizons(text: string): ParsedHorizon[] {
  const parts = text.split(",").map((s) => s.trim());
  const out: ParsedHorizon[] = [];
  for (const part of parts) {
    const m = /^([1-9]\d{0,4})([mhd])$/.exec(part);
    if (m === null) {
      throw new RangeError(
        `Not a horizon: "${part}" (expected a whole number and a unit m, h or d, e.g. 1h,24h,7d)`,
      );
    }
    if (out.some((h) => h.label === part)) throw new RangeError(`Horizon "${part}" given twice`);
    out.push({ label: part, ms: Number(m[1]) * UNIT_MS[m[2]!]! });
  }
  return out;
}

export interface DatasetOptions extends Omit<BuildOptions, "horizons"> {
  readonly horizons: readonly ParsedHorizon[];
}

/** The rows, the markets left out by reason, and how many markets were candidates. */
export function buildDataset(sql: Queryable, options: DatasetOptions): Promise<DatasetBuild> {
  return buildFromSource(postgresSource(sql), options);
}

/** The rows alone (see {@link buildDataset} for the exclusion counts). */
export async function loadDataset(
  sql: Queryable,
  options: DatasetOptions,
): Promise<DatasetRow[]> {
  return (await buildDataset(sql, options)).rows;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Unix ms of a timestamptz, cut down to the millisecond (as DuckDB's `epoch_ms`). */
const MS = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;

/** The PostgreSQL backend of the build (exported for the benchmark's per-query timings). */
export function postgresSource(sql: Queryable): DatasetSource {
  return {
    candidates: async ({ since, until }): Promise<CandidateScan> => {
      const rows = await sql.unsafe<CandidateRecord[]>(
        `select m.market_id, coalesce(m.event_id, '') as event_id,
           m.neg_risk_market_id as group_key, m.category, r.status, r.winner_token_id,
           t.n as tokens, t.yes as yes_token, t.no as no_token,
           ${MS("coalesce(r.resolved_at, r.first_seen_at)")} as resolved_ms,
           ${MS("m.closed_time")} as closed_ms
         from resolutions r join markets m on m.condition_id = r.condition_id
         cross join lateral (
           select count(*)::int as n,
             min(token_id collate "C") filter (where outcome_index = 0) as yes,
             min(token_id collate "C") filter (where outcome_index = 1) as no
           from tokens where tokens.market_id = m.market_id) t
         where r.status in ('resolved', 'ambiguous')
           and ($1::timestamptz is null or coalesce(r.resolved_at, r.first_seen_at) >= $1)
           and ($2::timestamptz is null or coalesce(r.resolved_at, r.first_seen_at) < $2)
         order by m.market_id collate "C"`,
        [since === null ? null : iso(since), until === null ? null : iso(until)],
      );
      return candidatesOf(rows);
    },
    groupMembers: async (keys) => {
      const rows = await sql.unsafe<
        { key: string; market_id: string; yes_token: string; exists_ms: number | null }[]
      >(
        `select m.neg_risk_market_id as key, m.market_id, t.token_id as yes_token,
           ${MS("coalesce(m.start_date, m.first_seen_at)")} as exists_ms
         from markets m join tokens t on t.market_id = m.market_id and t.outcome_index = 0
         where m.neg_risk_market_id = any($1::text[])
         order by m.neg_risk_market_id, m.market_id collate "C"`,
        [keys as string[]],
      );
      const out = new Map<string, GroupMember[]>();
      for (const r of rows) {
        const list = out.get(r.key) ?? [];
        list.push({ marketId: r.market_id, yesToken: r.yes_token, existsFrom: r.exists_ms });
        out.set(r.key, list);
      }
      return out;
    },
    prices: async (lookups) => {
      // Each token once; each lookup names its token by position: the ids are long, and each
      // is asked for about eight times.
      const position = new Map<string, number>();
      const at = lookups.map((l) => {
        let n = position.get(l.token);
        if (n === undefined) position.set(l.token, n = position.size + 1);
        return n;
      });
      const tokens = arrayLiteral([...position.keys()]);
      // Tokens with backfilled points: only their lookups probe price_history.
      const backfilled = new Set(
        (await sql.unsafe<{ n: number }[]>(
          `select t.n::int as n from unnest($1::text[]) with ordinality as t(token, n)
           where exists (select 1 from price_history ph where ph.token_id = t.token)`,
          [tokens],
        )).map((r) => r.n),
      );
      const history = lookups.flatMap((_, i) => backfilled.has(at[i]!) ? [i] : []);
      const [[snapshots], [points]] = await Promise.all([
        sql.unsafe<SnapshotColumns[]>(SNAPSHOTS_SQL, [
          tokens,
          arrayLiteral(at),
          col(lookups, (l) => l.cut),
        ]),
        history.length === 0 ? [] as HistoryColumns[] : sql.unsafe<HistoryColumns[]>(HISTORY_SQL, [
          tokens,
          col(history, (i) => at[i]!),
          col(history, (i) => lookups[i]!.cut),
        ]),
      ]);
      const records: (PriceRecord | undefined)[] = new Array(lookups.length);
      if (snapshots !== undefined) readSnapshots(snapshots, records);
      if (points !== undefined) readPoints(points, history, records);
      return records.map((r) => r === undefined ? null : pricePointOf(r));
    },
    rows: async (lookups) => {
      // The windows' totals come from whole hours of trade_hours, and their last hour's trades
      // count in both (see ROWS_SQL).
      const unfit = lookups.find((l) =>
        l.tradeFrom % HOUR_MS || l.tradeFromShort % HOUR_MS ||
        l.tradeFromShort > hourFloor(l.tradeUntil)
      );
      if (unfit !== undefined) {
        throw new RangeError(
          "Trade windows must start on a whole hour at least an hour before they end: " +
            `${iso(unfit.tradeFrom)}, ${iso(unfit.tradeFromShort)} to ${iso(unfit.tradeUntil)}`,
        );
      }
      const rows = await sql.unsafe<
        {
          book_ts: number | null;
          bid_usd: string | null;
          ask_usd: string | null;
          n_short: number;
          usd_short: string;
          n_long: number;
          usd_long: string;
          metadata: Record<string, unknown> | null;
        }[]
      >(ROWS_SQL, [
        col(lookups, (l) => l.marketId),
        col(lookups, (l) => l.yesToken),
        col(lookups, (l) => l.noToken),
        col(lookups, (l) => l.instant),
        col(lookups, (l) => l.bookCut),
        col(lookups, (l) => l.tradeFrom),
        col(lookups, (l) => l.tradeFromShort),
        col(lookups, (l) => l.tradeUntil),
        col(lookups, (l) => hourFloor(l.tradeUntil)),
      ]);
      return rows.map((r): RowAnswer => ({
        book: r.book_ts === null
          ? null
          : { ts: r.book_ts, bidUsd: Number(r.bid_usd), askUsd: Number(r.ask_usd) },
        trades: {
          countShort: r.n_short,
          notionalShort: Number(r.usd_short),
          countLong: r.n_long,
          notionalLong: Number(r.usd_long),
        },
        metadata: r.metadata,
      }));
    },
    metadata: async (lookups) => {
      const rows = await sql.unsafe<{ metadata: Record<string, unknown> | null }[]>(
        METADATA_SQL,
        [col(lookups, (l) => l.marketId), col(lookups, (l) => l.instant)],
      );
      return rows.map((r) => r.metadata);
    },
  };
}

/**
 * The snapshot lookups' answers as stored, one column each (see {@link columnsOf}): each answer's
 * position among the lookups (`i`), the snapshot's stamp in Unix microseconds, its prices in
 * millionths, and the `exact` JSON of the answers that have one (the decimals that did not fit
 * millionths, migration 0008), by position. Read from the table that stores the view, keyed
 * `(token_key, ts)`: the planner does not carry "latest per token" through the view's join, and
 * going back through the view costs two more index probes per lookup. Decoding here rather than
 * as the view does (`pm_decimal`, numeric text) halves the query's cost per row and gives the
 * same numbers (see {@link decimalOf}).
 */
interface SnapshotColumns {
  i: string | null;
  us: string | null;
  price: string | null;
  best_bid: string | null;
  best_ask: string | null;
  last_trade_price: string | null;
  exact: Record<string, Record<string, string>> | null;
}

/** The backfilled points' answers: position among the history lookups, stamp and price. */
interface HistoryColumns {
  i: string | null;
  us: string | null;
  price: string | null;
}

/** Each snapshot answer into `records` at its lookup's position. */
function readSnapshots(c: SnapshotColumns, records: (PriceRecord | undefined)[]): void {
  const [i, us, price, bid, ask, last] = [
    c.i,
    c.us,
    c.price,
    c.best_bid,
    c.best_ask,
    c.last_trade_price,
  ].map(numbersOf) as [number[], number[], ...(number | null)[][]];
  for (let n = 0; n < i.length; n++) {
    const exact = c.exact?.[i[n]!] ?? null;
    records[i[n]! - 1] = {
      ts: msOf(us[n]!),
      price: decimalOf(exact, "price", price![n]!),
      bestBid: decimalOf(exact, "best_bid", bid![n]!),
      bestAsk: decimalOf(exact, "best_ask", ask![n]!),
      last: decimalOf(exact, "last_trade_price", last![n]!),
      hTs: null,
      hPrice: null,
    };
  }
}

/** Each backfilled point into the record of its lookup (`history`: the lookups asked). */
function readPoints(
  c: HistoryColumns,
  history: readonly number[],
  records: (PriceRecord | undefined)[],
): void {
  const [i, us, price] = [c.i, c.us, c.price].map(numbersOf) as number[][];
  for (let n = 0; n < i!.length; n++) {
    const record = records[history[i![n]! - 1]!] ??= { ...NO_SNAPSHOT };
    record.hTs = msOf(us![n]!);
    record.hPrice = price![n]!;
  }
}

const NO_SNAPSHOT: PriceRecord = {
  ts: null,
  price: null,
  bestBid: null,
  bestAsk: null,
  last: null,
  hTs: null,
  hPrice: null,
};

/**
 * The timestamptz of Unix ms sent as int8 (exact: a double of seconds with three decimals is
 * within a fraction of a µs of the instant, and `to_timestamp` rounds to the µs). Instants go as
 * one array literal of integers per column: the driver's own encoding of a Date array (ISO text
 * per element, escaped) and the server's parse of it were a quarter of the build's CPU.
 */
const AT = (column: string) => `to_timestamp(${column}::float8 / 1000)`;

/** Unix microseconds of a timestamptz, exact (int8). */
const US = (column: string) => `(extract(epoch from ${column}) * 1000000)::int8`;

/** Unix ms (cut down, as `floor(epoch * 1000)` and DuckDB's `epoch_ms`) from Unix µs. */
const msOf = (us: number) => Math.floor(us / 1000);

/**
 * A query's rows as one row of columns: each column's values joined by commas (`string_agg`
 * over the rows in one order, so the n-th values belong together; NULL as an empty field, and
 * no rows as NULL). The driver's cost is per row whatever its columns: the snapshot lookups'
 * 69,000 answers a build cost the program 270 ms as rows, 110 ms as columns with their parse,
 * the server the same either way. For integers and numeric text only (no commas).
 */
function columnsOf(query: string, columns: readonly string[], extra = ""): string {
  const agg = columns.map((c) => `string_agg(coalesce(a.${c}::text, ''), ',') as ${c}`);
  return `select ${[...agg, ...(extra === "" ? [] : [extra])].join(", ")} from (${query}) a`;
}

/** A column of {@link columnsOf} as numbers (null for an empty field). */
function numbersOf(text: string | null): (number | null)[] {
  return text === null ? [] : text.split(",").map((f) => f === "" ? null : Number(f));
}

/**
 * The stored decimal as the nearest double: the `exact` text when the row has one, else the
 * millionths divided by 10⁶ (one correctly rounded division of two exact doubles, so the same
 * double as `Number(pm_decimal(v)::text)`).
 */
function decimalOf(
  exact: Record<string, string> | null,
  column: string,
  micro: number | null,
): number | null {
  const text = exact?.[column];
  if (text !== undefined && text !== null) return Number(text);
  return micro === null ? null : micro / 1_000_000;
}

/**
 * Lookups as `q (token, token_key, cut, i)`, `i` their 1-based position: $1 the tokens, $2 each
 * lookup's token (its 1-based position in $1), $3 its cut.
 */
const LOOKUPS = `
  tk as materialized (
    select t.n::int as n, t.token, k.token_key
    from unnest($1::text[]) with ordinality as t(token, n)
    left join token_keys k on k.token_id = t.token),
  q as (
    select tk.token, tk.token_key, ${AT("u.cut")} as cut, u.i
    from unnest($2::int4[], $3::int8[]) with ordinality as u(t, cut, i)
    join tk on tk.n = u.t)`;

/**
 * How far before a cut each as-of lookup asks first, then next, before it asks without a lower
 * bound (see {@link latestAtOrBefore}): an hour holds the collector's prices (one a minute) and
 * books (one per cycle, 5 minutes by default) and backfilled points of hourly fidelity; a day,
 * sparser series.
 */
const RECENT = ["1 hour", "1 day"] as const;

/**
 * The latest row at or before `cut` of one key's series, as the body of a lateral subquery:
 * `select <columns> from <from> where <key> and ts <= cut order by <order> limit 1`, asked within
 * each of {@link RECENT} before the cut in turn, then without a lower bound. The answer is the
 * same (the latest row of a window ending at the cut is the latest of all); the cost is not.
 * PostgreSQL 15's backward index scan checks every entry of the key from the cut back to the
 * start of its index page before it returns the first (about 170 on average for a long series),
 * unless a lower bound on `ts` stops it: the bounded ask checks the few entries in its window,
 * and an empty one costs one more index descent.
 */
function latestAtOrBefore(
  spec: { columns: string; from: string; key: string; ts: string; cut: string; order: string },
): string {
  const ask = (bound: string) =>
    `(select ${spec.columns} from ${spec.from} where ${spec.key} and ${bound}
      order by ${spec.order} limit 1)`;
  const asks: string[] = [];
  let upper = `${spec.ts} <= ${spec.cut}`;
  for (const window of RECENT) {
    const edge = `${spec.cut} - interval '${window}'`;
    asks.push(ask(`${upper} and ${spec.ts} > ${edge}`));
    upper = `${spec.ts} <= ${edge}`;
  }
  asks.push(ask(upper));
  return `${asks.join("\n    union all ")} limit 1`;
}

/** The latest snapshot at or before each cut, as columns ({@link SnapshotColumns}). */
const SNAPSHOTS_SQL = columnsOf(
  `with ${LOOKUPS}
  select q.i::int as i, ${US("s.ts")} as us, s.price, s.best_bid, s.best_ask,
    s.last_trade_price, s.exact
  from q cross join lateral (${
    latestAtOrBefore({
      columns: "d.ts, d.price, d.best_bid, d.best_ask, d.last_trade_price, d.exact",
      from: "price_snapshot_data d",
      key: "d.token_key = q.token_key",
      ts: "d.ts",
      cut: "q.cut",
      order: "d.ts desc",
    })
  }) s`,
  ["i", "us", "price", "best_bid", "best_ask", "last_trade_price"],
  "jsonb_object_agg(a.i, a.exact) filter (where a.exact is not null) as exact",
);

/**
 * The latest backfilled point at or before each cut (the smallest fidelity at that stamp), as
 * columns ({@link HistoryColumns}).
 */
const HISTORY_SQL = columnsOf(
  `with ${LOOKUPS}
  select q.i::int as i, ${US("h.ts")} as us, h.price
  from q cross join lateral (${
    latestAtOrBefore({
      columns: "ph.ts, ph.price",
      from: "price_history ph",
      key: "ph.token_id = q.token",
      ts: "ph.ts",
      cut: "q.cut",
      order: "ph.ts desc, ph.fidelity_minutes",
    })
  }) h`,
  ["i", "us", "price"],
);

/**
 * A book side's notional, rounded to cents: from the stored millionths (exact: price and size
 * have six decimals), or the side's `exact` JSON when a level did not fit (as the view).
 */
const SIDE_USD = (side: "bid" | "ask") =>
  `case when d.exact ? '${side}s'
     then (select round(coalesce(sum((l->>'price')::numeric(38,6) * (l->>'size')::numeric(38,6)),
                                 0), 2)
           from jsonb_array_elements(d.exact->'${side}s') l)
     else (select round(coalesce(sum(p::numeric * z::numeric), 0) * 0.000000000001, 2)
           from unnest(d.${side}_prices, d.${side}_sizes) as u(p, z)) end`;
const TRADE_USD = `t.price::numeric(38,6) * t.size::numeric(38,6)`;

/**
 * The metadata version of `q.market` in force at `q.instant` (`marketMetadataAsOf`'s rule), as
 * the 7 fields a row reads. A version can hold all 28 (~0.9 kB of JSON): sending those alone took
 * the build's client CPU from 550 to 510 ms, server unchanged (3,000 markets whose versions hold
 * all 28; medians of 9 interleaved runs).
 */
const METADATA_AT = `
  select jsonb_build_object(${
  ROW_METADATA_COLUMNS.map((c) => `'${c}', mh.metadata->'${c}'`).join(", ")
}) as metadata
  from market_metadata_history mh
  where mh.market_id = q.market and mh.valid_from <= q.instant
  order by mh.valid_from desc limit 1`;

/**
 * Per row: the book, the trades and the metadata. The lookups are materialized: each instant is
 * then computed once, not in each of the book's three asks and the trades' bounds that read it
 * (3–5% of the query, interleaved runs). A trade window starts on a whole hour
 * (`_dataset_build.ts`) and ends at `t_until`: its whole hours are read from `trade_hours`
 * (the index alone, ≤ 168 entries a token for a week) and the unfinished last hour, from
 * `f_hour` (the hour of `t_until`), from the trades themselves. Reading every trade of the week
 * instead cost 42× as much on markets that trade every two minutes, and the same on the
 * benchmark's three trades a day.
 */
const ROWS_SQL = `
  with q as materialized (
    select market, yes, no, ${AT("instant")} as instant, ${AT("book_cut")} as book_cut,
      ${AT("t_from")} as t_from, ${AT("t_from_short")} as t_from_short,
      ${AT("t_until")} as t_until, ${AT("f_hour")} as f_hour, i
    from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[],
                $7::int8[], $8::int8[], $9::int8[]) with ordinality
      as u(market, yes, no, instant, book_cut, t_from, t_from_short, t_until, f_hour, i))
  select ${MS("b.ts")} as book_ts, b.bid_usd::text, b.ask_usd::text,
    tr.n_short, tr.usd_short::text, tr.n_long, tr.usd_long::text, h.metadata
  from q
  left join token_keys k on k.token_id = q.yes
  left join lateral (${
  latestAtOrBefore({
    columns: `d.ts, ${SIDE_USD("bid")} as bid_usd, ${SIDE_USD("ask")} as ask_usd`,
    from: "book_snapshot_data d",
    key: "d.token_key = k.token_key",
    ts: "d.ts",
    cut: "q.book_cut",
    order: "d.ts desc",
  })
}) b on true
  cross join lateral (
    select coalesce(sum(p.n) filter (where p.short), 0)::int as n_short,
      round(coalesce(sum(p.usd) filter (where p.short), 0), 2) as usd_short,
      coalesce(sum(p.n), 0)::int as n_long, round(coalesce(sum(p.usd), 0), 2) as usd_long
    from (
      select h.trades as n, h.notional as usd, h.hour >= q.t_from_short as short
      from trade_hours h
      where h.token_id in (q.yes, q.no) and h.hour >= q.t_from and h.hour < q.f_hour
      union all
      select 1, ${TRADE_USD}, true from trades t
      where t.token_id in (q.yes, q.no) and t.ts >= q.f_hour and t.ts <= q.t_until) p) tr
  left join lateral (${METADATA_AT}) h on true
  order by q.i`;

/** The metadata of each lookup: $1 its market, $2 its instant (Unix ms). */
const METADATA_SQL = `
  select h.metadata
  from (select market, ${AT("instant")} as instant, i
        from unnest($1::text[], $2::int8[]) with ordinality as u(market, instant, i)) q
  left join lateral (${METADATA_AT}) h on true
  order by q.i`;
