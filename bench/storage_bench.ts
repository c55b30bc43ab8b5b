/**
 * Storage benchmark (issue 14): the collector's four series — minute prices, 5-minute books,
 * trades and quotes — for the whole universe under the realistic activity model
 * (simulator/activity_model.ts), written through the program's own code: the simulator's
 * books and websocket messages, the websocket parser, the trade keyer and top-of-book reducer
 * of the trades collector, the books collector's row builder, the prices collector's row
 * builder, and the db/ writers. The same rows are then copied into a v0.1 schema (migrations
 * 1-3) in the same database, both are compressed when the server has TimescaleDB (every
 * chunk, with compress_chunk), and bytes per row and GB a day for the full universe are
 * printed side by side. On plain PostgreSQL nothing compresses: the sizes are uncompressed.
 *
 * Run: `deno task bench storage` (the full universe, 93,000 tokens × 12 hours = three 4-hour
 * price chunks; long on a small machine), or a smaller measured run scaled up per token-day, which
 * must be asked for: `deno run -A bench/storage_bench.ts --tokens 4000 --extrapolate`.
 * The server comes from TEST_DATABASE_URL.
 */
import { parseArgs } from "node:util";
import type { Sql } from "../db/client.ts";
import { migrate, type SchemaMode } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { insertQuotes, insertTrades, type TradeRow } from "../db/trades.ts";
import { appendPriceRows } from "../collectors/prices.ts";
import { toBookRow } from "../collectors/books.ts";
import { TopOfBook } from "../collectors/_top_of_book.ts";
import { tradeRowOf } from "../collectors/trades.ts";
import { createTradeKeyer } from "../db/trade_identity.ts";
import { parseWsMessage } from "../polymarket/ws_frame.ts";
import { parseBook } from "../polymarket/clob_book.ts";
import { numberToDecimalText } from "../polymarket/ids.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import { createUniverse, PRICE_SCALE, type SimMarket } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { restBook } from "../simulator/ws_messages.ts";
import { SIZE_SCALE } from "../simulator/book.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { silentLogger } from "../runtime/log.ts";
import { compressedColumns } from "./_compressed_columns.ts";
import { compressAsPolicy, pauseJobs } from "./_compress_as_policy.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

/** The venue's active tokens. */
const FULL_TOKENS = 93_000;
/** Three full 4-hour price chunks, one full 12-hour book chunk (migration 0008). */
const FULL_HOURS = 12;
const BOOK_EVERY_MINUTES = 5;
const QUOTES_INTERVAL_MS = 1_000;
const START = Date.UTC(2026, 4, 4); // a midnight, so the hours fill whole chunks

/**
 * [public name, v2 storage relation, hours a v2 row can stay uncompressed on TimescaleDB:
 * one chunk plus the 1-hour compress_after and the 30-minute policy interval (trades: 1-day
 * chunks compressed after 3 days)].
 */
const SERIES = [
  ["price_snapshots", "price_snapshot_data", 4 + 1.5],
  ["book_snapshots", "book_snapshot_data", 12 + 1.5],
  ["trades", "trades", 24 + 72 + 12],
  ["quotes", "quote_data", 24 + 1.5],
] as const;

export interface Options {
  tokens: number;
  hours: number;
  extrapolate: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tokens: { type: "string", default: String(FULL_TOKENS) },
      hours: { type: "string", default: String(FULL_HOURS) },
      extrapolate: { type: "boolean", default: false },
    },
  });
  const tokens = 2 * Math.round(Number(values.tokens) / 2);
  const hours = Number(values.hours);
  if (!(tokens >= 2 && tokens <= 100_000) || !(hours > 0)) {
    throw new RangeError("--tokens must be 2..100,000 and --hours positive");
  }
  if ((tokens < FULL_TOKENS || hours < FULL_HOURS) && !values.extrapolate) {
    throw new RangeError(
      `a run smaller than ${FULL_TOKENS} tokens × ${FULL_HOURS} h is scaled up per token-day ` +
        "only when asked: add --extrapolate",
    );
  }
  return { tokens, hours, extrapolate: values.extrapolate };
}

/** Writes the series for `options` into the (migrated) database `sql`; returns row counts. */
export async function writeSeries(sql: Sql, options: Options): Promise<void> {
  let nowMs = START;
  const universe = createUniverse({ markets: options.tokens / 2, seed: 14, now: START });
  const world = new World(universe, { seed: 14, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const tob = new TopOfBook();
  const keyer = createTradeKeyer();
  const volume = new Float64Array(universe.markets.length);
  const open = universe.markets.filter((m) => m.status === "open");
  for (const m of open) volume[m.index] = m.volume / 300;
  let trades: TradeRow[] = [];
  for (let minute = 0; minute < options.hours * 60; minute++) {
    const minuteMs = START + minute * 60_000;
    if (minute % BOOK_EVERY_MINUTES === 0) await writeBooks(sql, world, open, minuteMs);
    await insertPriceSnapshots(sql, priceRows(world, open, volume, minuteMs), { method: "copy" });
    for (let second = 0; second < 60; second++) {
      nowMs = minuteMs + second * 1000;
      const events = world.realisticEventsIn(model, QUOTES_INTERVAL_MS);
      for (const e of world.stepRealistic(model, events)) {
        const m = parseWsMessage(e.message, nowMs);
        if (typeof m === "string") throw new Error(`simulator sent a reject: ${m}`);
        if (m.kind !== "trade") {
          tob.apply(m);
          continue;
        }
        const market = universe.byCondition.get(m.market);
        if (market !== undefined) volume[market.index]! += Number(m.price) * Number(m.size);
        trades.push(tradeRowOf(m, keyer));
      }
      const quotes = tob.drain();
      if (quotes.length > 0) await insertQuotes(sql, quotes);
    }
    if (trades.length > 0) await insertTrades(sql, trades);
    trades = [];
  }
}

/**
 * One minute of price rows as the prices collector makes them from Gamma: the simulator's
 * Gamma numbers (bid, ask, last trade as floats) read as the Gamma parser reads JSON numbers,
 * a 24-hour volume summed in floating point as Gamma's is (so it carries Gamma's float noise),
 * and the book's notional as liquidity.
 */
function priceRows(
  world: World,
  markets: readonly SimMarket[],
  volume: Float64Array,
  minuteMs: number,
): PriceSnapshotRow[] {
  const rows: PriceSnapshotRow[] = [];
  const decimal = (n: number) => numberToDecimalText(n)!;
  for (const m of markets) {
    const book = world.book(m);
    const bid = book.bestBid() ?? m.priceUnits - m.tickUnits;
    const ask = book.bestAsk() ?? m.priceUnits + m.tickUnits;
    const last = book.lastTradeUnits ?? m.priceUnits;
    let liquidity = 0;
    for (const [p, s] of book.bids) liquidity += (p / PRICE_SCALE) * (s / SIZE_SCALE);
    for (const [p, s] of book.asks) liquidity += (1 - p / PRICE_SCALE) * (s / SIZE_SCALE);
    const gamma = {
      clobTokenIds: m.tokenIds,
      outcomePrices: [decimal(last / PRICE_SCALE), decimal((PRICE_SCALE - last) / PRICE_SCALE)],
      bestBid: decimal(bid / PRICE_SCALE),
      bestAsk: decimal(ask / PRICE_SCALE),
      lastTradePrice: decimal(last / PRICE_SCALE),
      volume24hr: decimal(volume[m.index]!),
      // Gamma's liquidity has at most 5 decimals (recorded fixtures), its volume24hr not.
      liquidity: decimal(Math.round(liquidity * 1e5) / 1e5),
    } as unknown as GammaMarket;
    appendPriceRows(rows, gamma, new Date(minuteMs));
  }
  return rows;
}

/** One books cycle: every token's REST book, parsed and turned into rows as the collector does. */
async function writeBooks(sql: Sql, world: World, markets: readonly SimMarket[], ms: number) {
  let rows: BookSnapshotRow[] = [];
  for (const m of markets) {
    const book = world.book(m);
    for (const outcome of [0, 1] as const) {
      rows.push(toBookRow(parseBook(restBook(m, book, outcome), ms), new Date(ms)));
    }
    if (rows.length >= 2_000) {
      await insertBookSnapshots(sql, rows);
      rows = [];
    }
  }
  if (rows.length > 0) await insertBookSnapshots(sql, rows);
}

/** The same rows in a v0.1 schema (migrations 1-3), read back through the v2 views. */
async function copyToV01(sql: Sql, from: string): Promise<void> {
  await sql.unsafe(`insert into price_snapshots select * from ${from}.price_snapshots`);
  await sql.unsafe(`insert into book_snapshots select * from ${from}.book_snapshots`);
  // The v0.1 columns by name: a later migration may add to trades.
  const columns = "ts, token_id, trade_key, condition_id, received_at, price, size, side, " +
    "fee_rate_bps, tx_hash, source";
  await sql.unsafe(`insert into trades (${columns}) select ${columns} from ${from}.trades`);
  await sql.unsafe(`insert into quotes select * from ${from}.quotes`);
}

/**
 * Bytes of `table` with its indexes before compression and after compressing every chunk
 * (TimescaleDB; on plain PostgreSQL both are the uncompressed size).
 */
async function storedBytes(
  sql: Sql,
  mode: SchemaMode,
  table: string,
): Promise<{ before: number; after: number; rebatchSeconds: number | null }> {
  await sql.unsafe(`vacuum analyze ${table}`);
  if (mode === "timescale") {
    const ts = (await timescaleSchema(sql))!;
    const size = async () => {
      const [r] = await sql.unsafe(`select ${ts}.hypertable_size($1::regclass)::text as n`, [
        table,
      ]);
      return Number(r!.n);
    };
    const before = await size();
    const compression = await compressAsPolicy(sql, ts, table);
    await sql.unsafe(`vacuum analyze ${table}`);
    return { before, after: await size(), rebatchSeconds: compression.rebatchSeconds };
  }
  const [r] = await sql`select pg_total_relation_size(${table}::regclass)::text as n`;
  return { before: Number(r!.n), after: Number(r!.n), rebatchSeconds: null };
}

async function rowCount(sql: Sql, table: string): Promise<number> {
  const [r] = await sql.unsafe(`select count(*)::text as n from ${table}`);
  return Number(r!.n);
}

/** Runs the benchmark and returns printable lines; the last is the summary line. */
export async function runStorageBench(options: Options): Promise<string[]> {
  const log = silentLogger();
  const v2 = await createTestDatabase("server");
  const v01 = await createTestDatabase("server");
  const lines: string[] = [];
  try {
    const { mode } = await migrate(v2.sql, { log, timescale: "auto" });
    await migrate(v01.sql, {
      log,
      timescale: "auto",
      migrations: MIGRATIONS.filter((m) => m.version <= 3),
    });
    // The bench compresses itself, as the policies would (compressAsPolicy).
    if (mode === "timescale") {
      await pauseJobs(v2.sql);
      await pauseJobs(v01.sql);
    }
    const started = performance.now();
    await writeSeries(v2.sql, options);
    const writeSeconds = (performance.now() - started) / 1000;
    await copyToV01(v01.sql, v2.schema);
    const perDay = (24 / options.hours) * (FULL_TOKENS / options.tokens);
    lines.push(
      `storage: ${options.tokens.toLocaleString("en-US")} tokens × ${options.hours} h of the ` +
        `realistic model, written in ${writeSeconds.toFixed(0)} s; mode ${mode}` +
        (mode === "timescale" ? " (every chunk compressed)" : " (uncompressed sizes)"),
    );
    if (options.extrapolate) {
      lines.push(
        `extrapolated (--extrapolate): GB/day = measured bytes × ${perDay.toFixed(2)} ` +
          `(to ${FULL_TOKENS.toLocaleString("en-US")} tokens × 24 h)`,
      );
    }
    lines.push("series            rows/day(full)  v2 B/row  v0.1 B/row  v2 GB/day  v0.1 GB/day");
    let total = 0, totalV01 = 0, uncompressed = 0;
    const openLines: string[] = [];
    const columnLines: string[] = [];
    for (const [name, stored, openHours] of SERIES) {
      const rows = await rowCount(v2.sql, name);
      const sizes = await storedBytes(v2.sql, mode, stored);
      const bytes = sizes.after;
      const bytesV01 = (await storedBytes(v01.sql, mode, name)).after;
      if (mode === "timescale") {
        columnLines.push(await compressedColumns(v2.sql, v2.schema, stored));
      }
      const open = (sizes.before * perDay * openHours) / 24 / 1e9;
      uncompressed += open;
      openLines.push(
        `  ${name}: ${(rows === 0 ? 0 : sizes.before / rows).toFixed(1)} B/row before ` +
          `compression, ${open.toFixed(1)} GB over ${openHours} h` +
          (sizes.rebatchSeconds !== null
            ? `; rebatch job ${sizes.rebatchSeconds.toFixed(1)} s, ` +
              `${Math.round(rows / sizes.rebatchSeconds)} rows/s`
            : ""),
      );
      const gb = (bytes * perDay) / 1e9, gbV01 = (bytesV01 * perDay) / 1e9;
      total += gb;
      totalV01 += gbV01;
      const perRow = (b: number) => (rows === 0 ? "-" : (b / rows).toFixed(1));
      lines.push(
        `${name.padEnd(17)} ${Math.round(rows * perDay).toLocaleString("en-US").padStart(14)}  ` +
          `${perRow(bytes).padStart(8)}  ${perRow(bytesV01).padStart(10)}  ` +
          `${gb.toFixed(3).padStart(9)}  ${gbV01.toFixed(3).padStart(11)}`,
      );
    }
    const [keys] = await v2.sql`
      select (pg_total_relation_size('token_keys') + pg_total_relation_size('condition_keys'))
             ::text as n`;
    lines.push(`key dictionaries: ${(Number(keys!.n) / 1e6).toFixed(1)} MB once (not per day)`);
    if (mode === "timescale") {
      lines.push(
        `uncompressed at any moment (one open chunk + 1.5 h per table, trades 4.5 days): ` +
          `${uncompressed.toFixed(1)} GB (target <= 10)`,
        ...openLines,
        ...columnLines,
      );
    }
    lines.push(
      `storage total: ${total.toFixed(2)} GB/day (v0.1 schema: ${totalV01.toFixed(2)} GB/day)`,
    );
  } finally {
    await v2.dispose();
    await v01.dispose();
  }
  return lines;
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  for (const line of await runStorageBench(parseOptions(Deno.args))) console.log(line);
}
