/**
 * The DuckDB queries of the dataset over an export folder (`dataset_parquet.ts`): the same
 * lookups as the PostgreSQL builder's lateral probes, as hash and ASOF joins over the lookup
 * tables `price_lookups (i, k, cut)` and `row_lookups (i, market, yes, no, instant, book_cut,
 * t_from, t_from_short, t_until)` (integers, and instants in Unix µs as DOUBLE). Tokens and
 * markets there are small integer keys, mapped to their ids by `price_tokens`, `row_tokens` and
 * `row_markets (id, k)`: joins partition, sort and hash an integer for less than the ids' text.
 * Prices and books are looked up near their cuts (`nearCte`), without sorting the stored rows;
 * trades by a hash join on the token; metadata and the near passes' gaps by ASOF joins.
 *
 * The series are read through views of some of their day files, which `dataset_parquet.ts`
 * defines per batch: `<table>_near` the days around a batch's cuts (prices, books) or its trade
 * windows (`trades_near`); `<table>_upto` every day up to the last cut of the lookups left to
 * the ASOF joins, which match on stamps alone; `<table>_at` the days of the stamps they matched,
 * whose values are then read. A batch reads the values of the days it needs, not the history's.
 * Decimals are rounded to millionths and notionals to cents exactly as the PostgreSQL builder
 * does, and reach the program exactly, so both give identical numbers.
 *
 * @example
 * ```ts ignore
 * import { PRICE_MATCHES_SQL } from "./_dataset_duck_sql.ts";
 * await duck.run(PRICE_MATCHES_SQL); // after filling price_lookups and the `_upto` views
 * ```
 */

/** A decimal column at millionths (rounded half away from zero, as PostgreSQL's numeric(38,6)). */
const DEC = (column: string) => `${column}::decimal(38,6)`;

/**
 * A DECIMAL(38,18) column (the export's) as a BIGINT count of millionths, rounded as
 * {@link DEC}. Rescaling DuckDB's 128-bit decimals is slow (`DEC` on each trade's price and
 * size was 40% of the trades query); the DOUBLE of the value is a few ulps from it, so below
 * 10⁵ its millionths are off by less than 10⁻⁴, and rounding them gives the exact answer
 * whenever they are not within 10⁻³ of a half. Only the rest (larger values, near-ties: the
 * dataset_parquet test has both) take the exact path.
 */
const MICRO = (column: string, double: string) =>
  `case when abs(${double}) < 1e5
      and abs(abs(${double}) * 1e6 - floor(abs(${double}) * 1e6) - 0.5) > 1e-3
    then round(${double} * 1e6)::bigint
    else (${DEC(column)} * 1000000)::bigint end`;

/** A HUGEINT count of 10⁻¹² dollars rounded to cents, as text (as the PostgreSQL builder). */
const CENTS = (count: string) => `round(${count}::decimal(38,0) * 0.000000000001, 2)::varchar`;

const Q = `q as (select i::integer as i, market::integer as market, yes::integer as yes,
  no::integer as no, instant::bigint as instant, book_cut::bigint as book_cut,
  t_from::bigint as t_from, t_from_short::bigint as t_from_short, t_until::bigint as t_until
  from row_lookups),
  tk as (select id, k::integer as k from row_tokens)`;

/**
 * A side's notional at millionths, rounded to cents (as the PostgreSQL builder). Each level's
 * product as 64-bit decimals where both fit (below 10¹²; the product is exact either way): the
 * 128-bit casts and product of {@link DEC} were three quarters of the books query.
 */
const SIDE_USD = (side: string) =>
  `round(coalesce(list_sum(list_transform(
     from_json(${side}, '[{"price":"VARCHAR","size":"VARCHAR"}]'),
     l -> coalesce(try_cast(l.price as decimal(18,6)) * try_cast(l.size as decimal(18,6)),
                   ${DEC("l.price")} * ${DEC("l.size")}))), 0), 2)::varchar`;

/**
 * The table of the matched stamps of the price lookups the near pass left (`i`, `h`: false for
 * snapshots, true for backfilled points, the token and the stamp), filled by
 * {@link PRICE_MATCHES_SQL} and {@link PRICE_LAST_SQL}; {@link PRICE_VALUES_SQL} reads the
 * matched rows' values from the days they are in.
 */
export const PRICE_MATCHES_TABLE = `create or replace temp table price_matches
  (i integer, h boolean, token_id varchar, ts_us bigint)`;

/**
 * The price lookups of `price_lookups` matched by an ASOF join on stamps alone over every day
 * up to their cuts (`<table>_upto`): carrying the values through the join's sort cost more than
 * twice as much.
 */
export const PRICE_MATCHES_SQL = `
  insert into price_matches
  with q as (select i::integer as i, k::integer as k, cut::bigint as cut from price_lookups),
  tk as (select id, k::integer as k from price_tokens),
  pk as (select tk.k, epoch_us(p.ts) as ts_us
         from price_snapshots_upto p join tk on tk.id = p.token_id),
  hk as (select distinct tk.k, epoch_us(h.ts) as ts_us
         from price_history_upto h join tk on tk.id = h.token_id)
  select q.i, false as h, tk.id as token_id, pk.ts_us
  from q asof join pk on q.k = pk.k and q.cut >= pk.ts_us join tk on tk.k = pk.k
  union all
  select q.i, true, tk.id, hk.ts_us
  from q asof join hk on q.k = hk.k and q.cut >= hk.ts_us join tk on tk.k = hk.k`;

/**
 * The lookups answered by their token's last stamp (`price_last (i, h, token_id, ts_us)`, `h`
 * 1 for backfilled points; see {@link unprobedSql}), added to the matches.
 */
export const PRICE_LAST_SQL = `insert into price_matches
  select i, h = 1, token_id, ts_us::bigint from price_last`;

/**
 * The matched rows' values (`price_matches`, {@link PRICE_MATCHES_TABLE}), read from the
 * days of their stamps (`<table>_at`), in the columns of {@link pricesNearSql} but `complete`.
 */
export const PRICE_VALUES_SQL = `
  with ps as (select m.i, p.ts, p.price, p.best_bid, p.best_ask, p.last_trade_price
         from (select * from price_matches where not h) m join price_snapshots_at p
           on p.token_id = m.token_id and epoch_us(p.ts) = m.ts_us),
  hs as (select m.i, h.ts, arg_min(h.price, h.fidelity_minutes) as price
         from (select * from price_matches where h) m join price_history_at h
           on h.token_id = m.token_id and epoch_us(h.ts) = m.ts_us
         group by m.i, h.ts)
  -- Columns in this order (the reader takes them by position); decimals as they are stored.
  select coalesce(ps.i, hs.i) as i, epoch_ms(ps.ts)::double as ts, ps.price, ps.best_bid,
    ps.best_ask, ps.last_trade_price as last, epoch_ms(hs.ts)::double as h_ts, hs.price as h_price
  from ps full join hs on ps.i = hs.i`;

/**
 * A near-cut lookup source: `name` prefixes its temp tables, `series` is the export's table of
 * the stored rows (`token_id`, `ts`; the near passes read its view `<series>_near`), `tokens` the
 * lookup tokens' ids (`id`), and `lookups` is a query of the lookups as `(i, token_id, cut)` (cut
 * in Unix µs).
 */
export interface NearSource {
  readonly name: string;
  readonly series: "price_snapshots" | "price_history" | "book_snapshots";
  readonly tokens: string;
  readonly lookups: string;
}

/** The two price sources of the near-cut price lookups. */
const PRICE_LOOKUPS = `select q.i::integer as i, tk.id as token_id, q.cut::bigint as cut
  from price_lookups q join price_tokens tk on tk.k = q.k`;
export const PRICE_SOURCES: readonly [NearSource, NearSource] = [
  { name: "ps", series: "price_snapshots", tokens: "price_tokens", lookups: PRICE_LOOKUPS },
  { name: "hs", series: "price_history", tokens: "price_tokens", lookups: PRICE_LOOKUPS },
];

/** The books source: each row's YES token at its book cut. */
export const BOOK_SOURCE: NearSource = {
  name: "bk",
  series: "book_snapshots",
  tokens: "row_tokens",
  lookups: `select q.i::integer as i, tk.id as token_id, q.book_cut::bigint as cut
    from row_lookups q join row_tokens tk on tk.k = q.yes::integer`,
};

/**
 * The first pass of a near-cut lookup, over the stamps alone: each lookup token's first and
 * last stamp and its count of stored rows (`<name>_span`), what the bucket width is chosen
 * from.
 */
export const spanSql = ({ name, series, tokens }: NearSource) =>
  `create or replace temp table ${name}_span as
   select t.token_id, min(epoch_us(t.ts)) as lo, max(epoch_us(t.ts)) as hi, count(*) as n
   from ${series}_near t semi join ${tokens} tk on tk.id = t.token_id group by t.token_id`;

/**
 * The second pass (`<name>_probes`, after {@link spanSql}): a cut past the token's last stamp
 * is moved back to it (nothing is stored between), a cut before the first is not probed (no
 * answer in these days: see {@link unprobedSql}), and each lookup gets two probes, the bucket of
 * `widthUs` holding its cut and the one before. A table, not a CTE: its size is then known, and
 * the join builds its hash table on it rather than on the stored rows.
 */
export const probesSql = ({ name, lookups }: NearSource, widthUs: number) =>
  `create or replace temp table ${name}_probes as
   with qc as (select l.i, l.token_id, least(l.cut, s.hi) as cut
               from (${lookups}) l join ${name}_span s on s.token_id = l.token_id
               where l.cut >= s.lo)
   select i, token_id, cut, cut // ${widthUs} as b from qc
   union all select i, token_id, cut, cut // ${widthUs} - 1 from qc`;

/**
 * The lookups {@link probesSql} left out (no row of their token in the near days at or before
 * their cut) that have one in earlier days, as `(i, token_id, hi, last)`: those whose cut is at
 * or after their token's first stamp in the whole series (`<name>_ends`, {@link endsSql}). Where
 * the cut is at or after the token's last stamp (`last`: a series that stopped, as a group
 * member's when it closed), that stamp `hi` (Unix µs) is the answer; the others the caller
 * answers with the ASOF join. Only needed when the near days do not begin the series.
 */
export const unprobedSql = ({ name, lookups }: NearSource) =>
  `select l.i, l.token_id, f.hi::double as hi, l.cut >= f.hi as last from (${lookups}) l
   left join ${name}_span s on s.token_id = l.token_id
   join ${name}_ends f on f.token_id = l.token_id
   where (s.token_id is null or l.cut < s.lo) and l.cut >= f.lo`;

/**
 * Each token's first and last stamps in a whole series (`<name>_ends`), over the stamps and
 * tokens alone: a fraction of a pass over the values, made once per build.
 */
export const endsSql = ({ name, series }: NearSource) =>
  `create or replace temp table ${name}_ends as
   select token_id, min(epoch_us(ts)) as lo, max(epoch_us(ts)) as hi from ${series}
   group by token_id`;

/**
 * The near-cut answers as a CTE `<name> (i, s)`, after {@link probesSql}: each probed lookup
 * (those with a row at or before their cut) and `s`, `values` of the latest row at or before its
 * cut in its two buckets by `order` (null when both are empty: a gap in the series longer than
 * a bucket, which the caller answers with an ASOF join). An equality hash join on (token,
 * bucket) over the stored rows, each probing a table of two entries per lookup, where an ASOF
 * join sorts every stored row of the lookups' tokens; and the values ride along with the few
 * rows that match instead of being fetched by a second join over every row.
 */
export const nearCte = (
  { name, series }: NearSource,
  widthUs: number,
  values: string,
  order: string,
) => `
  ${name} as (
    select qc.i, hit.s from (select distinct i from ${name}_probes) qc left join (
      select qb.i, arg_max(${values}, ${order}) as s
      from ${series}_near t join ${name}_probes qb
        on t.token_id = qb.token_id and epoch_us(t.ts) // ${widthUs} = qb.b
      where epoch_us(t.ts) <= qb.cut group by qb.i) hit on hit.i = qc.i)`;

/**
 * The price lookups answered near their cuts (see {@link nearCte}), snapshots and backfilled
 * points (of those, the smallest fidelity at the latest stamp), after each source's span and
 * probes passes with its own width. Same columns as {@link PRICE_VALUES_SQL}, then `complete`: false
 * when a source has rows before the cut but none in its two buckets; the caller answers those
 * with {@link PRICE_MATCHES_SQL}.
 */
export function pricesNearSql(widthUs: readonly [number, number]): string {
  const [ps, hs] = PRICE_SOURCES;
  return `with ${
    nearCte(
      ps,
      widthUs[0],
      "{ts: t.ts, price: t.price, best_bid: t.best_bid, best_ask: t.best_ask, " +
        "last: t.last_trade_price}",
      "epoch_us(t.ts)",
    )
  }, ${
    nearCte(hs, widthUs[1], "{ts: t.ts, price: t.price}", "[epoch_us(t.ts), -t.fidelity_minutes]")
  }
  select coalesce(ps.i, hs.i) as i, epoch_ms(ps.s.ts)::double as ts, ps.s.price,
    ps.s.best_bid, ps.s.best_ask, ps.s.last, epoch_ms(hs.s.ts)::double as h_ts,
    hs.s.price as h_price,
    (ps.i is null or ps.s is not null) and (hs.i is null or hs.s is not null) as complete
  from ps full join hs on ps.i = hs.i`;
}

/**
 * Each row's latest book at or before its book cut, near the cut (see {@link nearCte}), with its
 * notionals; `complete` false where the book's buckets were empty (answer those with
 * {@link BOOK_MATCHES_SQL}).
 */
export const booksNearSql = (widthUs: number) =>
  `with ${nearCte(BOOK_SOURCE, widthUs, "{ts: t.ts, bids: t.bids, asks: t.asks}", "epoch_us(t.ts)")}
  select bk.i, epoch_ms(bk.s.ts)::double as ts, ${SIDE_USD("bk.s.bids")} as bid_usd,
    ${SIDE_USD("bk.s.asks")} as ask_usd, bk.s is not null as complete
  from bk`;

/** The table of the matched stamps of the books the near pass left (`i`, the token, the stamp). */
export const BOOK_MATCHES_TABLE = `create or replace temp table book_matches
  (i integer, token_id varchar, ts_us bigint)`;

/**
 * The latest book of the rows in `book_left (i)` matched by an ASOF join on stamps alone over
 * every day up to their cuts; {@link BOOK_VALUES_SQL} reads their levels from the days they are
 * in.
 */
export const BOOK_MATCHES_SQL = `insert into book_matches with ${Q},
  ql as (select * from q where i in (select i from book_left)),
  k as (select tk.k, epoch_us(b.ts) as ts_us from book_snapshots_upto b
        join tk on tk.id = b.token_id where tk.k in (select yes from ql))
  select ql.i, tk.id as token_id, k.ts_us
  from ql asof join k on ql.yes = k.k and ql.book_cut >= k.ts_us join tk on tk.k = k.k`;

/** The books answered by their token's last stamp (`book_last (i, token_id, ts_us)`). */
export const BOOK_LAST_SQL = `insert into book_matches
  select i, token_id, ts_us::bigint from book_last`;

/** The matched books' notionals (`book_matches`), in {@link booksNearSql}'s columns. */
export const BOOK_VALUES_SQL = `
  select m.i, epoch_ms(b.ts)::double as ts, ${SIDE_USD("b.bids")} as bid_usd,
    ${SIDE_USD("b.asks")} as ask_usd
  from book_matches m join book_snapshots_at b
    on b.token_id = m.token_id and epoch_us(b.ts) = m.ts_us`;

/**
 * Trades per window: each leg (a row's token) joined to its token's trades by an equality hash
 * join on the token, the window's bounds a filter, then counted and summed (exact notionals in
 * 10⁻¹² dollars: millionths times millionths). A token's trades meet only its own market's
 * legs (one per horizon), so the work grows with the trades stored, without a sort: running
 * totals read at the windows' ends cost 2.5× as much, most of it the window function's
 * 128-bit running sums.
 */
export const TRADES_SQL = `with ${Q},
  legs as (select i, yes as token, t_from, t_from_short, t_until from q
           union all select i, no, t_from, t_from_short, t_until from q),
  tr as (select tk.k, epoch_us(t.ts) as ts_us, t.price, t.size
         from trades_near t join tk on tk.id = t.token_id),
  -- Each distinct price and size converted once: a cast of a 128-bit decimal costs more than
  -- the rest of a trade's work, and a market trades at few prices and sizes.
  pm as (select v, ${MICRO("v", "v::double")} as m from (select distinct price as v from tr)),
  sm as (select v, ${MICRO("v", "v::double")} as m from (select distinct size as v from tr)),
  priced as (
    select tr.k, tr.ts_us, pm.m::hugeint * sm.m as usd
    from tr left join pm on pm.v = tr.price left join sm on sm.v = tr.size)
  select legs.i, count(*) filter (where p.ts_us >= legs.t_from_short) as n_short,
    ${CENTS("coalesce(sum(p.usd) filter (where p.ts_us >= legs.t_from_short), 0)")} as usd_short,
    count(*) as n_long, ${CENTS("sum(p.usd)")} as usd_long
  from legs join priced p
    on p.k = legs.token and p.ts_us >= legs.t_from and p.ts_us <= legs.t_until
  group by legs.i`;

export const METADATA_SQL = `with ${Q},
  mk as (select id, k::integer as k from row_markets),
  k as (select mk.k, epoch_us(h.valid_from) as from_us from market_metadata_history h
        join mk on mk.id = h.market_id),
  m as (select q.i, mk.id as market_id, k.from_us
        from q asof join k on q.market = k.k and q.instant >= k.from_us join mk on mk.k = k.k)
  select m.i, h.metadata::varchar as metadata
  from m join market_metadata_history h
    on h.market_id = m.market_id and epoch_us(h.valid_from) = m.from_us`;
