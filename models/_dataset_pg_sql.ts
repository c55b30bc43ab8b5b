/**
 * The PostgreSQL queries of the dataset (`dataset.ts`): the candidates, the neg-risk groups, and
 * per batch of market-horizons the price lookups and the rows' book, trades and metadata, each
 * as-of lookup a lateral index probe asked within an hour before its cut, then a day, then
 * unbounded ({@link latestAtOrBefore}). Lookups go as arrays of integers; answers come back as
 * stored (millionths, Unix µs), decoded by `dataset.ts` as the views would.
 *
 * @example
 * ```ts ignore
 * import { SNAPSHOTS_SQL } from "./_dataset_pg_sql.ts";
 * const [columns] = await sql.unsafe(SNAPSHOTS_SQL, [tokens, positions, cuts]);
 * ```
 */
import { ROW_METADATA_COLUMNS } from "./_dataset_features.ts";

/** Unix ms of a timestamptz, cut down to the millisecond (as DuckDB's `epoch_ms`). */
export const MS = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;

/**
 * The timestamptz of Unix ms sent as int8 (exact: a double of seconds with three decimals is
 * within a fraction of a µs of the instant, and `to_timestamp` rounds to the µs). Instants go as
 * one array literal of integers per column: the driver's own encoding of a Date array (ISO text
 * per element, escaped) and the server's parse of it were a quarter of the build's CPU.
 */
const AT = (column: string) => `to_timestamp(${column}::float8 / 1000)`;

/**
 * Unix microseconds of a timestamptz, exact (int8), through float8 rather than `extract`'s
 * numeric. `date_part` divides the count of µs by 10⁶ once, correctly rounded: below 2³² seconds
 * from 1970 (until February 2106) that is within 2⁻²² s of the truth, the product by 10⁶ within
 * 0.24 µs before its own rounding (at most 0.25 there), so the cast (to nearest) gives the count
 * back. No difference from `extract` in 2 million random stamps of 1970–2099; the price query
 * ~6% faster (median of 15 interleaved runs, 590 → 555 ms for a benchmark build's nine).
 */
export const US = (column: string) => `(date_part('epoch', ${column}) * 1000000)::int8`;

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

/**
 * Lookups as `q (token, token_key, cut, i)`, `i` their 1-based position: $1 the tokens, $2 each
 * lookup's token (its 1-based position in $1), $3 its cut; $4 and $5 their span ({@link SPAN};
 * `older` asks: $4 alone).
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
/** The longest of {@link RECENT}: how far before its cut a bounded ask reaches. */
export const RECENT_MS = 86_400_000;

/**
 * Which of an as-of lookup's asks a query makes (see {@link latestAtOrBefore}): all of them
 * (plain tables), those within the longest of {@link RECENT} before the cut (`recent`), or the
 * one before that alone (`older`). On TimescaleDB the series are chunked by time and a query
 * plans every chunk its asks may reach: an ask without a lower bound reaches all of them, so
 * planning grew with the history (24 of a price query's 28 ms with 287 chunks, measured on
 * TimescaleDB 2.28), for an ask that seldom runs. There a query asks `recent`, bounded by its
 * span, and only the lookups left unanswered are asked `older` (`dataset.ts`).
 */
export type Asks = "all" | "recent" | "older";

/**
 * The latest row at or before `cut` of one key's series, as the body of a lateral subquery:
 * `select <columns> from <from> where <key> and ts <= cut order by <order> limit 1`, asked within
 * each of {@link RECENT} before the cut in turn, then without a lower bound. The answer is the
 * same (the latest row of a window ending at the cut is the latest of all); the cost is not.
 * PostgreSQL 15's backward index scan checks every entry of the key from the cut back to the
 * start of its index page before it returns the first (about 170 on average for a long series),
 * unless a lower bound on `ts` stops it: the bounded ask checks the few entries in its window,
 * and an empty one costs one more index descent.
 *
 * `span` bounds every ask by the query's own parameters (see {@link SPAN}; `older` uses its upper
 * bound alone): no answer changes, but on a TimescaleDB hypertable the chunks outside them are
 * left out once per query, where otherwise each lookup's asks re-checked every chunk of the table.
 * `asks` says which asks the query makes ({@link Asks}); `all` takes no span.
 */
function latestAtOrBefore(
  spec: {
    columns: string;
    from: string;
    key: string;
    ts: string;
    cut: string;
    order: string;
    asks: Asks;
    span: { lower: string | null; upper: string } | null;
  },
): string {
  const within = spec.span === null ? "" : ` and ${spec.ts} <= ${spec.span.upper}`;
  const lower = spec.span?.lower == null ? "" : ` and ${spec.ts} > ${spec.span.lower}`;
  const ask = (bound: string) =>
    `select ${spec.columns} from ${spec.from} where ${spec.key} and ${bound}${within}
       order by ${spec.order} limit 1`;
  const recent: string[] = [];
  let upper = `${spec.ts} <= ${spec.cut}`;
  for (const window of RECENT) {
    const edge = `${spec.cut} - interval '${window}'`;
    recent.push(`(${ask(`${upper} and ${spec.ts} > ${edge}${lower}`)})`);
    upper = `${spec.ts} <= ${edge}`;
  }
  if (spec.asks === "older") return ask(upper);
  const asks = spec.asks === "all" ? [...recent, `(${ask(upper)})`] : recent;
  return `${asks.join("\n    union all ")} limit 1`;
}

/**
 * A query's span of stamps, as parameters of Unix ms (`cutSpan` in `dataset.ts`): `upper` at or
 * after every cut, `lower` at least the longest of {@link RECENT} before every cut; none for
 * `all`, the upper alone for `older` (its `lower` parameter is not sent).
 */
const SPAN = (asks: Asks, upper: number, lower?: number) =>
  asks === "all" ? null : {
    upper: AT(`$${upper}::int8`),
    lower: asks === "older" || lower === undefined ? null : AT(`$${lower}::int8`),
  };

/** The latest snapshot at or before each cut, as columns (`SnapshotColumns` in `dataset.ts`). */
export const snapshotsSql = (asks: Asks): string =>
  columnsOf(
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
        asks,
        span: SPAN(asks, 4, 5),
      })
    }) s`,
    ["i", "us", "price", "best_bid", "best_ask", "last_trade_price"],
    "jsonb_object_agg(a.i, a.exact) filter (where a.exact is not null) as exact",
  );

/**
 * The latest backfilled point at or before each cut (the smallest fidelity at that stamp), as
 * columns (`HistoryColumns` in `dataset.ts`).
 */
export const historySql = (asks: Asks): string =>
  columnsOf(
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
        asks,
        span: SPAN(asks, 4, 5),
      })
    }) h`,
    ["i", "us", "price"],
  );

/**
 * Where a level's product of millionths fits 64 bits: |price| ≤ 10⁶ (a price is at most 1) and
 * |size| ≤ 9·10¹² (9 million shares), so |product| ≤ 9·10¹⁸ < 2⁶³.
 */
const FITS = `p between -1000000 and 1000000 and z between -9000000000000 and 9000000000000`;

/**
 * A book side's notional, rounded to cents: from the stored millionths (exact: price and size
 * have six decimals), or the side's `exact` JSON when a level did not fit (as the view). Each
 * level's product in 64-bit integers where it fits ({@link FITS}; the sum is exact either way):
 * on sides of 30 levels, as the venue's books have, a quarter less than in numeric throughout
 * (20,000 sides: 219–251 ms against 286–325 ms).
 */
const SIDE_USD = (side: "bid" | "ask") =>
  `case when d.exact ? '${side}s'
     then (select round(coalesce(sum((l->>'price')::numeric(38,6) * (l->>'size')::numeric(38,6)),
                                 0), 2)
           from jsonb_array_elements(d.exact->'${side}s') l)
     else (select round((coalesce(sum(p::int8 * z) filter (where ${FITS}), 0)
                         + coalesce(sum(p::numeric * z::numeric) filter (where not (${FITS})), 0))
                        * 0.000000000001, 2)
           from unnest(d.${side}_prices, d.${side}_sizes) as u(p, z)) end`;
const TRADE_USD = `t.price::numeric(38,6) * t.size::numeric(38,6)`;

/**
 * The latest book of `k.token_key` at or before `cut`, with its sides' notionals
 * ({@link SIDE_USD}): the rows query's and {@link OLDER_BOOKS_SQL}'s lookup.
 */
const bookAt = (cut: string, asks: Asks, span: ReturnType<typeof SPAN>) =>
  latestAtOrBefore({
    columns: `d.ts, ${SIDE_USD("bid")} as bid_usd, ${SIDE_USD("ask")} as ask_usd`,
    from: "book_snapshot_data d",
    key: "d.token_key = k.token_key",
    ts: "d.ts",
    cut,
    order: "d.ts desc",
    asks,
    span,
  });

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
 * benchmark's three trades a day. Asked `recent` (TimescaleDB, {@link Asks}): $10 and $11 are the
 * book cuts' span ({@link SPAN}), $12 and $13 the first `f_hour` and the last `t_until`, and a row
 * left without a book is asked again by {@link OLDER_BOOKS_SQL}.
 */
export const rowsSql = (asks: "all" | "recent"): string => `
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
  left join lateral (${bookAt("q.book_cut", asks, SPAN(asks, 10, 11))}) b on true
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
      where t.token_id in (q.yes, q.no) and t.ts >= q.f_hour and t.ts <= q.t_until
        ${
  asks === "all" ? "" : `and t.ts >= ${AT("$12::int8")} and t.ts <= ${AT("$13::int8")}`
}) p) tr
  left join lateral (${METADATA_AT}) h on true
  order by q.i`;

/**
 * The book of each row `rowsSql("recent")` left without one, asked `older` ({@link Asks}): $1
 * each row's YES token, $2 its book cut (Unix ms), $3 the span's upper bound; by position `i`.
 */
export const OLDER_BOOKS_SQL = `
  select u.i::int as i, ${MS("b.ts")} as book_ts, b.bid_usd::text, b.ask_usd::text
  from unnest($1::text[], $2::int8[]) with ordinality as u(token, book_cut, i)
  join token_keys k on k.token_id = u.token
  cross join lateral (${bookAt(AT("u.book_cut"), "older", SPAN("older", 3))}) b`;

/** The metadata of each lookup: $1 its market, $2 its instant (Unix ms). */
export const METADATA_SQL = `
  select h.metadata
  from (select market, ${AT("instant")} as instant, i
        from unnest($1::text[], $2::int8[]) with ordinality as u(market, instant, i)) q
  left join lateral (${METADATA_AT}) h on true
  order by q.i`;

/**
 * Resolved and ambiguous markets with their tokens (YES = outcome 0) and end instants (Unix ms),
 * resolved in [$1, $2) (null: unbounded), in market id order (byte order, as DuckDB's).
 */
export const CANDIDATES_SQL = `
  select m.market_id, coalesce(m.event_id, '') as event_id,
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
  order by m.market_id collate "C"`;

/** Every market of each neg-risk group key of $1, with its YES token and listing instant. */
export const GROUP_MEMBERS_SQL = `
  select m.neg_risk_market_id as key, m.market_id, t.token_id as yes_token,
    ${MS("coalesce(m.start_date, m.first_seen_at)")} as exists_ms
  from markets m join tokens t on t.market_id = m.market_id and t.outcome_index = 0
  where m.neg_risk_market_id = any($1::text[])
  order by m.neg_risk_market_id, m.market_id collate "C"`;

/**
 * Whether the series are kept in chunks: the schema was migrated for TimescaleDB (its
 * hypertables), as `migrate` recorded; false on plain PostgreSQL.
 */
export const CHUNKED_SQL = `
  select exists (select 1 from schema_migrations where mode = 'timescale') as chunked`;

/** The positions (1-based) of the tokens of $1 that have backfilled points (`price_history`). */
export const BACKFILLED_SQL = `
  select t.n::int as n from unnest($1::text[]) with ordinality as t(token, n)
  where exists (select 1 from price_history ph where ph.token_id = t.token)`;
