/**
 * The point-in-time dataset from PostgreSQL (issue 28): one row per resolved binary market and
 * horizon, at the instant `end − horizon` (end = the first of its resolution and its close),
 * with features computed only from rows stored before that instant and metadata as of it
 * (`marketMetadataAsOf`'s rule). What "stored before" means per source, and every feature, is in
 * `_dataset_features.ts` and docs/models.md ("Datasets"). Markets left out are counted by reason.
 *
 * Set-based: one query for the candidates, one for the neg-risk groups, then per batch of
 * market-horizons one query of price lookups and one of book, trades and metadata lookups (each
 * a lateral index probe; trades from their hourly totals, `trade_hours`, and the last hour's
 * trades), the two batches' queries running at once on the pool, each in a transaction of its
 * own with JIT off ({@link withoutJit}). On TimescaleDB the lookups go in slices of nearby
 * instants, and the ask without a lower bound in a second query for those left unanswered. The
 * queries are in `_dataset_pg_sql.ts`; this module sends the lookups and decodes the answers.
 *
 * @example
 * ```ts ignore
 * import { buildDataset, parseHorizons } from "./dataset.ts";
 * const { rows, excluded } = await buildDataset(sql, { horizons: parseHorizons("1h,24h,7d") });
 * rows[0]?.features.momentum24h;
 * ```
 */
import type { Queryable, Sql } from "../db/client.ts";
import { arrayLiteral, col, numberCol, parseNumberList } from "../db/_columns.ts";
import type { DatasetRow } from "./dataset_row.ts";
import type { GroupMember, PricePoint } from "./_dataset_features.ts";
import {
  buildFromSource,
  type BuildOptions,
  type CandidateScan,
  type DatasetBuild,
  type DatasetSource,
  HOUR_MS,
  hourFloor,
  type ParsedHorizon,
  type PriceLookup,
  rangeOf,
  type RowAnswer,
  type RowLookup,
} from "./_dataset_build.ts";
import {
  type CandidateRecord,
  candidatesOf,
  NO_PRICES,
  pricePointOf,
  type PriceRecord,
} from "./_dataset_candidates.ts";
import {
  type Asks,
  BACKFILLED_SQL,
  CANDIDATES_SQL,
  CHUNKED_SQL,
  GROUP_MEMBERS_SQL,
  historySql,
  METADATA_SQL,
  OLDER_BOOKS_SQL,
  RECENT_MS,
  rowsSql,
  snapshotsSql,
} from "./_dataset_pg_sql.ts";

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

/**
 * Price lookups per query where the series are chunked (TimescaleDB): a call's lookups in order
 * of their instants, a slice at a time, so that each query's span of stamps (`SPAN` in
 * `_dataset_pg_sql.ts`) covers few chunks; rows (a book, trades and metadata each) an eighth as
 * many. On 3,000 markets of the benchmark's seed on TimescaleDB 2.28 (prices compressed), a
 * build went from ~40 to ~2,600 market-horizons/s (docs/models.md, "TimescaleDB").
 */
const CHUNKED_SLICE = 1_000;
const ROWS_PER_SLICE_SHARE = 8;

/**
 * Each query as sent on plain tables (`all` asks) and, with its span, in slices: `recent` asks,
 * then `older` for the lookups left unanswered (`Asks` in `_dataset_pg_sql.ts`).
 */
const SNAPSHOTS = {
  all: snapshotsSql("all"),
  recent: snapshotsSql("recent"),
  older: snapshotsSql("older"),
} as const;
const HISTORY = {
  all: historySql("all"),
  recent: historySql("recent"),
  older: historySql("older"),
} as const;
const ROWS = { all: rowsSql("all"), recent: rowsSql("recent") } as const;

/**
 * The PostgreSQL backend of the build (exported for the benchmark's per-query timings).
 * `sliceLookups` sets the price lookups per query (rows: an eighth); by default all of a call's
 * on plain tables, {@link CHUNKED_SLICE} on TimescaleDB's.
 */
export function postgresSource(
  pool: Queryable,
  options: { sliceLookups?: number } = {},
): DatasetSource {
  const sql = withoutJit(pool);
  let slice: Promise<number> | undefined;
  const sliceSize = () =>
    slice ??= options.sliceLookups !== undefined
      ? Promise.resolve(options.sliceLookups)
      : sql.unsafe<{ chunked: boolean }[]>(CHUNKED_SQL).then(([r]) =>
        r?.chunked === true ? CHUNKED_SLICE : Infinity
      );
  return {
    candidates: async ({ since, until }): Promise<CandidateScan> => {
      const rows = await sql.unsafe<CandidateRecord[]>(CANDIDATES_SQL, [
        since === null ? null : iso(since),
        until === null ? null : iso(until),
      ]);
      return candidatesOf(rows);
    },
    groupMembers: async (keys) => {
      const rows = await sql.unsafe<
        { key: string; market_id: string; yes_token: string; exists_ms: number | null }[]
      >(GROUP_MEMBERS_SQL, [keys as string[]]);
      const out = new Map<string, GroupMember[]>();
      for (const r of rows) {
        const list = out.get(r.key) ?? [];
        list.push({ marketId: r.market_id, yesToken: r.yes_token, existsFrom: r.exists_ms });
        out.set(r.key, list);
      }
      return out;
    },
    batchByEnd: async () => await sliceSize() !== Infinity,
    prices: async (lookups) => {
      const size = await sliceSize();
      return await inSlices(
        lookups,
        (l) => l.cut,
        size,
        (part) => pricesOf(sql, part, size !== Infinity),
      );
    },
    rows: async (lookups) => {
      const size = await sliceSize();
      const rows = Math.max(1, Math.floor(size / ROWS_PER_SLICE_SHARE));
      return await inSlices(
        lookups,
        (l) => l.instant,
        rows,
        (part) => rowsOf(sql, part, size !== Infinity),
      );
    },
    metadata: async (lookups) => {
      const rows = await sql.unsafe<{ metadata: Record<string, unknown> | null }[]>(
        METADATA_SQL,
        [col(lookups, (l) => l.marketId), numberCol(lookups, (l) => l.instant)],
      );
      return rows.map((r) => r.metadata);
    },
  };
}

/** What this module sends its queries through ({@link withoutJit}). */
interface Lookups {
  unsafe<T extends readonly unknown[]>(text: string, params?: unknown[]): Promise<T>;
}

/**
 * Each query in a transaction of its own with JIT off (the two statements pipelined). A query's
 * estimated cost grows with its lookups, about 6.7 per price lookup: past `jit_above_cost`
 * (100,000 by default), ~15,000 lookups, which a batch of 1,000 rows reaches when its markets sit
 * in large neg-risk groups (a price lookup per member and row), PostgreSQL compiles the plan
 * before running it. Compiling costs more than it saves on index probes: a price query of 17,026
 * lookups took 141–175 ms with JIT, 76–110 ms without (the benchmark's seed). Inside a caller's
 * transaction (no `begin`), its queries run as they are.
 */
function withoutJit(sql: Queryable): Lookups {
  const pool = sql as Partial<Pick<Sql, "begin">>;
  if (typeof pool.begin !== "function") return sql as unknown as Lookups;
  const begin = pool.begin.bind(sql);
  return {
    unsafe: async <T extends readonly unknown[]>(text: string, params: unknown[] = []) => {
      const [, rows] = await begin((tx) => [
        tx.unsafe("set local jit = off"),
        tx.unsafe(text, params as never[]),
      ]);
      return rows as unknown as T;
    },
  };
}

/**
 * `answer` of `items` in slices of `size` in order of `instant` (one call when they fit),
 * the answers back in the items' order.
 */
async function inSlices<L, A>(
  items: readonly L[],
  instant: (item: L) => number,
  size: number,
  answer: (part: readonly L[]) => Promise<A[]>,
): Promise<A[]> {
  if (items.length <= size) return await answer(items);
  const order = items.map((_, i) => i).sort((a, b) => instant(items[a]!) - instant(items[b]!));
  const out = new Array<A>(items.length);
  for (let from = 0; from < order.length; from += size) {
    const part = order.slice(from, from + size);
    const answers = await answer(part.map((i) => items[i]!));
    for (let n = 0; n < part.length; n++) out[part[n]!] = answers[n]!;
  }
  return out;
}

/**
 * A query's span parameters from its cuts' least and greatest (`SPAN` in `_dataset_pg_sql.ts`):
 * the upper and then the lower for `recent` asks, the upper alone for `older`.
 */
const cutSpan = (asks: "recent" | "older", [first, last]: [number, number]): number[] =>
  asks === "recent" ? [last, first - RECENT_MS] : [last];

/**
 * The rows query's span parameters: its book cuts' (`cutSpan`), then the first hour of the
 * trades' last hours and the last `tradeUntil` (`hourFloor` keeps their order).
 */
function rowsSpan(lookups: readonly RowLookup[]): number[] {
  const [first, last] = rangeOf(lookups, (l) => l.tradeUntil);
  return [...cutSpan("recent", rangeOf(lookups, (l) => l.bookCut)), hourFloor(first), last];
}

/**
 * The price lookups in one query of each source (`spanned`: bounded by their span, `SPAN`, and
 * asked `recent`; then the lookups a source left unanswered, `older`).
 */
async function pricesOf(
  sql: Lookups,
  lookups: readonly PriceLookup[],
  spanned: boolean,
): Promise<(PricePoint | null)[]> {
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
    (await sql.unsafe<{ n: number }[]>(BACKFILLED_SQL, [tokens])).map((r) => r.n),
  );
  const history = lookups.flatMap((_, i) => backfilled.has(at[i]!) ? [i] : []);
  const records: (PriceRecord | undefined)[] = new Array(lookups.length);
  const all = lookups.map((_, i) => i);
  // One query of each source over `asked` (indices into the lookups).
  const ask = async (asks: Asks, asked: readonly number[], askedHistory: readonly number[]) => {
    const params = (part: readonly number[]) => [
      tokens,
      numberCol(part, (i) => at[i]!),
      numberCol(part, (i) => lookups[i]!.cut),
      ...(asks === "all" ? [] : cutSpan(asks, rangeOf(part, (i) => lookups[i]!.cut))),
    ];
    const [[snapshots], [points]] = await Promise.all([
      asked.length === 0
        ? [] as SnapshotColumns[]
        : sql.unsafe<SnapshotColumns[]>(SNAPSHOTS[asks], params(asked)),
      askedHistory.length === 0
        ? [] as HistoryColumns[]
        : sql.unsafe<HistoryColumns[]>(HISTORY[asks], params(askedHistory)),
    ]);
    if (snapshots !== undefined) readSnapshots(snapshots, asked, records);
    if (points !== undefined) readPoints(points, askedHistory, records);
  };
  await ask(spanned ? "recent" : "all", all, history);
  if (spanned) {
    await ask(
      "older",
      all.filter((i) => records[i]?.ts == null),
      history.filter((i) => records[i]?.hTs == null),
    );
  }
  return records.map((r) => r === undefined ? null : pricePointOf(r));
}

/**
 * The rows' lookups in one query (`spanned`: bounded by their span, `SPAN`, and asked `recent`;
 * then the rows left without a book, `older`).
 */
async function rowsOf(
  sql: Lookups,
  lookups: readonly RowLookup[],
  spanned: boolean,
): Promise<RowAnswer[]> {
  // The windows' totals come from whole hours of trade_hours, and their last hour's trades
  // count in both (see `rowsSql`).
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
  >(ROWS[spanned ? "recent" : "all"], [
    col(lookups, (l) => l.marketId),
    col(lookups, (l) => l.yesToken),
    col(lookups, (l) => l.noToken),
    numberCol(lookups, (l) => l.instant),
    numberCol(lookups, (l) => l.bookCut),
    numberCol(lookups, (l) => l.tradeFrom),
    numberCol(lookups, (l) => l.tradeFromShort),
    numberCol(lookups, (l) => l.tradeUntil),
    numberCol(lookups, (l) => hourFloor(l.tradeUntil)),
    ...(spanned ? rowsSpan(lookups) : []),
  ]);
  // Asked `recent`, a row without a book within a day of its cut is asked again, `older`.
  type Book = Pick<(typeof rows)[number], "book_ts" | "bid_usd" | "ask_usd">;
  const older = new Map<number, Book>();
  const bookless = spanned ? rows.flatMap((r, i) => r.book_ts === null ? [i] : []) : [];
  if (bookless.length > 0) {
    const answers = await sql.unsafe<(Book & { i: number })[]>(OLDER_BOOKS_SQL, [
      col(bookless, (i) => lookups[i]!.yesToken),
      numberCol(bookless, (i) => lookups[i]!.bookCut),
      ...cutSpan("older", rangeOf(bookless, (i) => lookups[i]!.bookCut)),
    ]);
    for (const r of answers) older.set(bookless[r.i - 1]!, r);
  }
  return rows.map((r, i): RowAnswer => ({
    book: bookOf(older.get(i) ?? r),
    trades: {
      countShort: r.n_short,
      notionalShort: Number(r.usd_short),
      countLong: r.n_long,
      notionalLong: Number(r.usd_long),
    },
    metadata: r.metadata,
  }));
}

/** A row's book from its stamp (Unix ms) and its sides' notionals as text; null without one. */
function bookOf(
  r: { book_ts: number | null; bid_usd: string | null; ask_usd: string | null },
): RowAnswer["book"] {
  return r.book_ts === null
    ? null
    : { ts: r.book_ts, bidUsd: Number(r.bid_usd), askUsd: Number(r.ask_usd) };
}

/**
 * The snapshot lookups' answers as stored, one column each (`columnsOf`, `_dataset_pg_sql.ts`):
 * each answer's position among the lookups (`i`), the snapshot's stamp in Unix microseconds, its
 * prices in millionths, and the `exact` JSON of the answers that have one (the decimals that did
 * not fit millionths, migration 0008), by position. Read from the table that stores the view, keyed
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

/**
 * Each snapshot answer into `records` at its lookup's index (`asked`: the lookups the query
 * asked, by position), beside a backfilled point already read there.
 */
function readSnapshots(
  c: SnapshotColumns,
  asked: readonly number[],
  records: (PriceRecord | undefined)[],
): void {
  const i = parseNumberList(c.i), us = parseNumberList(c.us);
  const price = parseNumberList(c.price), bid = parseNumberList(c.best_bid);
  const ask = parseNumberList(c.best_ask), last = parseNumberList(c.last_trade_price);
  for (let n = 0; n < i.length; n++) {
    const exact = c.exact?.[i[n]!] ?? null;
    const index = asked[i[n]! - 1]!;
    const point = records[index];
    records[index] = {
      ts: msOf(us[n]!),
      price: decimalOf(exact, "price", price[n] ?? null),
      bestBid: decimalOf(exact, "best_bid", bid[n] ?? null),
      bestAsk: decimalOf(exact, "best_ask", ask[n] ?? null),
      last: decimalOf(exact, "last_trade_price", last[n] ?? null),
      hTs: point?.hTs ?? null,
      hPrice: point?.hPrice ?? null,
    };
  }
}

/** Each backfilled point into the record of its lookup (`history`: the lookups asked, by position). */
function readPoints(
  c: HistoryColumns,
  history: readonly number[],
  records: (PriceRecord | undefined)[],
): void {
  const i = parseNumberList(c.i), us = parseNumberList(c.us), price = parseNumberList(c.price);
  for (let n = 0; n < i.length; n++) {
    const record = records[history[i[n]! - 1]!] ??= { ...NO_PRICES };
    record.hTs = msOf(us[n]!);
    record.hPrice = price[n]!;
  }
}

/** Unix ms (cut down, as `floor(epoch * 1000)` and DuckDB's `epoch_ms`) from Unix µs. */
const msOf = (us: number) => Math.floor(us / 1000);

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
