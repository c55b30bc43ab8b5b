/**
 * Storage benchmark (issues 14 and 26): what a server running the collector stores, measured
 * as the server reaches it. The collector's four series — minute prices, 5-minute books, trades
 * and quotes — and the recorded stream are written for a subset of the universe under the
 * realistic activity model (simulator/activity_model.ts) through the program's own code (the
 * simulator's books and websocket messages, the websocket parser, the trades collector's keyer
 * and top-of-book reducer, the books and prices collectors' row builders, the db/ writers and
 * the stream recorder) with a simulated clock that moves forward minute by minute. On
 * TimescaleDB the server's own jobs run between the minutes, when their schedules fall due in
 * simulated time and at the ages a server would see (bench/_server_jobs.ts: compression
 * policies, continuous-aggregate refreshes, migration 0012's rebatch job), and the stream's
 * packer packs each 6-hour window 15 minutes after it ends (PMCOLLECT_STREAM_PACK_AFTER_MS), as
 * the recorder does.
 *
 * The stream's figure comes from a run of its own at the venue's scale (bench/_venue_stream.ts:
 * the venue's 46,500 markets at the venue's rate for `--stream-hours`, default one 6-hour
 * window, packed and compressed by the same jobs, already per venue day once × 24 / settled
 * hours): the week run's few hundred tokens put most of their events on the venue's busiest
 * market, whose packs compress far better than the venue's mix, so its stream does not scale
 * by tokens (it is printed beside, not added). `--stream-hours 0` adds the week run's stream
 * instead, as before. Six hours count the rows left unpacked at up to four times their daily
 * cost: a token's rows of a day are one compressed batch of the merged day chunk, and the
 * subscription's book headers put every token in the window; `--stream-hours 24` measures a
 * whole day (about 4× as long).
 *
 * What is printed, per table and for the stream: rows and bytes measured, with PostgreSQL's own
 * size functions (`chunks_detailed_size`, `pg_total_relation_size`), and what the settled part
 * (the chunks the policies compressed, which is what the disk keeps per day) scales to for the
 * venue's 93,000 tokens a day (× 93,000 / tokens × 24 h / settled hours); the same for each
 * continuous aggregate's materialized rows (compressed by migration 0020's policies); what
 * stays uncompressed at the worst tick, the aggregates included, and how that grew over the
 * last day against the day before (what is never compressed grows every day); and the v0.1
 * schema's figure for the four series (the same rows copied into migrations 1-3, every chunk
 * compressed). The last line is `storage total: X GB/day (v0.1 schema: Y GB/day)`; X is the
 * four tables and the stream (the issue's scope, comparable with earlier runs); the aggregates
 * are in the line of everything before it.
 *
 * Run: `deno task bench storage` (400 tokens × 170 h: a simulated week, whose merged 7-day
 * chunks are whole and rebatched by the end, then the venue's stream for 6 h), or e.g.
 * `deno run -A bench/storage_bench.ts --tokens 200 --hours 48 --stream-hours 24`
 * (`--stream-markets 500` tries the venue run out on a small universe; not a figure). The server comes from
 * TEST_DATABASE_URL. On plain PostgreSQL nothing compresses and no job runs: the sizes are the
 * uncompressed ones.
 */
import { parseArgs } from "node:util";
import type { Sql } from "../db/client.ts";
import { migrate, type SchemaMode } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { insertQuotes, insertTrades, type QuoteRow, type TradeRow } from "../db/trades.ts";
import { appendPriceRows } from "../collectors/prices.ts";
import { TopOfBook } from "../collectors/_top_of_book.ts";
import { tradeRowOf } from "../collectors/trades.ts";
import { createTradeKeyer } from "../db/trade_identity.ts";
import { parseWsMessage } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { numberToDecimalText } from "../polymarket/ids.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import { createUniverse, PRICE_SCALE, type SimMarket } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel, VENUE_MARKETS } from "../simulator/activity_model.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { SIZE_SCALE } from "../simulator/book.ts";
import { StreamRecorder } from "../stream/recorder.ts";
import { PACK_WINDOW_MS, packWindow } from "../stream/packer.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { silentLogger } from "../runtime/log.ts";
import { compressedColumns } from "./_compressed_columns.ts";
import { bookRows } from "./_book_rows.ts";
import { solve3 } from "./_book_batch_columns.ts";
import { compressAsPolicy, pauseJobs } from "./_compress_as_policy.ts";
import { ServerJobs } from "./_server_jobs.ts";
import { venueSeqGrowth } from "./_venue_seq.ts";
import { type Held, held, streamHeld } from "./_held.ts";
import { measureVenueStream, type VenueStream } from "./_venue_stream.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

/** The venue's active tokens. */
const FULL_TOKENS = 93_000;
/**
 * A simulated week and two hours: the week's last chunks are compressed an hour after it ends
 * and merged, so its 7-day merged chunks (migration 0012) are whole and rebatched by the end.
 */
const DEFAULT_HOURS = 170;
const DEFAULT_TOKENS = 400;
/** One 6-hour window of the whole venue for the stream (~11 M messages, ~15 min here). */
const DEFAULT_STREAM_HOURS = 6;
const BOOK_EVERY_MINUTES = 5;
const DAY_MS = 86_400_000;
/** The recorder packs a window this long after it ends (PMCOLLECT_STREAM_PACK_AFTER_MS). */
const PACK_AFTER_MS = 15 * 60_000;
/** Tokens per websocket connection, as the venue-scale run had them (84,618 over 424). */
const TOKENS_PER_CONNECTION = 200;
/** Minutes of rows written at once; the packer and the jobs run between such writes. */
const FLUSH_MINUTES = 15;
/** Receive time after the venue's send time. */
const LATENCY_MS = 40;

/** [public name, stored hypertable, time column]. */
const SERIES = [
  ["price_snapshots", "price_snapshot_data", "ts"],
  ["book_snapshots", "book_snapshot_data", "ts"],
  ["trades", "trades", "ts"],
  ["quotes", "quote_data", "ts"],
] as const;

export interface Options {
  tokens: number;
  hours: number;
  /**
   * Hours of the whole venue recorded for the stream's figure (bench/_venue_stream.ts), whole
   * 6-hour windows; 0: the week run's stream, scaled by tokens, as before issue 26's venue run.
   */
  streamHours: number;
  /** Markets of the venue-scale run: the venue's 46,500 (fewer only to try the bench out). */
  streamMarkets: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tokens: { type: "string", default: String(DEFAULT_TOKENS) },
      hours: { type: "string", default: String(DEFAULT_HOURS) },
      "stream-hours": { type: "string", default: String(DEFAULT_STREAM_HOURS) },
      "stream-markets": { type: "string", default: String(VENUE_MARKETS) },
    },
  });
  const tokens = 2 * Math.round(Number(values.tokens) / 2);
  const hours = Number(values.hours);
  const streamHours = Number(values["stream-hours"]);
  if (!(tokens >= 2 && tokens <= 100_000) || !(Number.isInteger(hours) && hours >= 24)) {
    throw new RangeError("--tokens must be 2..100,000 and --hours a whole number ≥ 24");
  }
  if (!Number.isInteger(streamHours / 6) || streamHours < 0) {
    throw new RangeError("--stream-hours must be whole 6-hour windows (0: no venue-scale run)");
  }
  const streamMarkets = Number(values["stream-markets"]);
  if (!(Number.isInteger(streamMarkets) && streamMarkets >= 1)) {
    throw new RangeError("--stream-markets must be a whole number ≥ 1");
  }
  return { tokens, hours, streamHours, streamMarkets };
}

/**
 * The first simulated instant: a UTC midnight `hours` before the server's clock (rounded down
 * to a day), so that the week ends in the past and every chunk boundary falls on the hour.
 */
function startFor(hours: number): number {
  return Math.floor((Date.now() - hours * 3_600_000) / DAY_MS) * DAY_MS;
}

/** What the simulated run did. */
interface Written {
  readonly start: number;
  readonly end: number;
  readonly events: number;
  readonly packedRows: number;
  readonly packSeconds: number;
  /**
   * The largest uncompressed bytes of the hypertables and the continuous aggregates seen at a
   * job tick, and when.
   */
  readonly peakOpen: Open;
  /** The uncompressed bytes at every job tick, oldest first. */
  readonly open: readonly Open[];
  readonly jobs: ServerJobs | null;
}

/**
 * Writes `options.hours` of the universe into the (migrated) database `sql`, minute by minute
 * in simulated time, running the server's jobs and the packer when they fall due.
 */
export async function writeWeek(sql: Sql, mode: SchemaMode, options: Options): Promise<Written> {
  const start = startFor(options.hours);
  const end = start + options.hours * 3_600_000;
  let nowMs = start;
  const universe = createUniverse({ markets: options.tokens / 2, seed: 14, now: start });
  const world = new World(universe, { seed: 14, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const tob = new TopOfBook();
  const keyer = createTradeKeyer();
  const volume = new Float64Array(universe.markets.length);
  const open = universe.markets.filter((m) => m.status === "open");
  for (const m of open) volume[m.index] = m.volume / 300;
  const connections = Math.max(1, Math.round(options.tokens / TOKENS_PER_CONNECTION));
  const connOf = new Map(universe.markets.map((m, i) => [m.conditionId, i % connections]));
  const recorder = new StreamRecorder({
    sql,
    method: "copy",
    log: silentLogger(),
    spillDir: null,
    session: start,
    now: () => nowMs,
  });
  const jobs = mode === "timescale" ? await ServerJobs.load(sql, await schemaOf(sql), start) : null;
  let events = 0;
  let packedRows = 0;
  let packSeconds = 0;
  let nextPack = start;
  let peakOpen: Open = { bytes: 0, at: start, tables: [] };
  const openTicks: Open[] = [];
  const record = (message: unknown, conditionId: string | null, receivedAt: number) => {
    const m = parseWsMessage(message, receivedAt);
    if (typeof m === "string") throw new Error(`simulator sent a reject: ${m}`);
    recorder.record([m as WsMessage], connOf.get(conditionId ?? "") ?? 0);
    events++;
    return m as WsMessage;
  };
  // The subscription: one book per token on its connection.
  for (const m of open) {
    for (const o of [0, 1] as const) {
      tob.apply(record(wsBook(m, world.book(m), o), m.conditionId, start));
    }
  }
  let prices: PriceSnapshotRow[] = [];
  let books: BookSnapshotRow[] = [];
  let trades: TradeRow[] = [];
  let quotes: QuoteRow[] = [];
  for (let minuteMs = start; minuteMs < end; minuteMs += 60_000) {
    nowMs = minuteMs;
    if ((minuteMs - start) % (BOOK_EVERY_MINUTES * 60_000) === 0) {
      books.push(...bookRows(world, open, minuteMs));
    }
    prices.push(...priceRows(world, open, volume, minuteMs));
    for (let second = 0; second < 60; second++) {
      nowMs = minuteMs + second * 1000;
      const count = world.realisticEventsIn(model, 1000);
      for (const e of world.stepRealistic(model, count)) {
        const m = record(e.message, e.conditionId, nowMs + LATENCY_MS);
        if (m.kind !== "trade") {
          tob.apply(m);
          continue;
        }
        const market = universe.byCondition.get(m.market);
        if (market !== undefined) volume[market.index]! += Number(m.price) * Number(m.size);
        trades.push(tradeRowOf(m, keyer));
      }
      // The trades collector drains the top of book once a second (quotesIntervalMs).
      quotes.push(...tob.drain());
    }
    const tick = minuteMs + 60_000;
    // The rows of FLUSH_MINUTES are written together (the same rows the collectors write
    // minute by minute, in fewer statements), before the packer and the jobs look at them.
    if ((tick - start) % (FLUSH_MINUTES * 60_000) !== 0 && tick < end) continue;
    await insertPriceSnapshots(sql, prices, { method: "copy" });
    await insertBookSnapshots(sql, books);
    if (trades.length > 0) await insertTrades(sql, trades);
    if (quotes.length > 0) await insertQuotes(sql, quotes);
    [prices, books, trades, quotes] = [[], [], [], []];
    await recorder.flush();
    nowMs = tick;
    while (nextPack + PACK_WINDOW_MS + PACK_AFTER_MS <= tick) {
      const t = performance.now();
      packedRows += (await packWindow(sql, new Date(nextPack))).rows;
      packSeconds += (performance.now() - t) / 1000;
      nextPack += PACK_WINDOW_MS;
    }
    if (jobs !== null) {
      const tables = await uncompressedBytes(sql);
      const bytes = tables.reduce((t, x) => t + x.bytes, 0);
      openTicks.push({ bytes, at: tick, tables });
      if (bytes > peakOpen.bytes) peakOpen = openTicks.at(-1)!;
      await jobs.runDue(tick);
    }
  }
  return { start, end, events, packedRows, packSeconds, peakOpen, open: openTicks, jobs };
}

async function schemaOf(sql: Sql): Promise<string> {
  const [r] = await sql<{ s: string }[]>`select current_schema() as s`;
  return r!.s;
}

/** Uncompressed bytes at one instant: in all, and per hypertable or continuous aggregate. */
interface Open {
  readonly bytes: number;
  readonly at: number;
  readonly tables: readonly { readonly table: string; readonly bytes: number }[];
}

/**
 * Bytes of the current schema's uncompressed chunks: every hypertable's, and every continuous
 * aggregate's (its materialization hypertable lives in TimescaleDB's own schema), by view name.
 */
async function uncompressedBytes(sql: Sql): Promise<{ table: string; bytes: number }[]> {
  return await sql<{ table: string; bytes: number }[]>`
    select coalesce(a.view_name, c.hypertable_name) as table,
           sum(pg_total_relation_size(format('%I.%I', c.chunk_schema, c.chunk_name)))::float8
             as bytes
    from timescaledb_information.chunks c
    left join timescaledb_information.continuous_aggregates a
      on (a.materialization_hypertable_schema, a.materialization_hypertable_name)
           = (c.hypertable_schema, c.hypertable_name)
    where (c.hypertable_schema = current_schema() or a.view_schema = current_schema())
      and not c.is_compressed
    group by 1 order by 2 desc`;
}

/**
 * How the uncompressed bytes grow once the week is written: the largest figure of the last 24
 * simulated hours against that of the 24 hours before, in all and for the aggregates (`isAggregate`
 * tells them by name). Every chunk cycle is a day or shorter except the 7-day ones, so a
 * steady server shows ~0 here; what is never compressed shows up as its daily growth.
 */
function openGrowth(open: readonly Open[], end: number, isAggregate: (t: string) => boolean) {
  const peak = (from: number, to: number, f: (o: Open) => number) =>
    Math.max(0, ...open.filter((o) => o.at > from && o.at <= to).map(f));
  const aggregates = (o: Open) =>
    o.tables.filter((t) => isAggregate(t.table)).reduce((n, t) => n + t.bytes, 0);
  return {
    last: peak(end - DAY_MS, end, (o) => o.bytes),
    before: peak(end - 2 * DAY_MS, end - DAY_MS, (o) => o.bytes),
    aggregatesLast: peak(end - DAY_MS, end, aggregates),
    aggregatesBefore: peak(end - 2 * DAY_MS, end - DAY_MS, aggregates),
  };
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

/**
 * Books measured against what changes (issue 26): rows whose levels differ from the token's
 * previous stored book ("distinct books"), in the settled hours.
 */
async function distinctBooks(sql: Sql, settledEnd: number): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*) filter (where changed)::float8 as n
    from (select (bid_prices, bid_sizes, ask_prices, ask_sizes) is distinct from
                 lag((bid_prices, bid_sizes, ask_prices, ask_sizes))
                   over (partition by token_key order by ts) as changed
          from book_snapshot_data where ts < ${new Date(settledEnd)}) b`;
  return r!.n;
}

/** The current schema's continuous aggregates: view name and materialization hypertable. */
async function aggregates(sql: Sql): Promise<{ view: string; table: string }[]> {
  return await sql<{ view: string; table: string }[]>`
    select view_name as view,
           format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
             as table
    from timescaledb_information.continuous_aggregates
    where view_schema = current_schema()
    order by view_name`;
}

/**
 * Where a compressed book batch's bytes go: a least-squares fit of each compressed batch's
 * stored size (the whole compressed row, TOAST included) to a fixed cost, a cost per distinct
 * book it holds and a cost per row (issue 26's outside run found 686 B + 92.8 B per distinct
 * book + 5.1 B per row over 85,768 real batches).
 */
async function bookBatchFit(sql: Sql): Promise<string> {
  const chunks = await sql<{ name: string }[]>`
    select format('%I.%I', cc.schema_name, cc.table_name) as name
    from _timescaledb_catalog.chunk c
    join _timescaledb_catalog.chunk cc on cc.id = c.compressed_chunk_id
    join _timescaledb_catalog.hypertable h on h.id = c.hypertable_id
    where h.schema_name = current_schema() and h.table_name = 'book_snapshot_data'`;
  if (chunks.length === 0) return "books per batch: no compressed chunk";
  const batches = chunks.map((c) =>
    `select token_key, _ts_meta_min_1 as lo, _ts_meta_max_1 as hi,
            _ts_meta_count::float8 as n, pg_column_size(x.*)::float8 as bytes
     from ${c.name} x`
  ).join(" union all ");
  const rows = await sql.unsafe<{ n: number; bytes: number; distinct: number }[]>(
    `with b as (
       select token_key, ts,
              (bid_prices, bid_sizes, ask_prices, ask_sizes) is distinct from
                lag((bid_prices, bid_sizes, ask_prices, ask_sizes))
                  over (partition by token_key order by ts) as changed
       from book_snapshot_data)
     select k.n, k.bytes,
            (select count(*) filter (where b.changed) from b
             where b.token_key = k.token_key and b.ts between k.lo and k.hi)::float8 as distinct
     from (${batches}) k`,
  );
  // Normal equations of bytes = a + b·distinct + c·rows.
  const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const v = [0, 0, 0];
  for (const r of rows) {
    const x = [1, r.distinct, r.n];
    for (let i = 0; i < 3; i++) {
      v[i]! += x[i]! * r.bytes;
      for (let j = 0; j < 3; j++) m[i]![j]! += x[i]! * x[j]!;
    }
  }
  // Batches all of one size (a table not yet rebatched) cannot tell the fixed cost from the
  // cost per row: then bytes = a + b·distinct alone.
  const fit = solve3(m, v) ??
    solve3([[m[0]![0]!, m[0]![1]!, 0], [m[1]![0]!, m[1]![1]!, 0], [0, 0, 1]], [v[0]!, v[1]!, 0]);
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((t, r) => t + f(r), 0);
  return `books per compressed batch (least squares over ${rows.length} batches, ` +
    `${(sum((r) => r.n) / rows.length).toFixed(0)} rows and ` +
    `${(sum((r) => r.distinct) / rows.length).toFixed(1)} distinct books each on average): ` +
    (fit === null
      ? "not fitted (singular)"
      : `${fit[0]!.toFixed(0)} B + ${fit[1]!.toFixed(1)} B per distinct book + ` +
        (fit[2] === 0
          ? "(rows per batch all alike: no per-row term)"
          : `${fit[2]!.toFixed(2)} B per row`));
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

/** Bytes of a v0.1 table after compressing every chunk (TimescaleDB) or as it is (plain). */
async function v01Bytes(sql: Sql, mode: SchemaMode, table: string): Promise<number> {
  await sql.unsafe(`vacuum analyze ${table}`);
  if (mode === "timescale") {
    const ts = (await timescaleSchema(sql))!;
    await compressAsPolicy(sql, ts, table);
    await sql.unsafe(`vacuum analyze ${table}`);
    const [r] = await sql.unsafe(`select "${ts}".hypertable_size($1::regclass)::float8 as n`, [
      table,
    ]);
    return Number(r!.n);
  }
  const [r] = await sql`select pg_total_relation_size(${table}::regclass)::float8 as n`;
  return Number(r!.n);
}

/** One figure of the stream: settled events and bytes, all of them, and the scale to a day. */
interface StreamFigure {
  readonly events: number;
  readonly bytes: number;
  readonly allEvents: number;
  readonly allBytes: number;
  readonly hours: number;
  readonly perDay: number;
  readonly chunks: number;
  readonly compressed: number;
}

/** What the venue-scale run recorded, where its bytes went, and what it took. */
function venueStreamLines(v: VenueStream, mode: SchemaMode): string[] {
  const perEvent = (bytes: number) => (bytes / Math.max(1, v.events)).toFixed(2);
  const c = v.columns;
  return [
    `  stream at venue scale (bench/_venue_stream.ts): ${int(v.markets)} markets ` +
    `(${int(2 * v.markets)} tokens) × ${v.hours} h recorded at the venue's rate ` +
    `(${new Date(v.start).toISOString()}, simulated; ${int(v.messages)} messages), parsed, ` +
    `recorded and packed by the program's code, ` +
    (mode === "timescale"
      ? `compressed and rebatched by the server's jobs; `
      : `plain PostgreSQL: nothing compressed; `) +
    `${int(v.events)} events in the ${v.settledHours} settled h (${int(v.subscriptionEvents)} ` +
    `of them the subscription's books at the start); a day = × 24 / ${v.settledHours} h ` +
    `(already at the venue's rate: no token scaling; seq deltas are the venue's own)`,
    `  venue stream bytes: book_event_rows left ${mb(v.rowsBytes)} MB (${int(v.rowsLeft)} rows, ` +
    `${perEvent(v.rowsBytes)} B/event) + book_event_packs ${mb(v.packsBytes)} MB ` +
    `(${perEvent(v.packsBytes)}) + book_checkpoints ${mb(v.checkpointsBytes)} MB ` +
    `(${perEvent(v.checkpointsBytes)}) = ${perEvent(v.bytes)} B/event; token_pairs ` +
    `${mb(v.pairsBytes)} MB once`,
    `  venue packs: ${int(c.packs)} packs, ${(c.rows / Math.max(1, c.packs)).toFixed(0)} rows ` +
    `each on average; data ${perEvent(c.raw)} B/event as varints, ${perEvent(c.stored)} as ` +
    `stored (${int(c.compressed)} packs TOAST-compressed), the table's rows and indexes ` +
    `${perEvent(v.packsBytes - c.stored)} B/event more; data with lz4 TOAST compression ` +
    (c.lz4 === null
      ? "not measured (no lz4 on this server)"
      : `instead of pglz: ${perEvent(c.lz4)} B/event`),
    `  venue packs per column, B/event as varints → each column compressed alone as data is: ` +
    c.columns.map((x) => `${x.name} ${perEvent(x.raw)} → ${perEvent(x.alone)}`).join(", "),
    `  venue run took: ${v.writeSeconds.toFixed(0)} s simulating, parsing, recording and ` +
    `writing (${int(v.messages / v.writeSeconds)} messages/s), ${v.packSeconds.toFixed(0)} s ` +
    `packing ${int(v.packedRows)} rows, jobs ` +
    (v.jobs.length === 0
      ? "none"
      : v.jobs.filter((j) => j.runs > 0).map((j) =>
        `${j.proc}(${j.target}) ${j.runs}× ${j.seconds.toFixed(1)} s`
      ).join(", ")) +
    `; book_event_rows uncompressed at its worst tick ${gb(v.peakOpen.bytes)} GB ` +
    `(${new Date(v.peakOpen.at).toISOString()}, venue scale measured)`,
    ...(v.rowsColumns === null ? [] : [`  venue rows left, compressed: ${v.rowsColumns.trim()}`]),
  ];
}

const gb = (bytes: number) => (bytes / 1e9).toFixed(3);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

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
    if (mode === "timescale") await pauseJobs(v01.sql);
    const started = performance.now();
    const w = await writeWeek(v2.sql, mode, options);
    const writeSeconds = (performance.now() - started) / 1000;
    // The stream at the venue's scale, in a schema of its own (bench/_venue_stream.ts).
    const venue = options.streamHours === 0
      ? null
      : await measureVenueStream({ hours: options.streamHours, markets: options.streamMarkets });
    const tokenScale = FULL_TOKENS / options.tokens;
    const [version] = await v2.sql<{ v: string }[]>`
      select coalesce((select extversion from pg_extension where extname = 'timescaledb'),
                      'none') as v`;
    lines.push(
      `measured: ${options.tokens.toLocaleString("en-US")} tokens × ${options.hours} h ` +
        `(${new Date(w.start).toISOString()} to ${new Date(w.end).toISOString()}, simulated) ` +
        `of the realistic model, ${int(w.events)} websocket messages, written minute by ` +
        `minute in ${writeSeconds.toFixed(0)} s; mode ${mode} (TimescaleDB ${version!.v})`,
      mode === "timescale"
        ? `server jobs run at their schedules in simulated time (ages shifted to the simulated ` +
          `clock): ` +
          w.jobs!.runs.map((r) => `${r.proc}(${r.target}) ${r.runs}× ${r.seconds.toFixed(1)} s`)
            .join(", ")
        : "plain PostgreSQL: no job runs, nothing compresses (uncompressed sizes)",
      `stream packer: ${int(w.packedRows)} level rows packed, window by window 15 min after ` +
        `each ends, in ${w.packSeconds.toFixed(1)} s`,
      `scaled: × ${tokenScale.toFixed(1)} to ${FULL_TOKENS.toLocaleString("en-US")} tokens, ` +
        `× 24 h / settled hours to a day; "settled" = the chunks the policies compressed ` +
        `(the open chunks' bytes are the uncompressed figure below, not a daily cost)`,
      "series            rows/day(full)  settled h  chunks(compr.)  B/row settled  " +
        "B/row all  GB/day(full)",
    );
    let total = 0;
    let totalV01 = 0;
    const heldBy = new Map<string, Held>();
    for (const [name, stored, time] of SERIES) {
      const h = await held(v2.sql, mode, stored, time, w.start);
      heldBy.set(name, h);
      const hours = mode === "timescale" ? h.settledHours : options.hours;
      const rows = mode === "timescale" ? h.settledRows : h.rows;
      const bytes = mode === "timescale" ? h.settledBytes : h.bytes;
      const perDay = hours === 0 ? 0 : (tokenScale * 24) / hours;
      total += bytes * perDay;
      const perRow = (b: number, n: number) => (n === 0 ? "-" : (b / n).toFixed(1));
      lines.push(
        `${name.padEnd(17)} ${int(rows * perDay).padStart(14)}  ${hours.toFixed(0).padStart(9)}  ` +
          `${`${h.chunks}(${h.compressedChunks})`.padStart(14)}  ` +
          `${perRow(bytes, rows).padStart(13)}  ${perRow(h.bytes, h.rows).padStart(9)}  ` +
          `${gb(bytes * perDay).padStart(12)}`,
      );
    }
    const stream = await streamHeld(v2.sql, mode, w.start);
    // A token's seq deltas count every other token's rows in between: at the venue's rate they
    // are tokenScale × larger and take more varint bytes in the packs (before TOAST compression).
    const seq = await venueSeqGrowth(v2.sql, tokenScale);
    const seqShare = stream.events === 0 ? 0 : stream.settledEvents / stream.events;
    const seqExtra = (seq.scaled - seq.bytes) * seqShare;
    const streamRow = (name: string, s: StreamFigure) =>
      `${name.padEnd(17)} ${int(s.events * s.perDay).padStart(14)}  ` +
      `${s.hours.toFixed(0).padStart(9)}  ${`${s.chunks}(${s.compressed})`.padStart(14)}  ` +
      `${(s.bytes / Math.max(1, s.events)).toFixed(1).padStart(13)}  ` +
      `${(s.allBytes / Math.max(1, s.allEvents)).toFixed(1).padStart(9)}  ` +
      `${gb(s.bytes * s.perDay).padStart(12)}`;
    const weekHours = mode === "timescale" ? stream.rows.settledHours : options.hours;
    const week: StreamFigure = {
      events: stream.settledEvents,
      bytes: stream.settledBytes + seqExtra,
      allEvents: stream.events,
      allBytes: stream.bytes,
      hours: weekHours,
      perDay: weekHours === 0 ? 0 : (tokenScale * 24) / weekHours,
      chunks: stream.rows.chunks,
      compressed: stream.rows.compressedChunks,
    };
    const weekLines = [
      `  stream = book_event_rows (${mb(stream.rows.bytes)} MB, ${int(stream.rows.rows)} rows ` +
      `left after packing) + book_event_packs + book_checkpoints; token_pairs ` +
      `${mb(stream.pairsBytes)} MB once`,
      `  stream at venue-scale seq deltas (× ${tokenScale.toFixed(1)}): packs' varints ` +
      `${mb(seq.bytes)} → ${mb(seq.scaled)} MB before compression, added in full to the ` +
      `settled ${mb(stream.settledBytes)} MB measured (${
        (stream.settledBytes / Math.max(1, stream.settledEvents)).toFixed(1)
      } B/event measured, ${(week.bytes / Math.max(1, week.events)).toFixed(1)} corrected)`,
    ];
    if (venue === null) {
      total += week.bytes * week.perDay;
      lines.push(streamRow("stream (events)", week), ...weekLines);
    } else {
      const perDay = venue.settledHours === 0 ? 0 : 24 / venue.settledHours;
      total += venue.bytes * perDay;
      lines.push(
        streamRow("stream (events)", {
          events: venue.events,
          bytes: venue.bytes,
          allEvents: venue.allEvents,
          allBytes: venue.allBytes,
          hours: venue.settledHours,
          perDay,
          chunks: venue.chunks,
          compressed: venue.compressedChunks,
        }),
        ...venueStreamLines(venue, mode),
        `  the week run's stream (${options.tokens} tokens, × ${tokenScale.toFixed(1)}; not in ` +
          `the total: its busiest market carries most of its events, whose packs compress far ` +
          `better than the venue's mix): ${
            (week.bytes / Math.max(1, week.events)).toFixed(1)
          } B/event, ${gb(week.bytes * week.perDay)} GB/day`,
        ...weekLines,
      );
    }
    // The continuous aggregates' materialized rows (migration 0020 compresses them), measured
    // as the tables are; an aggregate with no compressed chunk yet counts all it holds.
    let aggregatesPerDay = 0;
    let aggregatesBytes = 0;
    const aggregateViews = mode === "timescale" ? await aggregates(v2.sql) : [];
    for (const a of aggregateViews) {
      const h = await held(v2.sql, mode, a.table, "bucket", w.start);
      const settled = h.settledHours > 0;
      const hours = settled ? h.settledHours : options.hours;
      const bytes = settled ? h.settledBytes : h.bytes;
      const rows = settled ? h.settledRows : h.rows;
      // An aggregate with no rows (episodes: the bench runs no scanner) costs nothing a day;
      // its empty hypertable's few pages would not grow with the venue.
      const perDay = h.rows === 0 ? 0 : (tokenScale * 24) / hours;
      aggregatesPerDay += bytes * perDay;
      aggregatesBytes += h.bytes;
      const perRow = (b: number, n: number) => (n === 0 ? "-" : (b / n).toFixed(1));
      lines.push(
        `${`${a.view}${settled ? "" : "*"}`.padEnd(17)} ${int(rows * perDay).padStart(14)}  ` +
          `${hours.toFixed(0).padStart(9)}  ` +
          `${`${h.chunks}(${h.compressedChunks})`.padStart(14)}  ` +
          `${perRow(bytes, rows).padStart(13)}  ${perRow(h.bytes, h.rows).padStart(9)}  ` +
          `${gb(bytes * perDay).padStart(12)}`,
      );
    }
    if (aggregateViews.length > 0) {
      lines.push(
        `  aggregates (continuous aggregates' materialized rows, compressed by migration ` +
          `0020's policies; * = no chunk compressed yet: all it holds): ` +
          `${gb(aggregatesPerDay)} GB/day(full); not in the storage total below (issue 26's ` +
          `total is the four tables and the stream), in the line of everything`,
      );
    }
    const books = heldBy.get("book_snapshots")!;
    if (mode === "timescale" && books.settledRows > 0) {
      const distinct = await distinctBooks(v2.sql, books.settledEnd);
      lines.push(
        `books: ${int(books.settledRows)} rows, ${int(distinct)} distinct (levels changed ` +
          `since the token's previous book; ${(distinct / books.settledRows * 100).toFixed(1)}%, ` +
          `${(distinct / (options.tokens * books.settledHours)).toFixed(2)} per token-hour): ` +
          `${(books.settledBytes / books.settledRows).toFixed(1)} B/row, ` +
          `${(books.settledBytes / Math.max(1, distinct)).toFixed(1)} B per distinct book`,
        await bookBatchFit(v2.sql),
      );
    }
    const [keys] = await v2.sql<{ n: number }[]>`
      select (pg_total_relation_size('token_keys') + pg_total_relation_size('condition_keys'))
             ::float8 as n`;
    lines.push(`key dictionaries: ${mb(keys!.n)} MB for these tokens once (not per day)`);
    if (mode === "timescale") {
      let onDisk = stream.bytes + stream.pairsBytes + aggregatesBytes;
      for (const h of heldBy.values()) onDisk += h.bytes;
      lines.push(
        `on disk at the end (every table and aggregate, open chunks included): ` +
          `${mb(onDisk)} MB measured; ` +
          `× ${tokenScale.toFixed(1)} = ${gb(onDisk * tokenScale)} GB for ${options.hours} h ` +
          `at venue scale`,
        `uncompressed at the worst job tick: ${mb(w.peakOpen.bytes)} MB measured ` +
          `(${new Date(w.peakOpen.at).toISOString()}); × ${tokenScale.toFixed(1)} = ` +
          `${gb(w.peakOpen.bytes * tokenScale)} GB at venue scale (target <= 10): ` +
          w.peakOpen.tables.map((t) => `${t.table} ${gb(t.bytes * tokenScale)}`).join(", "),
      );
      if (venue !== null) {
        const weekRows = w.peakOpen.tables.find((t) => t.table === "book_event_rows")?.bytes ?? 0;
        lines.push(
          `  with the stream's rows before packing as the venue-scale run measured them ` +
            `(${gb(venue.peakOpen.bytes)} GB at its worst tick, for the week run's ` +
            `${gb(weekRows * tokenScale)} scaled): ` +
            `${gb((w.peakOpen.bytes - weekRows) * tokenScale + venue.peakOpen.bytes)} GB`,
        );
      }
      const views = new Set(aggregateViews.map((a) => a.view));
      const g = openGrowth(w.open, w.end, (t) => views.has(t));
      lines.push(
        `uncompressed growth over the last day (worst tick of the last 24 h against the 24 h ` +
          `before, venue scale): ${gb(g.before * tokenScale)} → ${gb(g.last * tokenScale)} GB, ` +
          `${(g.last - g.before) * tokenScale >= 0 ? "+" : ""}` +
          `${gb((g.last - g.before) * tokenScale)} GB/day; the aggregates' part ` +
          `${gb(g.aggregatesBefore * tokenScale)} → ${gb(g.aggregatesLast * tokenScale)} GB`,
      );
      for (const [, stored] of SERIES) {
        lines.push(await compressedColumns(v2.sql, v2.schema, stored));
      }
      lines.push(await compressedColumns(v2.sql, v2.schema, "book_event_rows"));
    }
    await copyToV01(v01.sql, v2.schema);
    for (const [name] of SERIES) totalV01 += await v01Bytes(v01.sql, mode, name);
    totalV01 *= (tokenScale * 24) / options.hours;
    if (mode === "timescale") {
      lines.push(
        `everything on disk per day, the aggregates included: ` +
          `${gb(total + aggregatesPerDay)} GB/day(full)`,
      );
    }
    lines.push(
      `v0.1: the same four series copied into migrations 1-3` +
        (mode === "timescale" ? ", every chunk compressed (compress_chunk)" : "") +
        `, no stream (v0.1 recorded none): ${gb(totalV01)} GB/day`,
      `storage total: ${(total / 1e9).toFixed(2)} GB/day (v0.1 schema: ` +
        `${(totalV01 / 1e9).toFixed(2)} GB/day)`,
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
