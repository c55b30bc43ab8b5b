/**
 * Stream recorder benchmark (issue 15), against TEST_DATABASE_URL (plain PostgreSQL):
 *
 * - ingest: simulator frames of the realistic activity mix (one `book` per token first, then
 *   `price_change`s, trades at 0.2%) parsed, recorded and committed into `book_events`, with
 *   trades and quote rows flowing through the listener's trade queue at the same time; beside
 *   parsing the same frames alone (the baseline).
 * - storage: bytes of `book_events` (heap, TOAST and both indexes, checkpoints included) per
 *   recorded event, beside the wire JSON bytes per event. TimescaleDB is not measured here.
 * - reconstruction: `bookAt` of a random token at a random instant of the recorded day
 *   (p50/p99), beside one primary-key read.
 * - replay: `replayBookEvents` of the whole day into a counting consumer, beside reading the
 *   same rows raw; then the day exported as Parquet (`pmcollect export`) and replayed from the
 *   files (`replayParquetBatches`, and one event at a time), beside the database replay.
 *   Rates are book rows (kinds 0–3, the rows a replay reads) per second; the last line's
 *   figure is the batched Parquet one.
 * - memory: the recorder holds no book, one counter per token: the heap of 100,000 such
 *   counters per 1,000 tokens, and this process's RSS.
 *
 * The last line is `stream: N events/s ingest, B bytes/event, R events/s replay`.
 */
import { setTimeout as sleep } from "node:timers/promises";
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
import { StreamRecorder } from "../stream/recorder.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { replayBookEventsFromParquet, replayParquetBatches } from "../stream/replay_parquet.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { atLeast, atMost, BENCH_SHORT, type TargetCheck, verdictLine } from "./_report.ts";

const TOKENS = BENCH_SHORT ? 400 : 4000;
const EVENTS = BENCH_SHORT ? 100_000 : 1_000_000;
const FRAME_MESSAGES = 20;
const START = Date.UTC(2026, 10, 29);
const DAY = 86_400_000;
const SAMPLES = BENCH_SHORT ? 50 : 300;

/** Frames (JSON text) of one simulated day, and the trades/quotes mix they carry. */
function makeFrames(): { frames: string[]; wireBytes: number } {
  let nowMs = START;
  const universe = createUniverse({ markets: TOKENS / 2, seed: 15, now: START });
  const world = new World(universe, { seed: 15, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  const open = universe.markets.filter((m) => m.status === "open");
  const frames: string[] = [];
  let batch: unknown[] = [];
  let wireBytes = 0;
  const push = (m: unknown) => {
    batch.push(m);
    if (batch.length === FRAME_MESSAGES) {
      const text = JSON.stringify(batch);
      wireBytes += text.length;
      frames.push(text);
      batch = [];
    }
  };
  for (const m of open) for (const o of [0, 1] as const) push(wsBook(m, world.book(m), o));
  let events = open.length * 2;
  while (events < EVENTS) {
    nowMs += 50;
    for (const e of world.stepRealistic(model, 100)) {
      push(e.message);
      events++;
    }
  }
  return { frames, wireBytes };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const targets: TargetCheck[] = [];
  const { frames, wireBytes } = makeFrames();
  const receivedAt = (i: number) => START + Math.floor((i * DAY) / frames.length);

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
    await migrate(sql, { log: silentLogger(), timescale: "off" });
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
      recorder.record(messages, i % 8);
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
        `in ${frames.length} frames, with ${counts!.trades} trades and ${counts!.quotes} quotes`,
      `ingest ${ingestRate} events/s end-to-end; baseline parse alone ${parseRate} events/s ` +
        `(${parsedEvents} messages); ratio ${(ingestRate / parseRate).toFixed(2)}`,
    );
    targets.push(atLeast("ingest events/s", ingestRate, 50_000));

    await sql`vacuum analyze book_events`;
    await sql`vacuum analyze book_checkpoints`;
    const [size] = await sql<{ bytes: string }[]>`
      select (pg_total_relation_size('book_events') +
              pg_total_relation_size('book_checkpoints'))::text as bytes`;
    const bytesPerEvent = Math.round((Number(size!.bytes) / events) * 10) / 10;
    // The venue sends ~510 messages/s (docs/activity_model.md); rows per message as here.
    const venueDay = (bytesPerEvent * (events / parsedEvents) * 510 * 86_400) / 1e9;
    lines.push(
      `storage ${bytesPerEvent} bytes/event on plain PostgreSQL (heap + indexes), ` +
        `${venueDay.toFixed(1)} GB per venue day (~510 messages/s, ${
          (events / parsedEvents).toFixed(2)
        } rows each); baseline wire JSON ` +
        `${(wireBytes / events).toFixed(1)} bytes/event; TimescaleDB not measured`,
    );
    targets.push(
      atMost("bytes/event (plain PostgreSQL; target is for TimescaleDB)", bytesPerEvent, 12),
    );

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
      await sql`select kind from book_events where session = ${START} and seq = ${i * 997}`;
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
      const rows of sql`select * from book_events order by session, seq`.values().cursor(50_000)
    ) {
      raw += rows.length;
    }
    const rawSeconds = (performance.now() - t) / 1000;
    lines.push(
      `replay from the database ${dbReplayRate} rows/s (${replayed} BookEvents of ${bookRows} ` +
        `book rows); baseline raw read ${Math.round(raw / rawSeconds)} rows/s`,
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
      // Best of three: the first run also pays for compiling the replay loop.
      const rates: number[] = [];
      let fromParquet = 0;
      for (let round = 0; round < 3; round++) {
        t = performance.now();
        fromParquet = 0;
        for await (const events of replayParquetBatches(out)) fromParquet += events.length;
        rates.push(Math.round(bookRows / ((performance.now() - t) / 1000)));
      }
      replayRate = Math.max(...rates);
      if (fromParquet !== replayed) {
        throw new Error(`Parquet replay gave ${fromParquet} events, the database ${replayed}`);
      }
      t = performance.now();
      let oneByOne = 0;
      for await (const _ of replayBookEventsFromParquet(out)) oneByOne++;
      const oneByOneRate = Math.round(bookRows / ((performance.now() - t) / 1000));
      lines.push(
        `replay from Parquet ${replayRate} rows/s in batches (best of ${rates.join(", ")}), ` +
          `${oneByOneRate} rows/s one ` +
          `event at a time (${fromParquet} BookEvents, as many as from the database; export ` +
          `took ${exportSeconds.toFixed(1)} s); baseline: the database replay above, ratio ` +
          `${(replayRate / dbReplayRate).toFixed(2)}`,
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
    targets.push(atLeast("replay events/s (from Parquet)", replayRate, 1_000_000));

    const heapBefore = Deno.memoryUsage().heapUsed;
    const counters = new Map<string, number>();
    for (let k = 0; k < 100_000; k++) counters.set(`${7e75 + k * 1e60}`.padEnd(77, "7"), k);
    const perThousand = ((Deno.memoryUsage().heapUsed - heapBefore) / counters.size) * 1000;
    lines.push(
      `memory: the recorder holds no book, one counter per token: ~${
        Math.round(perThousand / 1024)
      } ` +
        `KB of heap per 1,000 tokens; this process's RSS ${
          Math.round(Deno.memoryUsage().rss / 1e6)
        } MB`,
    );

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
  if (targets.some((x) => !x.met)) Deno.exit(1);
}

await main();
