/**
 * The recorded stream at the venue's scale, for the storage bench (issue 26). The bench's
 * simulated week runs a few hundred tokens, where the realistic model's busiest market carries
 * most events (92% at 200 markets, 1.6% at the venue) and one busy token's packs compress far
 * better than the venue's mix; its bytes per event cannot be scaled to the venue. Here the
 * whole venue is recorded instead, for a shorter span:
 *
 * - the simulator's universe of the venue's 46,500 markets (93,000 tokens) under the realistic
 *   model at its own per-market rates (~510 messages a second in all), one book per token at
 *   the start (the subscription), each market on one of 465 connections (200 tokens each, as
 *   the week run's);
 * - every message parsed by the websocket parser and recorded by `StreamRecorder`, flushed
 *   every simulated minute, with a simulated clock moving forward second by second from a UTC
 *   midnight in the past;
 * - each 6-hour window packed by the real packer (`packWindow`) 15 minutes after it ends, and
 *   on TimescaleDB the server's own jobs (bench/_server_jobs.ts: compression policies, the
 *   rebatch job of migration 0012, which re-cuts `book_event_rows`' merged 1-day chunks) run at
 *   their schedules and ages in simulated time, every 15 simulated minutes;
 * - after the last written hour the clock goes on, without writing, until the last window is
 *   packed and its chunk compressed and rebatched (3 simulated hours).
 *
 * The settled part (`book_event_rows`' compressed chunks, the packs and checkpoints of the same
 * hours, bench/_held.ts) is already at the venue's rate: a day is it × 24 / settled hours, no
 * token scaling, and its seq deltas are the venue's own.
 *
 * @example
 * ```ts ignore
 * import { measureVenueStream } from "./_venue_stream.ts";
 * const v = await measureVenueStream({ hours: 6 });
 * ```
 */
import type { Sql } from "../db/client.ts";
import { migrate, type SchemaMode } from "../db/migrate.ts";
import { parseWsMessage } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel, VENUE_MARKETS } from "../simulator/activity_model.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { StreamRecorder } from "../stream/recorder.ts";
import { PACK_WINDOW_MS, packWindow } from "../stream/packer.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { silentLogger } from "../runtime/log.ts";
import { type JobRuns, ServerJobs } from "./_server_jobs.ts";
import { streamHeld } from "./_held.ts";
import { type PackColumns, packColumns } from "./_pack_columns.ts";
import { compressedColumns } from "./_compressed_columns.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The recorder packs a window this long after it ends (PMCOLLECT_STREAM_PACK_AFTER_MS). */
const PACK_AFTER_MS = 15 * 60_000;
/** Tokens per websocket connection, as the week run has them. */
const TOKENS_PER_CONNECTION = 200;
/** The server's jobs and the packer look every this often (the week run's flush). */
const TICK_MS = 15 * 60_000;
/** Simulated time after the last written hour for the packer and the jobs to settle it. */
const SETTLE_MS = 3 * HOUR_MS;
/** Receive time after the venue's send time. */
const LATENCY_MS = 40;

export interface VenueStreamOptions {
  /** Simulated hours written at the venue's rate: whole 6-hour windows. */
  readonly hours: number;
  /** Markets of the universe (default the venue's 46,500; fewer only to try the bench out). */
  readonly markets?: number;
}

/** What the venue-scale recording stored. */
export interface VenueStream {
  readonly mode: SchemaMode;
  readonly markets: number;
  readonly hours: number;
  readonly start: number;
  readonly messages: number;
  /** Events the subscription's books recorded at the start (in `events`). */
  readonly subscriptionEvents: number;
  readonly settledHours: number;
  /** `book_events` rows of the settled hours. */
  readonly events: number;
  /** Bytes of the settled hours: rows left in `book_event_rows`, packs, checkpoints. */
  readonly bytes: number;
  /** Everything at the end, the unsettled part included: events and bytes. */
  readonly allEvents: number;
  readonly allBytes: number;
  /** `book_event_rows`' chunks, and how many are compressed. */
  readonly chunks: number;
  readonly compressedChunks: number;
  readonly rowsBytes: number;
  readonly rowsLeft: number;
  readonly packsBytes: number;
  readonly checkpointsBytes: number;
  /** `token_pairs`: once per token ever, not per day. */
  readonly pairsBytes: number;
  readonly writeSeconds: number;
  readonly packSeconds: number;
  readonly packedRows: number;
  /** `book_event_rows`' uncompressed bytes at the worst tick (before the tick's jobs). */
  readonly peakOpen: { readonly bytes: number; readonly at: number };
  readonly jobs: readonly JobRuns[];
  readonly columns: PackColumns;
  /** `book_event_rows`' compressed batches and bytes per column (TimescaleDB). */
  readonly rowsColumns: string | null;
}

/** Records `options.hours` of the whole venue in a fresh schema and measures what it stores. */
export async function measureVenueStream(options: VenueStreamOptions): Promise<VenueStream> {
  const { hours } = options;
  if (!(Number.isInteger(hours / 6) && hours >= 6)) {
    throw new RangeError(`venue stream hours must be whole 6-hour windows, got ${hours}`);
  }
  const db = await createTestDatabase("server");
  try {
    const { mode } = await migrate(db.sql, { log: silentLogger(), timescale: "auto" });
    return await record(db.sql, db.schema, mode, {
      hours,
      markets: options.markets ?? VENUE_MARKETS,
    });
  } finally {
    await db.dispose();
  }
}

async function record(
  sql: Sql,
  schema: string,
  mode: SchemaMode,
  { hours, markets }: { hours: number; markets: number },
) {
  // Two days back from the server's clock at least: the rebatch job re-cuts a merged chunk
  // that ended a day before the server's now() (migration 0012), whole or not.
  const start = Math.floor((Date.now() - hours * HOUR_MS - 2 * DAY_MS) / DAY_MS) * DAY_MS;
  const end = start + hours * HOUR_MS;
  let nowMs = start;
  const universe = createUniverse({ markets, seed: 26, now: start });
  const world = new World(universe, { seed: 26, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const connections = Math.max(1, Math.round((2 * markets) / TOKENS_PER_CONNECTION));
  const connOf = new Map(universe.markets.map((m, i) => [m.conditionId, i % connections]));
  const recorder = new StreamRecorder({
    sql,
    method: "copy",
    log: silentLogger(),
    spillDir: null,
    session: start,
    now: () => nowMs,
  });
  const jobs = mode === "timescale" ? await ServerJobs.load(sql, schema, start) : null;
  let messages = 0;
  const record = (message: unknown, conditionId: string | null, receivedAt: number) => {
    const m = parseWsMessage(message, receivedAt);
    if (typeof m === "string") throw new Error(`simulator sent a reject: ${m}`);
    recorder.record([m as WsMessage], connOf.get(conditionId ?? "") ?? 0);
    messages++;
  };
  const t0 = performance.now();
  for (const m of universe.markets) {
    if (m.status !== "open") continue;
    for (const o of [0, 1] as const) record(wsBook(m, world.book(m), o), m.conditionId, start);
  }
  const subscriptionEvents = recorder.stats.rowsRecorded;
  let packSeconds = 0, jobSeconds = 0, packedRows = 0;
  let nextPack = start;
  let peakOpen = { bytes: 0, at: start };
  for (let tick = start; tick < end + SETTLE_MS;) {
    if (tick < end) {
      for (let second = 0; second < 60; second++) {
        nowMs = tick + second * 1000;
        for (const e of world.stepRealistic(model, world.realisticEventsIn(model, 1000))) {
          record(e.message, e.conditionId, nowMs + LATENCY_MS);
        }
      }
      await recorder.flush();
    }
    tick += 60_000;
    nowMs = tick;
    if ((tick - start) % TICK_MS !== 0) continue;
    const t = performance.now();
    while (nextPack + PACK_WINDOW_MS + PACK_AFTER_MS <= tick && nextPack < end) {
      packedRows += (await packWindow(sql, new Date(nextPack))).rows;
      nextPack += PACK_WINDOW_MS;
    }
    const packed = performance.now();
    packSeconds += (packed - t) / 1000;
    const open = await openRowsBytes(sql, mode);
    if (open > peakOpen.bytes) peakOpen = { bytes: open, at: tick };
    await jobs?.runDue(tick);
    jobSeconds += (performance.now() - packed) / 1000;
  }
  const writeSeconds = (performance.now() - t0) / 1000 - packSeconds - jobSeconds;
  const stream = await streamHeld(sql, mode, start);
  const settledHours = mode === "timescale" ? stream.rows.settledHours : hours;
  const rowsColumns = mode === "timescale"
    ? await compressedColumns(sql, schema, "book_event_rows")
    : null;
  const columns = await packColumns(sql, new Date(start), new Date(start + settledHours * HOUR_MS));
  return {
    mode,
    markets,
    hours,
    start,
    messages,
    subscriptionEvents,
    settledHours,
    events: stream.settledEvents,
    bytes: stream.settledBytes,
    allEvents: stream.events,
    allBytes: stream.bytes,
    chunks: stream.rows.chunks,
    compressedChunks: stream.rows.compressedChunks,
    rowsBytes: mode === "timescale" ? stream.rows.settledBytes : stream.rows.bytes,
    rowsLeft: mode === "timescale" ? stream.rows.settledRows : stream.rows.rows,
    packsBytes: stream.settledPacks,
    checkpointsBytes: stream.settledCheckpoints,
    pairsBytes: stream.pairsBytes,
    writeSeconds,
    packSeconds,
    packedRows,
    peakOpen,
    jobs: jobs?.runs ?? [],
    columns,
    rowsColumns,
  } satisfies VenueStream;
}

/** `book_event_rows`' uncompressed bytes: its open chunks (TimescaleDB) or the whole table. */
async function openRowsBytes(sql: Sql, mode: SchemaMode): Promise<number> {
  if (mode !== "timescale") {
    const [r] = await sql<{ n: number }[]>`
      select pg_total_relation_size('book_event_rows')::float8 as n`;
    return r!.n;
  }
  const [r] = await sql<{ n: number }[]>`
    select coalesce(sum(pg_total_relation_size(format('%I.%I', chunk_schema, chunk_name))), 0)
             ::float8 as n
    from timescaledb_information.chunks
    where hypertable_schema = current_schema() and hypertable_name = 'book_event_rows'
      and not is_compressed`;
  return r!.n;
}
