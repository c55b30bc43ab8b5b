/**
 * Packing at venue rate (issue 26): does `packWindow` (stream/packer.ts) keep up window after
 * window with the whole venue recorded, in ≤ 5 minutes per 6-hour window on this machine?
 *
 * - **Rows per window.** The venue publishes ~510 unique market messages a second
 *   (docs/activity_model.md), 11 M in a 6-hour window. How many `book_event_rows` that is comes
 *   from the recorder's own row model: six hours of the simulator's realistic activity over a
 *   1/100 universe (every 100th rank of the venue's markets) go through `StreamRecorder.record`
 *   (never flushed), which gives stored rows and level rows per message. A `price_change`
 *   carries a level and its mirror, one stored row of kind 9, as every real `price_change` of
 *   the fixtures does; a trade adds a marker and sometimes two `book`s.
 * - **The window.** Those level rows are spread over the venue's 46,500 markets by the
 *   realistic model's per-market rates (`ActivityModel.rateOf`, a Poisson draw each), stored
 *   under the market's first token (the pair's row) and its connection (424, as the outside
 *   run had), in one session, in arrival order with seq following it; trade markers (kind 7)
 *   stay rows. They are written with one `insert … select` over `generate_series` into
 *   `book_event_rows` on the server behind TEST_DATABASE_URL (a fresh schema), indexes and all.
 * - **Packing.** Window 1 is filled and packed, then window 2 (the same session going on) is
 *   filled and packed on the same table, so that what window 1's packing left (dead tuples of
 *   its deletes, the packs) weighs on window 2 as it would on a server.
 * - **Baseline.** The fill's own `insert … select` of the same rows, timed in the same run:
 *   packing seconds over fill seconds tells a slower packer apart from a busier host, with
 *   the host's load (bench/_host_load.ts).
 *
 * `BENCH_SHORT=1` fills 1/20 of the venue's rate (a run to show it works, not a figure).
 * The last line is `pack: W1 s, W2 s per window at venue rate (R rows each)`.
 */
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import {
  ActivityModel,
  poisson,
  VENUE_MARKETS,
  VENUE_MESSAGES_PER_SECOND,
} from "../simulator/activity_model.ts";
import { Random } from "../simulator/_random.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { StreamRecorder } from "../stream/recorder.ts";
import { PACK_WINDOW_MS, packWindow } from "../stream/packer.ts";
import { createTestDatabase } from "../tests/_db.ts";
import { pauseJobs } from "./_compress_as_policy.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { watchHostLoad } from "./_host_load.ts";
import {
  atMost,
  BENCH_SHORT,
  missed,
  notMeasured,
  type TargetCheck,
  verdictLine,
} from "./_report.ts";

/** Share of the venue's rate filled (1: the venue). */
const SCALE = BENCH_SHORT ? 0.05 : 1;
/** Websocket connections the venue's tokens are spread over (the outside run's 424). */
const CONNECTIONS = 424;
const START = Date.UTC(2026, 10, 30);
const SESSION = START - 3 * 3_600_000;
/** The target: minutes per window. */
const TARGET_MINUTES = 5;

/** Stored rows per venue message, by the recorder's row model over the realistic simulator. */
function rowsPerMessage(sql: Sql): { level: number; other: number; sample: number } {
  const markets = Math.round(VENUE_MARKETS / 100);
  let nowMs = START;
  const universe = createUniverse({ markets, seed: 26, now: START });
  const world = new World(universe, { seed: 26, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  // Never run: only its row model is used, and `depth` counts the rows it would store.
  const recorder = new StreamRecorder({ sql, method: "copy", log: silentLogger(), spillDir: null });
  const stepMs = (100 * 1000) / model.eventsPerSecond;
  let messages = 0;
  let level = 0;
  for (let step = 1; step * stepMs < PACK_WINDOW_MS; step++) {
    nowMs = START + Math.round(step * stepMs);
    const frame = JSON.stringify(world.stepRealistic(model, 100).map((e) => e.message));
    for (const m of parseWsFrame(frame, nowMs + 40).messages) {
      const before = recorder.depth;
      recorder.record([m], 0);
      messages++;
      if (m.kind === "price_change") level += recorder.depth - before;
      // A snapshot's header stays a row; its levels are packed.
      if (m.kind === "book") level += recorder.depth - before - 1;
    }
  }
  return { level: level / messages, other: (recorder.depth - level) / messages, sample: messages };
}

/** Level rows of each venue market in one window: a Poisson draw at its realistic rate. */
function marketRows(levelPerMessage: number): number[] {
  const model = new ActivityModel(VENUE_MARKETS, 1);
  const r = new Random(26);
  // The model's events carry 1 + 1.5 × 0.2% messages each; its rates are events.
  const perEvent = levelPerMessage * VENUE_MESSAGES_PER_SECOND / model.eventsPerSecond;
  return Array.from(
    { length: VENUE_MARKETS },
    (_, i) => poisson(model.rateOf(i) * (PACK_WINDOW_MS / 1000) * perEvent * SCALE, r),
  );
}

/**
 * Fills one window: each market's rows at uniform random instants of the window, numbered in
 * arrival order from `firstSeq`, a trade marker (kind 7, not packed) among them at the
 * measured share. Prices walk around each token's own level; sizes are hundredths.
 */
async function fillWindow(
  sql: Sql,
  w: { readonly from: number; readonly firstSeq: number; readonly markerShare: number },
): Promise<{ rows: number; seconds: number }> {
  const t = performance.now();
  const result = await sql`
    insert into book_event_rows
      (session, seq, conn, token_key, kind, side, price, size, ts_lag, received_at, exact)
    select ${SESSION}, ${w.firstSeq} + row_number() over (order by r.u) - 1, r.conn, r.token_key,
           case when r.v < ${w.markerShare} then 7 else 9 end,
           (r.j + r.token_key) % 2,
           case when r.v < ${w.markerShare} then null
                else 100 + (r.token_key * 37 + (r.j * 7) % 61) % 9800 end,
           case when r.v < ${w.markerShare} then null
                else (((r.j * 2654435761::int8) % 1000003) * r.v * 30)::int8 end,
           20 + (r.j * 13) % 100,
           ${new Date(w.from)}::timestamptz +
             floor(r.u * ${PACK_WINDOW_MS}) * interval '1 millisecond',
           null
    from (
      select m.token_key, m.conn, j, random() as u, random() as v
      from bench_markets m cross join lateral generate_series(1, m.n) j
    ) r
    order by r.u`;
  return { rows: result.count, seconds: (performance.now() - t) / 1000 };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const targets: TargetCheck[] = [];
  const db = await createTestDatabase("server");
  const watch = await watchHostLoad();
  try {
    const sql = db.sql;
    const { mode } = await migrate(sql, { log: silentLogger(), timescale: "auto" });
    if (mode === "timescale") await pauseJobs(sql);
    const ratio = rowsPerMessage(sql);
    const counts = marketRows(ratio.level);
    const levelRows = counts.reduce((a, b) => a + b, 0);
    const active = counts.filter((n) => n > 0).length;
    // Every token has its key, as the recorder assigns them (the packer slices by key).
    await sql`
      insert into token_keys (token_key, token_id)
      select k, 'bench-' || k from generate_series(1, ${2 * VENUE_MARKETS}) k`;
    await sql`create table bench_markets (token_key int4, conn int4, n int4)`;
    // Token keys as the recorder assigns them, both tokens of a market in turn; a pair's row
    // goes under the token the venue lists first, either of the two.
    const keys = counts.map((_, i) => 2 * i + 1 + ((i * 2_654_435_761) >>> 31));
    await sql`
      insert into bench_markets
      select k, (k / 2) % ${CONNECTIONS}, n
      from unnest(${keys}::int4[], ${counts}::int4[]) u(k, n) where n > 0`;
    const markerShare = ratio.other / (ratio.level + ratio.other);
    lines.push(
      `rows per message (recorder's row model, ${ratio.sample} messages of a 6-hour realistic ` +
        `run over ${VENUE_MARKETS / 100} markets): ${ratio.level.toFixed(3)} level rows ` +
        `(packed) + ${ratio.other.toFixed(4)} other rows`,
      `window at ${SCALE === 1 ? "" : `${SCALE}× `}venue rate (~${
        Math.round(VENUE_MESSAGES_PER_SECOND * SCALE)
      } messages/s): ${levelRows} level rows over ${active} of ${VENUE_MARKETS} markets ` +
        `(${CONNECTIONS} connections, one session), plus trade markers at ` +
        `${(markerShare * 100).toFixed(2)}%`,
    );
    const windows: { fill: number; pack: number; rows: number; packs: number }[] = [];
    let firstSeq = 1;
    for (let w = 0; w < 2; w++) {
      const from = START + w * PACK_WINDOW_MS;
      const fill = await fillWindow(sql, { from, firstSeq, markerShare });
      firstSeq += fill.rows;
      await sql`analyze book_event_rows`;
      const t = performance.now();
      const packed = await packWindow(sql, new Date(from));
      const pack = (performance.now() - t) / 1000;
      windows.push({ fill: fill.seconds, pack, rows: packed.rows, packs: packed.packs });
      lines.push(
        `window ${w + 1}: filled ${fill.rows} rows in ${fill.seconds.toFixed(1)} s ` +
          `(baseline insert … select, ${Math.round(fill.rows / fill.seconds)} rows/s); packed ` +
          `${packed.rows} rows into ${packed.packs} packs in ${pack.toFixed(1)} s ` +
          `(${(pack / 60).toFixed(2)} min, ${Math.round(packed.rows / pack)} rows/s), ` +
          `${(pack / fill.seconds).toFixed(2)}× the fill`,
      );
    }
    // A hypertable's own relation is empty: its chunks hold the rows.
    const extension = mode === "timescale" ? await timescaleSchema(sql) : null;
    const rowsSize = extension === null
      ? sql`pg_total_relation_size('book_event_rows')`
      : sql`${sql(extension)}.hypertable_size('book_event_rows')`;
    const [size] = await sql<{ rows: string; packs: string }[]>`
      select pg_size_pretty(${rowsSize}) as rows,
             pg_size_pretty(pg_total_relation_size('book_event_packs')) as packs`;
    lines.push(
      `after both windows (${mode === "timescale" ? "TimescaleDB" : "plain PostgreSQL"}): ` +
        `book_event_rows ${size!.rows}, book_event_packs ${size!.packs}`,
    );
    lines.push(...await watch.stop());
    for (const [i, x] of windows.entries()) {
      const name = `minutes to pack window ${i + 1} at venue rate`;
      targets.push(
        SCALE === 1
          ? atMost(name, round2(x.pack / 60), TARGET_MINUTES)
          : notMeasured(`${name} ≤ ${TARGET_MINUTES}`, `BENCH_SHORT: ${SCALE}× the venue's rate`),
      );
    }
    for (const line of [...lines, ...targets.map((x) => x.line), verdictLine(targets)]) {
      printText("stdout", line);
    }
    printText(
      "stdout",
      `pack: ${windows.map((x) => x.pack.toFixed(1)).join(" s, ")} s per window at ` +
        `${SCALE === 1 ? "" : `${SCALE}× `}venue rate (${windows[0]!.rows} rows each)`,
    );
  } finally {
    await db.dispose();
  }
  if (targets.some(missed)) Deno.exit(1);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

await main();
