/**
 * Stream recorder benchmark (issue 15), against the server behind TEST_DATABASE_URL as it is
 * (migrated with `timescale: "auto"`: TimescaleDB when the server has it, else plain):
 *
 * - ingest: simulator frames of the realistic activity mix (one `book` per token first, then
 *   `price_change`s, trades at 0.2%) parsed, recorded and committed into `book_events`, with
 *   trades and quote rows flowing through the listener's trade queue at the same time; beside
 *   parsing the same frames alone (the baseline).
 * - storage: bytes per recorded event (a row of the view `book_events`) of what stores them:
 *   `book_event_rows` (a level and its mirror on the other token are one row), `token_pairs`
 *   and `book_checkpoints` (heap, TOAST and indexes), beside the wire JSON bytes per event. On
 *   TimescaleDB every chunk is compressed first (`compress_chunk`: the build's background jobs
 *   may not run) and the bytes are the hypertables' total after compression
 *   (`hypertable_detailed_size`, which counts the compressed chunks) plus any plain table;
 *   bookAt and replay then read compressed chunks. The ≤ 12 bytes/event target is
 *   TimescaleDB's: on plain PostgreSQL it is "not measured".
 * - reconstruction: `bookAt` of a random token at a random instant of the recorded day
 *   (p50/p99), beside one primary-key read.
 * - replay: `replayBookEvents` of the whole day into a counting consumer, beside reading the
 *   same rows raw; then the day exported as Parquet (`pmcollect export`) and replayed from the
 *   files (`replayParquetBatches`, and one event at a time) in a process of its own, as a
 *   consumer of the files runs it (bench/_parquet_replay.ts), beside the database replay.
 *   Rates are book rows (kinds 0–3, the rows a replay reads) per second; the last line's
 *   figure is the batched Parquet one.
 * - memory: the recorder holds no book, one counter per token: the heap of 100,000 such
 *   counters per 1,000 tokens, and full books (`L2Books`) of 20,000 tokens (heap and RSS growth
 *   per 1,000), each measured after a full collection in a process of its own
 *   (bench/_books_memory.ts); and this process's RSS.
 *
 * The last line is `stream: N events/s ingest, B bytes/event, R events/s replay`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createTradeKeyer } from "../db/trade_identity.ts";
import { TopOfBook } from "../collectors/_top_of_book.ts";
import { tradeRowOf } from "../collectors/trades.ts";
import { TradeQueue } from "../collectors/_trade_queue.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { bookAt } from "../stream/book_at.ts";
import { fileURLToPath } from "node:url";
import type { BooksMemory } from "./_books_memory.ts";
import type { ParquetReplayTimes } from "./_parquet_replay.ts";
import { RUNTIME_V8_FLAGS } from "../tests/_runtime_flags.ts";
import { StreamRecorder } from "../stream/recorder.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { PACK_WINDOW_MS, packWindow } from "../stream/packer.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { compressedColumns } from "./_compressed_columns.ts";
import { venueSeqGrowth } from "./_venue_seq.ts";
import { compressAsPolicy, pauseJobs } from "./_compress_as_policy.ts";
import {
  atLeast,
  atMost,
  BENCH_SHORT,
  missed,
  notMeasured,
  type TargetCheck,
  verdictLine,
} from "./_report.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

const TOKENS = BENCH_SHORT ? 400 : 4000;
/** Tokens whose books the memory figure holds: enough that fixed costs do not dominate RSS. */
const BOOK_MEMORY_TOKENS = 20_000;
const FRAME_MESSAGES = 20;
const START = Date.UTC(2026, 10, 29);
const DAY = 86_400_000;
const SAMPLES = BENCH_SHORT ? 50 : 300;

/** Characters of the frames: the JSON the venue would have sent. */
function wireBytesOf(frames: readonly string[]): number {
  return frames.reduce((n, f) => n + f.length, 0);
}

/** Connections the tokens are spread over, as the listener spreads its subscriptions. */
const CONNECTIONS = 8;

/**
 * Frames (JSON text) of one simulated day, each with the connection it came on and when it was
 * received: a market's messages always come on the same connection, and a frame holds one
 * connection's messages of one instant, received 20-120 ms after the venue stamped them (never
 * before the connection's previous frame), and frames are recorded in the order they arrive.
 */
function makeFrames(): { frames: string[]; conns: number[]; ats: number[] } {
  const run = simulate();
  // The recorder takes frames in the order they arrive, and stamps them then: sorted by arrival
  // (stable, so a connection's frames, whose arrivals never decrease, keep their order).
  const order = run.ats.map((_, i) => i).sort((a, b) => run.ats[a]! - run.ats[b]! || a - b);
  return {
    frames: order.map((i) => run.frames[i]!),
    conns: order.map((i) => run.conns[i]!),
    ats: order.map((i) => run.ats[i]!),
  };
}

/**
 * One seeded day of the realistic model at its own rates: each step of 100 activity events
 * advances the venue's clock by the time the model takes to send them, so every market moves
 * as often as the venue's market of its rank does (1.2 M messages a day from the open markets
 * of the 2,000). A token's rows per day set how large its compressed batches grow, so a day
 * squeezed or stretched would not measure the venue's bytes per event (1 M messages spread over
 * the day, before, gave each token 5/6 of its rows).
 */
function simulate() {
  let nowMs = START;
  const universe = createUniverse({ markets: TOKENS / 2, seed: 15, now: START });
  const world = new World(universe, { seed: 15, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const open = universe.markets.filter((m) => m.status === "open");
  const connOf = new Map(universe.markets.map((m, i) => [m.conditionId, i % CONNECTIONS]));
  const frames: string[] = [];
  const conns: number[] = [];
  const ats: number[] = [];
  let latency = 15;
  // A connection delivers in order (TCP): a frame never arrives before the one sent before it.
  const lastArrival = new Array<number>(CONNECTIONS).fill(0);
  const batches = Array.from({ length: CONNECTIONS }, () => [] as unknown[]);
  const flush = (conn: number) => {
    const batch = batches[conn]!;
    if (batch.length === 0) return;
    frames.push(JSON.stringify(batch));
    conns.push(conn);
    latency = (latency * 1103515245 + 12345) % 2147483648;
    lastArrival[conn] = Math.max(lastArrival[conn]!, nowMs + 20 + (latency % 100));
    ats.push(lastArrival[conn]!);
    batch.length = 0;
  };
  const push = (conditionId: string | null, m: unknown) => {
    const conn = connOf.get(conditionId ?? "") ?? 0;
    batches[conn]!.push(m);
    if (batches[conn]!.length === FRAME_MESSAGES) flush(conn);
  };
  const flushAll = () => {
    for (let conn = 0; conn < CONNECTIONS; conn++) flush(conn);
  };
  for (const m of open) {
    for (const o of [0, 1] as const) push(m.conditionId, wsBook(m, world.book(m), o));
  }
  flushAll();
  // Whole milliseconds, as the venue stamps.
  const stepMs = (100 * 1000) / model.eventsPerSecond;
  for (let step = 1; step * stepMs < DAY - 60_000; step++) {
    nowMs = START + Math.round(step * stepMs);
    for (const e of world.stepRealistic(model, 100)) push(e.conditionId, e.message);
    flushAll();
  }
  return { frames, conns, ats };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const targets: TargetCheck[] = [];
  // `frames` is dropped after the ingest: the replays should not pay for its garbage work.
  let { frames, conns, ats } = makeFrames();
  const wireBytes = wireBytesOf(frames);
  const frameCount = frames.length;
  const receivedAt = (i: number) => ats[i]!;

  // Baseline: parsing alone.
  let t = performance.now();
  let parsedEvents = 0;
  for (let i = 0; i < frames.length; i++) {
    parsedEvents += parseWsFrame(frames[i]!, receivedAt(i)).messages.length;
  }
  const parseSeconds = (performance.now() - t) / 1000;

  const db = await createTestDatabase("server");
  try {
    const sql = db.sql;
    const { mode } = await migrate(sql, { log: silentLogger(), timescale: "auto" });
    // The bench compresses itself, as the policies would (timescaleStorage).
    if (mode === "timescale") await pauseJobs(sql);
    const stop = new AbortController();
    const spillDir = await Deno.makeTempDir();
    const queue = new TradeQueue({
      sql,
      spillDir,
      flushMs: 500,
      flushRows: 5000,
      maxRows: 1_000_000,
      log: silentLogger(),
    });
    const queueDone = queue.run(stop.signal);
    const recorder = new StreamRecorder({
      sql,
      method: "copy",
      log: silentLogger(),
      spillDir,
      session: START,
      // The clean stop ends every segment at the end of the recorded day, not the wall clock's.
      now: () => START + DAY - 1,
      flushRows: 20_000,
      maxRows: 10_000_000,
    });
    t = performance.now();
    const recorderDone = recorder.run(stop.signal);
    const keyer = createTradeKeyer();
    const tob = new TopOfBook();
    for (let i = 0; i < frames.length; i++) {
      const at = receivedAt(i);
      const messages = parseWsFrame(frames[i]!, at).messages;
      recorder.record(messages, conns[i]!);
      for (const m of messages) {
        if (m.kind === "trade") {
          queue.push({ kind: "trade", row: tradeRowOf(m, keyer) });
        } else tob.apply(m);
      }
      if (i % 200 === 0) {
        for (const row of tob.drain()) queue.push({ kind: "quote", row });
        // Back-pressure as the listener's socket gives it: let the writers run.
        while (recorder.depth > 200_000) await sleep(5);
        await sleep(0);
      }
    }
    stop.abort();
    frames = [];
    conns = [];
    ats = [];
    await recorderDone;
    await queueDone;
    const ingestSeconds = (performance.now() - t) / 1000;
    await Deno.remove(spillDir, { recursive: true });

    const [counts] = await sql<{ events: number; all: number; trades: number; quotes: number }[]>`
      select (select count(*) from book_events)::int as events,
             (select count(*) from book_checkpoints)::int as "all",
             (select count(*) from trades)::int as trades,
             (select count(*) from quotes)::int as quotes`;
    const events = counts!.events;
    const ingestRate = Math.round(events / ingestSeconds);
    const parseRate = Math.round(events / parseSeconds);
    lines.push(
      `recorded ${events} events (and ${counts!.all} checkpoints) of ${TOKENS} tokens ` +
        `in ${frameCount} frames, with ${counts!.trades} trades and ${counts!.quotes} quotes`,
      `ingest ${ingestRate} events/s end-to-end; baseline parse alone ${parseRate} events/s ` +
        `(${parsedEvents} messages); ratio ${(ingestRate / parseRate).toFixed(2)}`,
    );
    targets.push(atLeast("ingest events/s", ingestRate, 50_000));

    // After each 6-hour window ends the recorder packs its level rows (stream/packer.ts).
    t = performance.now();
    let packedRows = 0;
    let packs = 0;
    for (let w = START; w < START + DAY; w += PACK_WINDOW_MS) {
      const r = await packWindow(sql, new Date(w));
      packedRows += r.rows;
      packs += r.packs;
    }
    const packSeconds = (performance.now() - t) / 1000;
    const [stored] = await sql<{ n: number }[]>`
      select (count(*) + ${packedRows})::int as n from book_event_rows`;
    lines.push(
      `packed ${packedRows} of ${stored!.n} stored rows into ${packs} packs in ` +
        `${packSeconds.toFixed(1)} s (${Math.round(packedRows / packSeconds)} rows/s)`,
    );
    const venueSeq = await venueSeqLine(sql, 510 / (parsedEvents / 86_400));
    // The space the packed rows left is reused by the next hours' rows: measure without it.
    if (mode !== "timescale") await sql`vacuum full book_event_rows`;
    await sql`vacuum analyze book_event_rows`;
    await sql`vacuum analyze book_event_packs`;
    await sql`vacuum analyze token_pairs`;
    await sql`vacuum analyze book_checkpoints`;
    // The venue sends ~510 messages/s (docs/activity_model.md); rows per message as here.
    const perVenueDay = (bytes: number) =>
      `${((bytes * (events / parsedEvents) * 510 * 86_400) / 1e9).toFixed(2)} GB per venue day ` +
      `(~510 messages/s, ${(events / parsedEvents).toFixed(2)} rows each)`;
    const wire = `baseline wire JSON ${(wireBytes / events).toFixed(1)} bytes/event`;
    let bytesPerEvent: number;
    if (mode === "timescale") {
      const storage = await timescaleStorage(sql);
      bytesPerEvent = Math.round((storage.bytes / events) * 10) / 10;
      const before = Math.round((storage.beforeBytes / events) * 10) / 10;
      lines.push(
        `storage ${bytesPerEvent} bytes/event on TimescaleDB after compress_chunk ` +
          `(${storage.detail}); ${perVenueDay(bytesPerEvent)}; uncompressed ${before} ` +
          `bytes/event (ratio ${(storage.beforeBytes / storage.compressedBytes).toFixed(1)}` +
          ` on book_event_rows); ${wire}`,
        ...storage.layout,
      );
      targets.push(atMost("bytes/event (TimescaleDB, compressed)", bytesPerEvent, 12));
    } else {
      const [size] = await sql<{ bytes: string }[]>`
        select (pg_total_relation_size('book_event_rows') +
                pg_total_relation_size('book_event_packs') + pg_total_relation_size('token_pairs') +
                pg_total_relation_size('book_checkpoints'))::text as bytes`;
      bytesPerEvent = Math.round((Number(size!.bytes) / events) * 10) / 10;
      lines.push(
        `storage ${bytesPerEvent} bytes/event on plain PostgreSQL (heap + indexes), ` +
          `${perVenueDay(bytesPerEvent)}; ${wire}; TimescaleDB not measured (this server has ` +
          `no TimescaleDB)`,
      );
      targets.push(
        notMeasured(
          "bytes/event ≤ 12 on TimescaleDB",
          `plain PostgreSQL here: ${bytesPerEvent} bytes/event, packed, without TimescaleDB`,
        ),
      );
    }
    lines.push(venueSeq.line(bytesPerEvent, events, perVenueDay));

    const tokenIds = (await sql<{ id: string }[]>`select token_id as id from token_keys`)
      .map((r) => r.id);
    let seed = 15;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const took: number[] = [];
    const pk: number[] = [];
    let covered = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const token = tokenIds[Math.floor(rand() * tokenIds.length)]!;
      const at = new Date(START + Math.floor(rand() * DAY));
      let s = performance.now();
      if ((await bookAt(sql, token, { at })).covered) covered++;
      took.push(performance.now() - s);
      s = performance.now();
      await sql`select kind from book_event_rows where session = ${START} and seq = ${i * 997}`;
      pk.push(performance.now() - s);
    }
    const p = (xs: number[], q: number) =>
      xs.sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
    const p50 = p(took, 0.5);
    const p99 = p(took, 0.99);
    lines.push(
      `bookAt p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${SAMPLES} random ` +
        `(token, instant), ${covered} covered; baseline primary-key read p50 ` +
        `${p(pk, 0.5).toFixed(2)} ms`,
    );
    targets.push(atMost("bookAt p99 ms", Math.round(p99 * 100) / 100, 50));

    const [book] = await sql<{ rows: number }[]>`
      select count(*)::int as rows from book_events where kind in (0, 1, 2, 3)`;
    const bookRows = book!.rows;
    t = performance.now();
    let replayed = 0;
    for await (const _ of replayBookEvents(sql)) replayed++;
    const dbReplayRate = Math.round(bookRows / ((performance.now() - t) / 1000));
    t = performance.now();
    let raw = 0;
    for await (
      const rows of sql`
        select * from book_event_rows_between(${new Date(START)}, ${new Date(START + DAY)})
        order by session, seq`.values()
        .cursor(50_000)
    ) {
      raw += rows.length;
    }
    const rawSeconds = (performance.now() - t) / 1000;
    lines.push(
      `replay from the database ${dbReplayRate} rows/s (${replayed} BookEvents of ${bookRows} ` +
        `book rows); baseline raw read of the stored rows ${Math.round(raw / rawSeconds)} rows/s`,
    );

    const out = await Deno.makeTempDir({ prefix: "pmcollect_bench_stream_" });
    let replayRate: number;
    try {
      t = performance.now();
      const options = { out, program: "bench", signal: new AbortController().signal };
      const day = new Date(START).toISOString().slice(0, 10);
      await exportPartition(sql, dayPartition("book_events", "received_at", day), options);
      await exportPartition(sql, { table: "token_keys", timeColumn: null, day: null }, options);
      const exportSeconds = (performance.now() - t) / 1000;
      // In a process of its own, best of five (the first run also compiles the replay loop; this
      // machine is shared, and one run in three can be twice as slow as the next).
      const times = await parquetReplay(out, 5);
      const rates = times.rounds.map((seconds) => Math.round(bookRows / seconds));
      replayRate = Math.max(...rates);
      const fromParquet = times.events;
      if (fromParquet !== replayed) {
        throw new Error(`Parquet replay gave ${fromParquet} events, the database ${replayed}`);
      }
      const oneByOneRate = Math.round(bookRows / times.oneByOne);
      lines.push(
        `replay from Parquet (own process) ${replayRate} rows/s in batches (best of ${
          rates.join(", ")
        }), ` +
          `${oneByOneRate} rows/s one ` +
          `event at a time (${fromParquet} BookEvents, as many as from the database; export ` +
          `took ${exportSeconds.toFixed(1)} s); baseline: the database replay above, ratio ` +
          `${(replayRate / dbReplayRate).toFixed(2)}`,
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
    targets.push(atLeast("replay events/s (from Parquet)", replayRate, 1_000_000));

    lines.push(...await booksHeld());

    for (const line of [...lines, ...targets.map((x) => x.line), verdictLine(targets)]) {
      printText("stdout", line);
    }
    printText(
      "stdout",
      `stream: ${ingestRate} events/s ingest, ${bytesPerEvent} bytes/event, ${replayRate} events/s replay`,
    );
  } finally {
    await db.dispose();
  }
  if (targets.some(missed)) Deno.exit(1);
}

/** The venue-scale seq correction (bench/_venue_seq.ts) as a printable line. */
async function venueSeqLine(sql: Sql, scale: number) {
  const { bytes, scaled } = await venueSeqGrowth(sql, scale);
  return {
    line: (bytesPerEvent: number, events: number, perVenueDay: (b: number) => string) => {
      const corrected = Math.round((bytesPerEvent + (scaled - bytes) / events) * 10) / 10;
      return `venue-scale seq deltas (${scale.toFixed(1)}× this run's message rate): packed ` +
        `varints ${bytes} → ${scaled} bytes before compression (+${
          (((scaled - bytes) / bytes) * 100).toFixed(1)
        }%), so ~${corrected} bytes/event, ${perVenueDay(corrected)}`;
    },
  };
}

/**
 * TimescaleDB: compresses every chunk of the stream's hypertables, then sizes them (the
 * hypertables' total after compression, plus any stream table that is not a hypertable).
 */
async function timescaleStorage(sql: Sql): Promise<{
  bytes: number;
  beforeBytes: number;
  compressedBytes: number;
  detail: string;
  layout: string[];
}> {
  // search_path is the test's schema only; the extension's functions are elsewhere.
  const extension = (await timescaleSchema(sql))!;
  const ts = sql(extension);
  const [here] = await sql<{ schema: string }[]>`select current_schema() as schema`;
  const hypertables = new Set(
    (await sql<{ name: string }[]>`
      select hypertable_name as name from timescaledb_information.hypertables
      where hypertable_schema = ${here!.schema}`).map((r) => r.name),
  );
  let bytes = 0;
  let beforeBytes = 0;
  let compressedBytes = 0;
  const parts: string[] = [];
  const layout: string[] = [];
  for (const table of ["book_event_rows", "book_event_packs", "token_pairs", "book_checkpoints"]) {
    if (!hypertables.has(table)) {
      const [r] = await sql<{ bytes: string }[]>`
        select pg_total_relation_size(${table}::regclass)::text as bytes`;
      bytes += Number(r!.bytes);
      beforeBytes += Number(r!.bytes);
      parts.push(`${table} ${r!.bytes} bytes, plain table`);
      continue;
    }
    const compression = await compressAsPolicy(sql, extension, table);
    const [stats] = await sql<
      { before: string | null; after: string | null; compressed: number; total: number }[]
    >`
      select before_compression_total_bytes::text as before,
             after_compression_total_bytes::text as after,
             number_compressed_chunks::int as compressed, total_chunks::int as total
      from ${ts}.hypertable_compression_stats(${table}::regclass)`;
    const [size] = await sql<{ total: string }[]>`
      select total_bytes::text as total from ${ts}.hypertable_detailed_size(${table}::regclass)`;
    bytes += Number(size!.total);
    // Chunks left uncompressed (none expected) count as they are.
    const uncompressedRest = Number(size!.total) - Number(stats!.after ?? 0);
    beforeBytes += Number(stats!.before ?? 0) + Math.max(0, uncompressedRest);
    if (table === "book_event_rows") compressedBytes = Number(stats!.after ?? 0);
    parts.push(
      `${table} ${size!.total} bytes, ${stats!.compressed} of ${stats!.total} chunks ` +
        `compressed (${compression.calls} compress_chunk calls, ${
          compression.compressSeconds.toFixed(1)
        } s; ` +
        `rebatch ${compression.rebatchSeconds?.toFixed(1) ?? "-"} s), ` +
        `${stats!.before ?? 0} bytes before compression`,
    );
    const [settings] = await sql<{ segmentby: string; orderby: string }[]>`
      select coalesce(string_agg(attname, ', ' order by segmentby_column_index)
                        filter (where segmentby_column_index is not null), '') as segmentby,
             coalesce(string_agg(attname || case when orderby_asc then '' else ' desc' end,
                        ', ' order by orderby_column_index)
                        filter (where orderby_column_index is not null), '') as orderby
      from timescaledb_information.compression_settings
      where hypertable_schema = ${here!.schema} and hypertable_name = ${table}`;
    const chunks = await sql<{ range: string; before: string; after: string }[]>`
      select to_char(c.range_start at time zone 'UTC', 'MM-DD HH24:MI') || '..' ||
               to_char(c.range_end at time zone 'UTC', 'MM-DD HH24:MI') as range,
             coalesce(s.before_compression_total_bytes, 0)::text as before,
             coalesce(s.after_compression_total_bytes, 0)::text as after
      from timescaledb_information.chunks c
      join ${ts}.chunk_compression_stats(${table}::regclass) s
        on s.chunk_schema = c.chunk_schema and s.chunk_name = c.chunk_name
      where c.hypertable_schema = ${here!.schema} and c.hypertable_name = ${table}
      order by c.range_start`;
    layout.push(
      `  ${table}: segmentby [${settings?.segmentby ?? ""}], orderby [${
        settings?.orderby ?? ""
      }]; chunks ${chunks.map((k) => `${k.range} ${mb(k.before)}→${mb(k.after)} MB`).join(", ")}`,
    );
    if (table === "book_event_rows") layout.push(await compressedColumns(sql, here!.schema, table));
  }
  return { bytes, beforeBytes, compressedBytes, detail: parts.join("; "), layout };
}

/** A bench script run in a process of its own (flags, then its arguments): its one JSON line. */
async function childJson<T>(script: string, flags: readonly string[], args: string[]): Promise<T> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, file, ...args],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`bench/${script.slice(2)} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as T;
}

/** The Parquet replay of `dir` timed in its own process (bench/_parquet_replay.ts). */
function parquetReplay(dir: string, rounds: number): Promise<ParquetReplayTimes> {
  return childJson("./_parquet_replay.ts", RUNTIME_V8_FLAGS, [dir, String(rounds)]);
}

/**
 * Memory of full books kept in memory (the scanner's `L2Books`, for the tokens it watches):
 * every token of a 20,000-token universe gets its simulator book, measured in a process of its
 * own that can force a garbage collection (bench/_books_memory.ts), as heap and as RSS growth;
 * and the recorder's per-token counters.
 */
async function booksHeld(): Promise<string[]> {
  const m = await childJson<BooksMemory>("./_books_memory.ts", ["--v8-flags=--expose-gc"], [
    String(BOOK_MEMORY_TOKENS),
  ]);
  return [
    `memory: the recorder holds no book, one counter per token: ` +
    `~${Math.round(m.counterBytesPerThousand / 1024)} KB of heap per 1,000 tokens (100,000 ` +
    `counters, after a full collection); this process's RSS ` +
    `${Math.round(Deno.memoryUsage().rss / 1e6)} MB`,
    `memory: full books held in memory (L2Books, ${m.tokens} tokens, ` +
    `${m.levels.toFixed(1)} levels each): ${(m.bytes / m.tokens * 1000 / 1e6).toFixed(2)} MB ` +
    `of heap per 1,000 tokens (after a full collection), RSS grown by ` +
    `${(m.rssBytes / m.tokens * 1000 / 1e6).toFixed(2)} MB per 1,000 tokens (an upper bound: ` +
    `it keeps pages the parsing's garbage took)`,
  ];
}

function mb(bytes: string): string {
  return (Number(bytes) / 1e6).toFixed(1);
}

await main();
