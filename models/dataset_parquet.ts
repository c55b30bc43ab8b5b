/**
 * The point-in-time dataset built by DuckDB over a `pmcollect export` folder, so that years of
 * history need not sit in PostgreSQL. The same lookups and rules as the PostgreSQL builder
 * (`dataset.ts`, `_dataset_build.ts`), answered set-based over the Parquet files (prices and
 * books by a hash join near each cut, trades by one on the token, metadata and the gaps by ASOF
 * joins): equal data gives identical rows. Its cost grows with the rows stored in the days it
 * reads, not with the lookups (docs/models.md, "Build rate"): each batch (markets that end near
 * each other) reads the days around its cuts and its trade windows, and what lies further back
 * only for the lookups that have nothing nearer (a gap, or a group member that stopped trading),
 * by their tokens' stamps and then the matched rows' days.
 *
 * The folder must hold the catalog (`markets`, `tokens`, `resolutions`, and
 * `market_metadata_history` for metadata as of the instant) exported whole (`<table>/all/`), and
 * the series by day (`price_snapshots`, `price_history` (the backfill's), `book_snapshots`,
 * `trades`, `<table>/date=…/`): `pmcollect export --out DIR --tables markets,tokens,resolutions,
 * market_metadata_history,price_snapshots,price_history,book_snapshots,trades`.
 * A missing series or metadata table reads as empty (its features are NaN); a missing catalog
 * table is an error.
 *
 * @example
 * ```ts ignore
 * import { buildDatasetFromExport } from "./dataset_parquet.ts";
 * import { parseHorizons } from "./dataset.ts";
 * const { rows } = await buildDatasetFromExport("/srv/parquet", { horizons: parseHorizons("24h") });
 * ```
 */
import { join } from "node:path";
import {
  type DuckColumn,
  type DuckDb,
  duckString,
  numberOf,
  numberReader,
  openDuckDb,
} from "../export/_duckdb.ts";
import type { GroupMember } from "./_dataset_features.ts";
import {
  buildFromSource,
  type DatasetBuild,
  type DatasetSource,
  rangeOf,
  type RowLookup,
} from "./_dataset_build.ts";
import {
  BOOK_LAST_SQL,
  BOOK_MATCHES_SQL,
  BOOK_MATCHES_TABLE,
  BOOK_SOURCE,
  BOOK_VALUES_SQL,
  booksNearSql,
  endsSql,
  METADATA_SQL,
  type NearSource,
  PRICE_LAST_SQL,
  PRICE_MATCHES_SQL,
  PRICE_MATCHES_TABLE,
  PRICE_SOURCES,
  PRICE_VALUES_SQL,
  pricesNearSql,
  probesSql,
  spanSql,
  TRADES_SQL,
  unprobedSql,
} from "./_dataset_duck_sql.ts";
import {
  type CandidateRecord,
  candidatesOf,
  NO_PRICES,
  pricePointOf,
  type PriceRecord,
} from "./_dataset_candidates.ts";
import type { DatasetOptions } from "./dataset.ts";

const CATALOG = ["markets", "tokens", "resolutions"] as const;
const SERIES = ["price_snapshots", "price_history", "book_snapshots", "trades"] as const;
type Series = typeof SERIES[number];

/** A series' columns the build reads, for a view of no files (no such table, or no such days). */
const EMPTY: Readonly<Record<Series | "market_metadata_history", string>> = {
  market_metadata_history:
    "select null::varchar as market_id, null::timestamptz as valid_from, null::json as metadata",
  price_snapshots: "select null::varchar as token_id, null::timestamptz as ts, " +
    "null::varchar as price, null::varchar as best_bid, null::varchar as best_ask, " +
    "null::varchar as last_trade_price",
  book_snapshots: "select null::varchar as token_id, null::timestamptz as ts, " +
    "null::json as bids, null::json as asks",
  price_history: "select null::varchar as token_id, null::timestamptz as ts, " +
    "null::integer as fidelity_minutes, null::varchar as price",
  trades: "select null::varchar as token_id, null::timestamptz as ts, " +
    "null::varchar as price, null::varchar as size",
};

/** A day of a series in the export: `date=<day>/` and its Parquet files. */
interface Day {
  readonly day: string;
  readonly files: readonly string[];
}

const DAY_MS = 86_400_000;
/**
 * How far before a batch's first cut its near passes read: two buckets of at most a day each
 * (`nearPasses`).
 */
const NEAR_DAYS_MS = 2 * DAY_MS;
/** The UTC day of Unix ms, as the export names its folders (`date=YYYY-MM-DD`). */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** An export folder that lacks a table the build needs. */
export class ExportFolderError extends Error {
  readonly folder: string;
  constructor(folder: string, message: string) {
    super(`Cannot build a dataset from ${folder}: ${message}`);
    this.name = "ExportFolderError";
    this.folder = folder;
  }
}

/**
 * Market-horizons per batch of lookups by default. DuckDB answers a batch in a few set-based
 * passes, so batches are large; but the program holds a batch's lookups and answers at once,
 * ~2.5–5 kB a market-horizon while it is built (81,000 in one batch did not fit a 200 MB heap,
 * in batches of 20,000 they did). The venue's whole history (~350,000 markets in May 2026, three
 * horizons each) in one batch would need several GB, more than V8 takes on an 8 GB server. On
 * 81,000 market-horizons (the benchmark's seed ten times over) one batch took 7.9 s and 868 MB at
 * most, four batches 10.6 s and 635 MB.
 */
export const PARQUET_BATCH_ROWS = 50_000;

/** Builds the dataset from an export folder (see the module header). */
export async function buildDatasetFromExport(
  folder: string,
  options: DatasetOptions,
): Promise<DatasetBuild> {
  const duck = await openDuckDb({ memoryLimit: "2GB" });
  try {
    return await buildFromSource(await exportSource(duck, folder), {
      ...options,
      batchRows: options.batchRows ?? PARQUET_BATCH_ROWS,
      concurrency: 1,
    });
  } finally {
    duck.close();
  }
}

/**
 * Defines the catalog's views and returns each series' days (those with Parquet files, in order)
 * for the series' views ({@link seriesView}), which each batch defines over the days it reads.
 */
async function defineTables(duck: DuckDb, folder: string): Promise<Map<Series, Day[]>> {
  /** `<table>/all/*.parquet` read whole, or null when the folder has no such table. */
  const whole = async (table: string) => {
    const all = join(folder, table, "all");
    const found = await Deno.stat(all).then((s) => s.isDirectory, (err) => {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    });
    const glob = duckString(join(all, "*.parquet"));
    return found ? `read_parquet(${glob}, hive_partitioning = false, union_by_name = true)` : null;
  };
  for (const table of CATALOG) {
    const source = await whole(table);
    if (source === null) {
      throw new ExportFolderError(
        folder,
        `no ${table}/all/*.parquet (export it: --tables ${table})`,
      );
    }
    await duck.run(`create view ${table} as select * from ${source}`);
  }
  // An export of markets from before migration 0016 has no category: the domain then comes
  // from the metadata alone, as in a database whose markets were never given one.
  const [category] = await duck.rows(
    "select count(*)::int as n from (describe markets) where column_name = 'category'",
  );
  if (Number(category?.n) === 0) {
    await duck.run(
      `create or replace view markets as select *, null::varchar as category from ${await whole(
        "markets",
      )}`,
    );
  }
  const metadata = await whole("market_metadata_history");
  await duck.run(
    `create view market_metadata_history as ${
      metadata === null
        ? `${EMPTY.market_metadata_history} where false`
        : `select * from ${metadata}`
    }`,
  );
  const days = new Map<Series, Day[]>();
  for (const table of SERIES) days.set(table, await daysOf(join(folder, table)));
  return days;
}

/**
 * The days of a series folder that hold Parquet files, in order ([] when there is none), each
 * with its files' paths: views name their files, so that binding a query lists no folder.
 */
async function daysOf(path: string): Promise<Day[]> {
  const days: Day[] = [];
  try {
    for await (const entry of Deno.readDir(path)) {
      const day = /^date=(\d{4}-\d{2}-\d{2})$/.exec(entry.name)?.[1];
      if (!entry.isDirectory || day === undefined) continue;
      const files: string[] = [];
      for await (const file of Deno.readDir(join(path, entry.name))) {
        if (file.isFile && file.name.endsWith(".parquet")) {
          files.push(join(path, entry.name, file.name));
        }
      }
      if (files.length > 0) days.push({ day, files: files.sort() });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return days.sort((a, b) => a.day < b.day ? -1 : 1);
}

/** A view `name` of a series' files of the given days (of none: no rows). */
async function seriesView(
  duck: DuckDb,
  table: Series,
  name: string,
  days: readonly Day[],
): Promise<void> {
  const files = days.flatMap((d) => d.files.map(duckString));
  await duck.run(
    `create or replace view ${name} as ${
      files.length === 0
        ? `${EMPTY[table]} where false`
        : `select * from read_parquet([${files.join(", ")}], hive_partitioning = true, ` +
          `union_by_name = true)`
    }`,
  );
}

/** A fresh temp table of the given columns (name → type and values), filled a chunk at a time. */
async function lookupTable(
  duck: DuckDb,
  name: string,
  columns: Readonly<Record<string, DuckColumn>>,
): Promise<void> {
  const list = Object.entries(columns);
  await duck.run(
    `create or replace temp table ${name} (${list.map(([c, { type }]) => `${c} ${type}`)})`,
  );
  await duck.appendColumns(name, list.map(([, column]) => column));
}

/**
 * Small integer keys for the ids of one lookup table: DuckDB's joins partition, sort and hash
 * on their equality key, for less CPU on an integer than on a token's text.
 */
class DenseKeys {
  readonly #keys = new Map<string, number>();
  of(id: string): number {
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = this.#keys.size;
      this.#keys.set(id, key);
    }
    return key;
  }
  /** The `(id, k)` table's columns. */
  columns(): Record<"id" | "k", DuckColumn> {
    const ids = [...this.#keys.keys()];
    return {
      id: { type: "varchar", values: ids },
      k: { type: "integer", values: ids.map((_, k) => k) },
    };
  }
}

/** Unix µs of Unix ms, as a DOUBLE column's value (exact below 2⁵³ µs, the year 2255). */
const US = (ms: number) => ms * 1000;
const integers = (values: number[]): DuckColumn => ({ type: "integer", values });
const micros = (values: number[]): DuckColumn => ({ type: "double", values: values.map(US) });

/** The DuckDB backend over an export folder (exported for the benchmark's per-query timings). */
export async function exportSource(duck: DuckDb, folder: string): Promise<DatasetSource> {
  const days = await defineTables(duck, folder);
  /** `<table><suffix>` over the table's days from the UTC day of `from` to that of `to`. */
  const between = (table: Series, suffix: string, from: number, to: number) => {
    const [first, last] = [from === -Infinity ? "" : dayOf(from), dayOf(to)];
    const list = days.get(table)!.filter(({ day }) => day >= first && day <= last);
    return seriesView(duck, table, `${table}${suffix}`, list);
  };
  /** Whether the table has days before that of `at`. */
  const before = (table: Series, at: number) => {
    const list = days.get(table)!;
    return list.length > 0 && list[0]!.day < dayOf(at);
  };
  /** `<table>_at` over the days of the stamps a matches table holds (`where`: its rows). */
  const matched = async (table: Series, matches: string, where = "true") => {
    const rows = await duck.rows(
      `select distinct (ts_us // ${DAY_MS * 1000})::double as d from ${matches} where ${where}`,
    );
    const wanted = new Set(rows.map((r) => dayOf(Number(r.d) * DAY_MS)));
    const list = days.get(table)!.filter(({ day }) => wanted.has(day));
    await seriesView(duck, table, `${table}_at`, list);
  };
  /**
   * Each token's first and last stamps in a whole series, once per build (`endsSql`), over the
   * series' view of every day, defined then: no other query reads the whole series.
   */
  const ended = new Set<string>();
  const ends = async (source: NearSource) => {
    if (ended.has(source.name)) return;
    await seriesView(duck, source.series, source.series, days.get(source.series)!);
    await duck.run(endsSql(source));
    ended.add(source.name);
  };
  /**
   * The lookups of a near source that its near days cannot answer but earlier days can, with
   * their token's last stamp and whether that is the answer (none when its near days begin the
   * series: `unprobedSql`).
   */
  const unprobed = async (source: NearSource, from: number): Promise<Unprobed[]> => {
    if (!before(source.series, from)) return [];
    await ends(source);
    return (await duck.rows(unprobedSql(source))).map((r) => ({
      i: Number(r.i),
      token: String(r.token_id),
      hi: Number(r.hi),
      last: r.last === true,
    }));
  };
  return {
    serial: true,
    // A batch's markets end near each other, so its near passes read few days.
    batchByEnd: () => Promise.resolve(true),
    candidates: async ({ since, until }) => {
      const rows = await duck.rows(`
        select m.market_id, coalesce(m.event_id, '') as event_id,
          m.neg_risk_market_id as group_key, m.category, r.status, r.winner_token_id,
          coalesce(t.n, 0)::int as tokens, t.yes as yes_token, t.no as no_token,
          epoch_ms(coalesce(r.resolved_at, r.first_seen_at))::double as resolved_ms,
          epoch_ms(m.closed_time)::double as closed_ms
        from resolutions r join markets m on m.condition_id = r.condition_id
        left join (
          select market_id, count(*) as n,
            min(token_id) filter (where outcome_index = 0) as yes,
            min(token_id) filter (where outcome_index = 1) as no
          from tokens group by market_id) t on t.market_id = m.market_id
        where r.status in ('resolved', 'ambiguous')
          ${
        since === null
          ? ""
          : `and epoch_us(coalesce(r.resolved_at, r.first_seen_at)) >= ${US(since)}`
      }
          ${
        until === null
          ? ""
          : `and epoch_us(coalesce(r.resolved_at, r.first_seen_at)) < ${US(until)}`
      }
        order by m.market_id`);
      return candidatesOf(rows as unknown as CandidateRecord[]);
    },
    groupMembers: async (keys) => {
      await lookupTable(duck, "group_keys", { key: { type: "varchar", values: keys } });
      const rows = await duck.rows(`
        select m.neg_risk_market_id as key, m.market_id, t.token_id as yes_token,
          epoch_ms(coalesce(m.start_date, m.first_seen_at))::double as exists_ms
        from markets m join tokens t on t.market_id = m.market_id and t.outcome_index = 0
        where m.neg_risk_market_id in (select key from group_keys)
        order by m.neg_risk_market_id, m.market_id`);
      const out = new Map<string, GroupMember[]>();
      for (const r of rows) {
        const key = String(r.key);
        const list = out.get(key) ?? [];
        list.push({
          marketId: String(r.market_id),
          yesToken: String(r.yes_token),
          existsFrom: numberOf(r.exists_ms),
        });
        out.set(key, list);
      }
      return out;
    },
    prices: async (lookups) => {
      const records: (PriceRecord | undefined)[] = new Array(lookups.length);
      const ask = async (subset: readonly number[]) => {
        const tokens = new DenseKeys();
        await lookupTable(duck, "price_lookups", {
          i: integers([...subset]),
          k: integers(subset.map((i) => tokens.of(lookups[i]!.token))),
          cut: micros(subset.map((i) => lookups[i]!.cut)),
        });
        await lookupTable(duck, "price_tokens", tokens.columns());
        return rangeOf(subset, (i) => lookups[i]!.cut);
      };
      // Near each cut first (no sort), over the days around the cuts alone.
      const [first, last] = await ask(lookups.map((_, i) => i));
      const from = first - NEAR_DAYS_MS;
      const [snapshots, history] = PRICE_SOURCES;
      for (const { series } of PRICE_SOURCES) await between(series, "_near", from, last);
      const widths: [number, number] = [
        await nearPasses(duck, snapshots),
        await nearPasses(duck, history),
      ];
      const asof = new Set<number>();
      await readPrices(duck, pricesNearSql(widths), records, asof);
      // Further back: a series that stopped answers by its last stamp; the rest (a gap), by an
      // ASOF join over its tokens' stamps up to its cuts, which answers both sources. Then the
      // values of the rows matched, from their days.
      const lastStamps: (Unprobed & { h: number })[] = [];
      for (const [h, source] of PRICE_SOURCES.entries()) {
        for (const u of await unprobed(source, from)) {
          if (u.last) lastStamps.push({ ...u, h });
          else asof.add(u.i);
        }
      }
      const byLast = lastStamps.filter((u) => !asof.has(u.i));
      if (asof.size === 0 && byLast.length === 0) return records.map(pointOf);
      await duck.run(PRICE_MATCHES_TABLE);
      if (asof.size > 0) {
        const [, upto] = await ask([...asof]);
        for (const { series } of PRICE_SOURCES) await between(series, "_upto", -Infinity, upto);
        await duck.run(PRICE_MATCHES_SQL);
      }
      if (byLast.length > 0) {
        await lookupTable(duck, "price_last", {
          ...lastStampColumns(byLast),
          h: integers(byLast.map((u) => u.h)),
        });
        await duck.run(PRICE_LAST_SQL);
      }
      await matched("price_snapshots", "price_matches", "not h");
      await matched("price_history", "price_matches", "h");
      await readPrices(duck, PRICE_VALUES_SQL, records, null);
      return records.map(pointOf);
    },
    rows: async (lookups) => {
      await rowLookupTables(duck, lookups);
      const [first, last] = rangeOf(lookups, (l) => l.bookCut);
      const from = first - NEAR_DAYS_MS;
      await between(BOOK_SOURCE.series, "_near", from, last);
      await between(
        "trades",
        "_near",
        rangeOf(lookups, (l) => l.tradeFrom)[0],
        rangeOf(lookups, (l) => l.tradeUntil)[1],
      );
      // One connection runs one query at a time.
      const books = await duck.rows(booksNearSql(await nearPasses(duck, BOOK_SOURCE)));
      const gaps = books.filter((r) => r.complete === false).map((r) => Number(r.i));
      const byLast: Unprobed[] = [];
      for (const u of await unprobed(BOOK_SOURCE, from)) {
        if (u.last) byLast.push(u);
        else gaps.push(u.i);
      }
      if (gaps.length > 0 || byLast.length > 0) {
        await duck.run(BOOK_MATCHES_TABLE);
        if (gaps.length > 0) {
          await lookupTable(duck, "book_left", { i: integers(gaps) });
          await between("book_snapshots", "_upto", -Infinity, last);
          await duck.run(BOOK_MATCHES_SQL);
        }
        if (byLast.length > 0) {
          await lookupTable(duck, "book_last", lastStampColumns(byLast));
          await duck.run(BOOK_LAST_SQL);
        }
        await matched("book_snapshots", "book_matches");
        books.push(...await duck.rows(BOOK_VALUES_SQL));
      }
      const trades = await duck.rows(TRADES_SQL);
      const metadata = await duck.rows(METADATA_SQL);
      const out = lookups.map(() => ({
        book: null as { ts: number; bidUsd: number; askUsd: number } | null,
        trades: { countShort: 0, notionalShort: 0, countLong: 0, notionalLong: 0 },
        metadata: null as Record<string, unknown> | null,
      }));
      for (const r of books) {
        if (r.complete === false) continue;
        out[Number(r.i)]!.book = {
          ts: Number(r.ts),
          bidUsd: Number(r.bid_usd),
          askUsd: Number(r.ask_usd),
        };
      }
      for (const r of trades) {
        out[Number(r.i)]!.trades = {
          countShort: Number(r.n_short),
          notionalShort: Number(r.usd_short),
          countLong: Number(r.n_long),
          notionalLong: Number(r.usd_long),
        };
      }
      for (const r of metadata) out[Number(r.i)]!.metadata = metadataOf(r);
      return out;
    },
    metadata: async (lookups) => {
      await rowLookupTables(duck, lookups);
      const out: (Record<string, unknown> | null)[] = lookups.map(() => null);
      for (const r of await duck.rows(METADATA_SQL)) out[Number(r.i)] = metadataOf(r);
      return out;
    },
  };
}

const metadataOf = (row: Record<string, unknown>) =>
  row.metadata === null ? null : JSON.parse(String(row.metadata)) as Record<string, unknown>;

/**
 * The row lookups as `row_lookups`, their tokens and markets keyed by `row_tokens` and
 * `row_markets` (what `rows` and `metadata` query).
 */
async function rowLookupTables(duck: DuckDb, lookups: readonly RowLookup[]): Promise<void> {
  const tokens = new DenseKeys();
  const markets = new DenseKeys();
  await lookupTable(duck, "row_lookups", {
    i: integers(lookups.map((_, i) => i)),
    market: integers(lookups.map((l) => markets.of(l.marketId))),
    yes: integers(lookups.map((l) => tokens.of(l.yesToken))),
    no: integers(lookups.map((l) => tokens.of(l.noToken))),
    instant: micros(lookups.map((l) => l.instant)),
    book_cut: micros(lookups.map((l) => l.bookCut)),
    t_from: micros(lookups.map((l) => l.tradeFrom)),
    t_from_short: micros(lookups.map((l) => l.tradeFromShort)),
    t_until: micros(lookups.map((l) => l.tradeUntil)),
  });
  await lookupTable(duck, "row_tokens", tokens.columns());
  await lookupTable(duck, "row_markets", markets.columns());
}

/** A lookup its near days could not answer (`unprobedSql`): its token's last stamp (Unix µs). */
interface Unprobed {
  readonly i: number;
  readonly token: string;
  readonly hi: number;
  /** Whether that last stamp is the answer (the cut is at or after it). */
  readonly last: boolean;
}

/** The `(i, token_id, ts_us)` columns of the lookups answered by their token's last stamp. */
const lastStampColumns = (rows: readonly Unprobed[]): Record<string, DuckColumn> => ({
  i: integers(rows.map((u) => u.i)),
  token_id: { type: "varchar", values: rows.map((u) => u.token) },
  ts_us: { type: "double", values: rows.map((u) => u.hi) },
});

const pointOf = (r: PriceRecord | undefined) => r === undefined ? null : pricePointOf(r);

/**
 * Reads a price query's rows ({@link PRICE_VALUES_SQL}'s columns, by position) into `records`
 * by lookup index, chunk by chunk, each source's fields where the row has its stamp (a lookup's
 * two sources may come from two queries), each DECIMAL as the nearest double of its exact value
 * in the program (`numberReader`): DuckDB's casts of the export's 128-bit decimals cost more.
 * With `incomplete`, the rows flagged not `complete` go there instead.
 */
async function readPrices(
  duck: DuckDb,
  query: string,
  records: (PriceRecord | undefined)[],
  incomplete: Set<number> | null,
): Promise<void> {
  for await (const chunk of duck.chunks(query)) {
    const columns = Array.from({ length: 8 }, (_, c) => numberReader(chunk.getColumnVector(c)));
    const flags = incomplete === null ? null : chunk.getColumnVector(8);
    const at = (c: number, row: number) => columns[c]!(row);
    for (let row = 0; row < chunk.rowCount; row++) {
      const i = at(0, row)!;
      if (flags !== null && flags.getItem(row) === false) {
        incomplete!.add(i);
        continue;
      }
      const r = records[i] ??= { ...NO_PRICES };
      const ts = at(1, row), hTs = at(6, row);
      if (ts !== null) {
        Object.assign(r, {
          ts,
          price: at(2, row),
          bestBid: at(3, row),
          bestAsk: at(4, row),
          last: at(5, row),
        });
      }
      if (hTs !== null) Object.assign(r, { hTs, hPrice: at(7, row) });
    }
  }
}

/**
 * Runs a near-cut source's span and probes passes (`spanSql`, `probesSql`) and returns the
 * bucket width they used: twice the mean spacing of the lookup tokens' stored rows (their spans
 * over their rows, from the span pass), whole minutes from 1 minute to 1 day; a day when no
 * token has two rows. Only a speed choice: a narrow bucket leaves more lookups to the ASOF join,
 * a wide one matches more rows.
 */
async function nearPasses(duck: DuckDb, source: NearSource): Promise<number> {
  const MINUTE_US = 60_000_000;
  await duck.run(spanSql(source));
  const [stats] = await duck.rows(
    `select sum(hi - lo)::double as span, sum(n - 1)::double as gaps from ${source.name}_span`,
  );
  const spacing = Number(stats?.span ?? 0) / Number(stats?.gaps ?? 0);
  const width = spacing > 0
    ? MINUTE_US * Math.min(1_440, Math.max(1, Math.ceil(2 * spacing / MINUTE_US)))
    : 1_440 * MINUTE_US;
  await duck.run(probesSql(source, width));
  return width;
}
