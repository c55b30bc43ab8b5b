/**
 * The executor's targets (issue 30), on this machine:
 * 1. decision latency: from a plan's arrival at the executor (`Executor.trade` called) to its
 *    first order handed to the broker — the playbook on the current books, and the ledger's
 *    intent made durable first (the risk engine's check is in it when one is given; none here,
 *    see 3) — p50/p99 over every planted episode of a long planted run (360 decisions) but the
 *    first 30, which warm the process up (their worst is printed beside), four ways: intents
 *    through the journal (execution/intent_journal.ts: a line flushed to a file in ./data, the
 *    row stored in PostgreSQL behind it; what live paper and live trading use by default: the
 *    target's figure), PostgreSQL with the intents committed on a connection of their own
 *    (execution/ledger_intents.ts, one statement), the same on the shared pool, and embedded
 *    PGlite (one session). Each beside its baseline from the same run: a bare insert committed
 *    on a connection of its own after each trade (the server's and this process's wake-ups and
 *    the disk's flush at that moment), so a busy host can be told apart from a slower path; the
 *    host's load is printed too; and, for the journal and the dedicated connection, where the
 *    time went (the median, and the slowest decisions one by one): the playbook and the order
 *    built (to the intent asked for), the intent made durable, and from then to the broker,
 *    each slow one beside the bare insert that followed it; and the floor at the decision's
 *    moment: the same replay with, where each decision would be (right after the replay's
 *    stretch of work, where a commit is slower than after the trade's own round trips), no
 *    trade but a bare insert committed, or a journal line flushed; and below all of them the
 *    disk's own flush (`_disk_flush.ts`: an 8 kB write + fdatasync beside the server's data
 *    directory), which no durable write beats;
 * 2. paper trading throughput: the scanner, the executor and the paper broker over a planted
 *    stream shaped like a venue day (200 quiet groups, mostly noise, a few plants 20 s apart),
 *    in memory, with the NO books mirrored for the broker (so it applies two events per
 *    recorded YES event); the rate is projected to a recorded day of the whole venue (510
 *    events/s × 86,400 s, the scanner bench's figure). Reading the stream back from the
 *    database is not in it (`deno task bench stream` measures the replay rate);
 * 3. planted P&L: paper P&L of each planted episode (taker fee 0.02, 12.37 shares, 100 ms of
 *    latency) against the planted truth's profit, written out from the venue's fee rule in
 *    `simulator/plant_profit.ts`: exact count out of the planted episodes.
 * The last line: `execution: D ms decision p99, R min per venue day, E of T planted P&L exact`.
 * `BENCH_SHORT=1` runs a shorter planted run and stream.
 *
 * @example
 * ```sh
 * deno task bench execution
 * ```
 */
import { migrate } from "../db/migrate.ts";
import { formatDec, ZERO } from "../edge/decimal.ts";
import { createLedger, recordIntent } from "../execution/ledger.ts";
import { INTENT_JOURNAL_FILE, IntentJournal } from "../execution/intent_journal.ts";
import { join } from "node:path";
import { mirrorEvent, scannerBookView } from "../execution/_book_view.ts";
import { Executor } from "../execution/executor.ts";
import { runPaper } from "../execution/paper.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { decide } from "../execution/playbook.ts";
import type { Episode } from "../scanner/episode.ts";
import { Scanner } from "../scanner/scanner.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { plantScenario } from "../simulator/plant.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "../tests/_db.ts";
import { orderRequest } from "../tests/_order_request.ts";
import postgres from "postgres";
import { watchHostLoad } from "./_host_load.ts";
import { diskFlush } from "./_disk_flush.ts";
import { atLeast, atMost, BENCH_SHORT, missed, verdictLine } from "./_report.ts";

const VENUE_RATE = 510;
/** The live paths' default data directory, where the bench's journals go. */
const JOURNAL_DIR = "data";
const DAY_EVENTS = VENUE_RATE * 86_400;
const MAX_AGE_MS = 5000;

function percentile(values: number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A paper run over `events` into a fresh schema of the test database. */
async function paperRun(
  scenario: ReturnType<typeof plantScenario>,
  latencyMs: number,
  options: { readonly probeIntents?: number } = {},
) {
  const db = await createTestDatabase("server");
  try {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const started = performance.now();
    const run = await runPaper(scenario.events, new RelationSet(scenario.relations), {
      ledger: createLedger(db.sql, { log: silentLogger() }),
      log: silentLogger(),
      latencyMs,
      cash: "1000000",
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: 2000,
      limits: { maxBookAgeMs: MAX_AGE_MS, minEdge: ZERO },
      runId: "bench",
      mirrorNo: true,
    });
    const ms = performance.now() - started;
    // The baseline: the ledger's intent alone (one transaction, committed), in the same database.
    const intents: number[] = [];
    for (let i = 0; i < (options.probeIntents ?? 0); i++) {
      const start = performance.now();
      await recordIntent(createLedger(db.sql, { log: silentLogger() }), {
        clientOrderId: `probe-${i}`,
        tokenId: "probe",
        side: "BUY",
        orderType: "FOK",
        price: "0.5",
        size: "10",
        postOnly: false,
        expiration: null,
      });
      intents.push(performance.now() - start);
    }
    return { run, ms, intents };
  } finally {
    await db.dispose();
  }
}

/** 1 and 3: a long planted run with fees. */
async function plantedBench() {
  const repeats = BENCH_SHORT ? 8 : 40;
  const scenario = plantScenario({
    seed: 5,
    depth: "12.37",
    feeRateBp: 200,
    maxBookAgeMs: MAX_AGE_MS,
    durationsMs: Array.from({ length: repeats }, (_, i) => [300, 1500, 4000][i % 3]!),
    quietMs: 1000,
  });
  const { run, intents } = await paperRun(scenario, 100, { probeIntents: 200 });
  const expected = scenario.truth.filter((t) => t.expected);
  let exact = 0;
  for (const t of expected) {
    const trade = run.trades.find((x) =>
      x.episode.relationKey === t.relationKey && x.episode.channel === t.channel &&
      x.episode.startedAt === t.startAt
    );
    if (trade !== undefined && formatDec(trade.result.pnl) === t.profit) exact++;
  }
  const handoffs = run.trades.flatMap((
    x,
  ) => (x.result.handoffMs === null ? [] : [x.result.handoffMs]));
  return {
    exact,
    total: expected.length,
    decoysTraded: run.trades.length -
      run.trades.filter((x) =>
        expected.some((t) =>
          t.relationKey === x.episode.relationKey && t.startAt === x.episode.startedAt
        )
      ).length,
    p50: percentile(handoffs, 50),
    p99: percentile(handoffs, 99),
    decisions: handoffs.length,
    intentP50: percentile(intents, 50),
    intentP99: percentile(intents, 99),
  };
}

/** How the decision bench's ledger is set up: its database, and a connection for intents. */
interface LedgerSetup {
  readonly backend: "server" | "embedded";
  /** The intents on a connection of their own (`createLedger`'s `dedicatedIntents`). */
  readonly dedicated: boolean;
  /** The intents through the journal (`createLedger`'s `journal`; the live paths' default). */
  readonly journal?: boolean;
  /**
   * No trade: a bare durable insert ("insert") or a journal line flushed ("journal") where each
   * decision would be (right after the replay's stretch of work), timed as if it were the
   * decision: the floor at the decision's moment.
   */
  readonly floorOnly?: "insert" | "journal";
}

/** Planted rounds of the decision bench (three episodes each). */
const DECISION_ROUNDS = 120;
/** Decisions a process makes before the timed ones (JIT, the intent's first prepare). */
const WARMUP_DECISIONS = 30;

/**
 * 1, as live: each episode's plan handed to the executor on an idle ledger (the previous trade's
 * fills booked), as episodes seconds apart are live; the broker answers at once (latency 0), so
 * only the decision path is timed. The scanner's books are those of the episode's instant.
 * After each trade, the baseline: one bare durable insert (autocommit) on a connection of its
 * own in the same database (on PGlite, its only connection), the floor any intent pays here.
 */
async function decisionBench(setup: LedgerSetup) {
  const scenario = plantScenario({
    seed: 6,
    depth: "12.37",
    feeRateBp: 200,
    maxBookAgeMs: MAX_AGE_MS,
    durationsMs: Array.from({ length: BENCH_SHORT ? 8 : DECISION_ROUNDS }, () => 4000),
    quietMs: 1000,
  });
  const set = new RelationSet(scenario.relations);
  const db = await createTestDatabase(setup.backend);
  // In the default data directory (./data), where the live paths keep their journal.
  await Deno.mkdir(JOURNAL_DIR, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "execution_bench_", dir: JOURNAL_DIR });
  const path = join(dir, INTENT_JOURNAL_FILE);
  const ledger = createLedger(db.sql, {
    log: silentLogger(),
    dedicatedIntents: setup.dedicated,
    ...(setup.journal === true ? { journal: { path, halted: () => null } } : {}),
  });
  const floorJournal = setup.floorOnly === "journal" ? new IntentJournal(path) : null;
  const probe = setup.backend === "server" ? await db.sql.reserve() : null;
  try {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await db.sql`create table bench_probe (id bigserial primary key, at timestamptz)`;
    await ledger.intents.ready();
    // Phases of each decision: the intent asked for (playbook and order built) and committed.
    let phase: Phases | null = null;
    const record = ledger.intents.record.bind(ledger.intents);
    ledger.intents.record = (request) => {
      if (phase !== null) phase.asked ??= performance.now();
      return record(request).then(() => {
        if (phase !== null) phase.committed ??= performance.now();
      });
    };
    let clock = 0;
    const broker = new PaperBroker({
      now: () => clock,
      latencyMs: 0,
      cash: "1000000",
      feeOf: (tokenId) => set.marketOf(tokenId)?.fee ?? null,
    });
    const opened: Episode[] = [];
    const scanner = new Scanner(set, {
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: 2000,
      onEpisode: (episode, phase) => void (phase === "open" && opened.push(episode)),
    });
    const view = scannerBookView(scanner.books, set);
    const limits = { maxBookAgeMs: MAX_AGE_MS, minEdge: ZERO };
    const executor = new Executor({
      ledger,
      broker,
      books: view,
      limits,
      now: () => clock,
      log: silentLogger(),
      idPrefix: "live",
      convert: (request) => broker.convert(request),
      onHandoff: () => {
        if (phase !== null) phase.handed ??= performance.now();
      },
    });
    const relations = new Map(set.relations.map((r) => [r.key, r]));
    const handoffs: number[] = [];
    const phases: TimedPhases[] = [];
    const decisions: number[] = [];
    const bare: number[] = [];
    const probeSql = probe ?? db.sql;
    for (const event of scenario.events) {
      if (event.receivedAt > clock) {
        scanner.evaluatePending();
        for (const episode of opened.splice(0)) {
          const relation = relations.get(episode.relationKey)!;
          if (setup.floorOnly !== undefined) {
            const at = performance.now();
            if (floorJournal !== null) {
              floorJournal.append([{ request: FLOOR_INTENT, at: Date.now() }]);
              floorJournal.clear();
            } else await probeSql`insert into bench_probe (at) values (now())`;
            handoffs.push(performance.now() - at);
            continue;
          }
          // The playbook alone, on the same books (what the executor adds to the ledger's commit).
          let started = performance.now();
          decide(episode.peakPlan, { relationKey: relation.key, at: clock, books: view, limits });
          decisions.push(performance.now() - started);
          const timed: Phases = {
            received: performance.now(),
            asked: null,
            committed: null,
            handed: null,
          };
          phase = timed;
          const result = await executor.trade(episode.peakPlan, { relation, at: clock });
          phase = null;
          await executor.flush();
          started = performance.now();
          await probeSql`insert into bench_probe (at) values (now())`;
          bare.push(performance.now() - started);
          if (result.handoffMs !== null) {
            handoffs.push(result.handoffMs);
            phases.push({ ...timed, bareMs: bare.at(-1)!, handoffMs: result.handoffMs });
          }
        }
        clock = event.receivedAt;
      }
      scanner.push(event);
      broker.onBookEvent(event);
      broker.onBookEvent(mirrorEvent(event, set.marketOf(event.tokenId)!.noTokenId));
    }
    executor.close();
    // A running collector decides warm: the first decisions of a process compile the playbook,
    // the risk and ledger paths and prepare the intent's statement. They are shown apart.
    const cold = handoffs.splice(0, Math.min(WARMUP_DECISIONS, Math.floor(handoffs.length / 4)));
    phases.splice(0, cold.length);
    return {
      p50: percentile(handoffs, 50),
      p99: percentile(handoffs, 99),
      n: handoffs.length,
      coldN: cold.length,
      coldMax: Math.max(0, ...cold),
      decideP50: percentile(decisions, 50),
      decideP99: percentile(decisions, 99),
      bareP50: percentile(bare, 50),
      bareP99: percentile(bare, 99),
      slowest: phases.toSorted((a, b) => b.handoffMs - a.handoffMs).slice(0, SLOWEST_SHOWN),
      medianPhases: medianPhases(phases),
    };
  } finally {
    probe?.release();
    floorJournal?.close();
    await ledger.intents.close();
    await db.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

/** What the journal floor writes: an intent's line of the usual length. */
const FLOOR_INTENT = orderRequest("live-mj3k2x1a-1", {
  tokenId: "71321045679252212594626385532706912750332728571942532289631379312455583992563",
  price: "0.42",
  size: "12.37",
});

/** Instants (performance.now()) of one decision, and its bare insert right after. */
interface Phases {
  readonly received: number;
  asked: number | null;
  committed: number | null;
  handed: number | null;
}
type TimedPhases = Phases & { readonly bareMs: number; readonly handoffMs: number };

/** The slowest warm decisions shown phase by phase. */
const SLOWEST_SHOWN = 5;

/** ms spent: playbook and order built, the intent's commit, from the commit to the broker. */
function spans(p: Phases): [number, number, number] {
  const asked = p.asked ?? NaN;
  const committed = p.committed ?? NaN;
  return [asked - p.received, committed - asked, (p.handed ?? NaN) - committed];
}

function medianPhases(phases: readonly Phases[]): [number, number, number] {
  const all = phases.map(spans);
  return [0, 1, 2].map((i) => percentile(all.map((s) => s[i]!), 50)) as [number, number, number];
}

function phaseText([decide, commit, hand]: readonly number[]): string {
  return `playbook ${decide!.toFixed(2)} + intent made durable ${commit!.toFixed(2)} + to broker ${
    hand!.toFixed(2)
  }`;
}

function phaseLines(name: string, r: Awaited<ReturnType<typeof decisionBench>>): string[] {
  return [
    `  ${name}, median phases (ms): ${phaseText(r.medianPhases)}; the ${r.slowest.length} slowest:`,
    ...r.slowest.map((p) =>
      `    ${p.handoffMs.toFixed(2)} ms = ${phaseText(spans(p))}; the bare insert after it ${
        p.bareMs.toFixed(2)
      } ms`
    ),
  ];
}

function decisionLine(name: string, r: Awaited<ReturnType<typeof decisionBench>>): string {
  return `decision as live, ${name}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms ` +
    `over ${r.n} warm decisions (the first ${r.coldN}, warming up: worst ${
      r.coldMax.toFixed(2)
    } ms); baseline (a bare insert committed, same run): p50 ${r.bareP50.toFixed(2)} ms, p99 ${
      r.bareP99.toFixed(2)
    } ms; the playbook alone: p50 ${r.decideP50.toFixed(3)} ms, p99 ${r.decideP99.toFixed(3)} ms`;
}

/** The local server's data directory (null: a remote server, or not a superuser). */
async function localDataDirectory(): Promise<string | null> {
  const url = new URL(TEST_DATABASE_URL);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return null;
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ data_directory: string }[]>`show data_directory`;
    return row?.data_directory ?? null;
  } catch {
    return null;
  } finally {
    await sql.end();
  }
}

/** 2: a venue-day-shaped stream, mostly quiet. */
async function throughputBench() {
  const scenario = plantScenario({
    seed: 9,
    depth: 15,
    quietGroups: 200,
    durationsMs: [1200],
    quietMs: 20_000,
    noiseMs: BENCH_SHORT ? 0.5 : 0.2,
  });
  const { run, ms } = await paperRun(scenario, 100);
  const rate = run.events / (ms / 1000);
  return {
    events: run.events,
    ms,
    rate,
    minutes: DAY_EVENTS / rate / 60,
    trades: run.trades.length,
  };
}

const watch = await watchHostLoad();
const live = await decisionBench({ backend: "server", dedicated: false, journal: true });
const dedicated = await decisionBench({ backend: "server", dedicated: true });
const shared = await decisionBench({ backend: "server", dedicated: false });
const floor = await decisionBench({ backend: "server", dedicated: true, floorOnly: "insert" });
const journalFloor = await decisionBench({
  backend: "server",
  dedicated: false,
  floorOnly: "journal",
});
const flush = await diskFlush({ near: await localDataDirectory() });
const embedded = await decisionBench({ backend: "embedded", dedicated: false });
const planted = await plantedBench();
const day = await throughputBench();
const lines = [
  `decision latency: plan received → first order handed to the broker, its intent durable ` +
  `first (flushed to the journal, or committed in one statement); an idle ledger`,
  decisionLine("intents through the journal, stored in PostgreSQL behind it (live default)", live),
  decisionLine("PostgreSQL, intents on a connection of their own", dedicated),
  decisionLine("PostgreSQL, intents on the shared pool", shared),
  decisionLine("embedded PGlite (one session, fsync off)", embedded),
  ...phaseLines("intents through the journal", live),
  ...phaseLines("PostgreSQL, intents on a connection of their own", dedicated),
  `  the floor at the decision's moment (the same replay, no trade, where each decision would ` +
  `be): a bare insert committed: p50 ${floor.p50.toFixed(2)} ms, p99 ${
    floor.p99.toFixed(2)
  } ms; a journal line flushed: p50 ${journalFloor.p50.toFixed(2)} ms, p99 ${
    journalFloor.p99.toFixed(2)
  } ms; over ${floor.n}`,
  `  the disk's own flush (an 8 kB write + fdatasync, ${flush.rounds} times, ${flush.where}): ` +
  `p50 ${flush.p50.toFixed(2)} ms, p99 ${flush.p99.toFixed(2)} ms, p99.9 ${
    flush.p999.toFixed(2)
  } ms, max ${flush.max.toFixed(2)} ms; no durable write waits less`,
  `decision in the compressed replay (behind the previous trade's bookings, shared pool): p50 ${
    planted.p50.toFixed(2)
  } ms, p99 ${planted.p99.toFixed(2)} ms over ${planted.decisions} decisions; the ledger's ` +
  `intent alone, same database: p50 ${planted.intentP50.toFixed(2)} ms, p99 ${
    planted.intentP99.toFixed(2)
  } ms`,
  `paper trading: ${day.events} events in ${(day.ms / 1000).toFixed(2)} s = ${
    Math.round(day.rate)
  }/s (${day.trades} episodes traded); a venue day (${DAY_EVENTS} events) ≈ ${
    day.minutes.toFixed(1)
  } min, measured on ${((day.events / DAY_EVENTS) * 100).toFixed(2)}% of a day and scaled`,
  `planted P&L: ${planted.exact} of ${planted.total} episodes exact to 1e-8; ${planted.decoysTraded} decoys traded`,
];
const targets = [
  atMost("decision p99", live.p99, 5, " ms"),
  atMost("paper trading a venue day", day.minutes, 10, " min"),
  atLeast("planted P&L exact", planted.exact, planted.total),
];
lines.push(...(await watch.stop()));
for (const line of [...lines, ...targets.map((t) => t.line), verdictLine(targets)]) {
  printText("stdout", line);
}
printText(
  "stdout",
  `execution: ${live.p99.toFixed(2)} ms decision p99, ${
    day.minutes.toFixed(1)
  } min per venue day, ${planted.exact} of ${planted.total} planted P&L exact`,
);
if (targets.some(missed)) Deno.exit(1);
