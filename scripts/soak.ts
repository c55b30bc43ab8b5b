/**
 * Soak run (not part of CI): the daemon (`main.ts run`, subprocess) against an in-process
 * simulator with faults switched on in rotation (5xx bursts, 429s, maintenance, socket drops,
 * stalls, malformed elements) and a fresh schema on PostgreSQL (DATABASE_URL, else
 * TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test). Samples the daemon's RSS
 * every 5 s and ends with a report: RSS over time, restarts, rows per table, gaps by cause,
 * rejects, and trades stored versus trades the simulator streamed.
 *
 * @example
 * ```sh
 * deno task soak -- --minutes 10 [--markets 200] [--keep]
 * ```
 */
import postgres from "postgres";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import { printText } from "../runtime/log.ts";
import {
  countRows,
  daemonEnv,
  freePort,
  metricValue,
  settle,
  spawnDaemon,
} from "../tests/_e2e_harness.ts";

const TABLES = [
  "events",
  "markets",
  "tokens",
  "price_snapshots",
  "book_snapshots",
  "trades",
  "quotes",
  "resolutions",
  "collector_runs",
  "gaps",
  "rejects",
];
const TASKS = ["markets", "prices", "books", "trades", "resolutions"];
const FAULT_EVERY_MS = 30_000;
const SAMPLE_EVERY_MS = 5_000;

const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const { values } = parseArgs({
  args,
  options: {
    minutes: { type: "string", default: "10" },
    markets: { type: "string", default: "200" },
    keep: { type: "boolean", default: false },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new RangeError(`--minutes must be a positive number: ${values.minutes}`);
const print = (line: string) => printText("stdout", line);
const base = Deno.env.get("DATABASE_URL") ?? Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";

const schema = `soak_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = postgres(base, { max: 1, onnotice: () => {} });
await admin.unsafe(`create schema ${schema}`);
const sql = postgres(base, { max: 2, onnotice: () => {}, connection: { search_path: schema } });
const url = new URL(base);
url.searchParams.set("options", `-c search_path=${schema}`);
const sim = await startSimulator({ markets: Number(values.markets), seed: 42 });
const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_soak_" });
const daemon = spawnDaemon(daemonEnv({
  databaseUrl: url.toString(),
  sim,
  dataDir,
  healthPort: freePort(),
  settings: {
    PMCOLLECT_MARKETS_INTERVAL_S: "20",
    PMCOLLECT_PRICES_INTERVAL_S: "10",
    PMCOLLECT_BOOKS_INTERVAL_S: "20",
    PMCOLLECT_RESOLUTIONS_INTERVAL_S: "20",
    PMCOLLECT_FLUSH_MS: "500",
    PMCOLLECT_WS_SILENCE_MS: "10000",
    PMCOLLECT_WS_SNAPSHOT_DEADLINE_MS: "5000",
  },
}));

const faults: [string, () => void][] = [
  ["5xx burst (all, 5 s)", () => sim.control.failFor(5_000, { status: 503 })],
  ["429 x20", () => sim.control.rateLimitNext(20, { retryAfterSeconds: 1 })],
  ["maintenance (clob, 10 s)", () => sim.control.maintenance(10_000, "clob")],
  ["socket drop (half)", () => void sim.control.dropSockets(0.5)],
  ["stall (all, 15 s)", () => {
    sim.control.stall(true);
    setTimeout(() => sim.control.stall(false), 15_000);
  }],
  ["malformed (3 pages, 3 frames)", () => sim.control.malformed({ pages: 3, frames: 3 })],
];

const rss: { atS: number; mb: number }[] = [];
let lastMetrics = "";
const started = Date.now();
const endAt = started + minutes * 60_000;
let nextFault = started + FAULT_EVERY_MS;
let faultIndex = 0;
try {
  await daemon.waitFor((e) => e.event === "collecting", 60_000);
  print(`soak: ${minutes} min, ${values.markets} markets, schema ${schema}, pid ${daemon.pid}`);
  while (Date.now() < endAt) {
    await sleep(SAMPLE_EVERY_MS);
    try {
      lastMetrics = (await daemon.get("/metrics")).body;
      const bytes = metricValue(lastMetrics, "process_resident_memory_bytes");
      if (bytes !== undefined) {
        rss.push({ atS: Math.round((Date.now() - started) / 1000), mb: bytes / 2 ** 20 });
      }
    } catch (err) {
      print(`soak: /metrics failed: ${String(err)}`);
    }
    if (Date.now() >= nextFault) {
      const [name, inject] = faults[faultIndex++ % faults.length]!;
      inject();
      print(`soak: t=${Math.round((Date.now() - started) / 1000)}s fault ${name}`);
      nextFault += FAULT_EVERY_MS;
    }
  }
  sim.control.reset();
  sim.control.pause();
  const sent = sim.control.sentTrades();
  await settle(() => countRows(sql, "trades"), { quietMs: 3_000, maxMs: 60_000 });
  const stopped = await daemon.stop("SIGTERM");
  await report({ sent, exitCode: stopped.code, exitMs: stopped.ms });
} finally {
  await daemon.stop("SIGKILL").catch(() => {});
  await sim.close();
  await sql.end({ timeout: 5 });
  if (!values.keep) await admin.unsafe(`drop schema ${schema} cascade`);
  await admin.end({ timeout: 5 });
  await Deno.remove(dataDir, { recursive: true });
}

async function report(o: { sent: number; exitCode: number; exitMs: number }): Promise<void> {
  print(`\n== soak report (${minutes} min) ==`);
  print(`exit: code ${o.exitCode} after ${Math.round(o.exitMs)} ms`);
  const mbs = rss.map((s) => s.mb);
  const f = (n: number) => n.toFixed(1);
  if (mbs.length > 0) {
    print(
      `RSS MB: min ${f(Math.min(...mbs))} max ${f(Math.max(...mbs))} last ${f(mbs.at(-1)!)}`,
    );
    const perMinute = rss.filter((_, i) => i % 12 === 0 || i === rss.length - 1);
    print(`RSS over time: ${perMinute.map((s) => `${s.atS}s=${f(s.mb)}`).join(" ")}`);
  }
  print(
    `restarts: ${
      TASKS.map((t) => `${t}=${metricValue(lastMetrics, `pmcollect_task_restarts{task="${t}"}`)}`)
        .join(" ")
    }`,
  );
  print("rows:");
  for (const t of TABLES) print(`  ${t.padEnd(16)} ${await countRows(sql, t)}`);
  print("gaps by cause:");
  const gaps = await sql`select collector, cause, count(*)::int as n from gaps
    group by collector, cause order by collector, cause`;
  for (const g of gaps) print(`  ${g.collector}/${g.cause}: ${g.n}`);
  print("rejects:");
  const rejects = await sql`select source, reason, sum(occurrences)::int as n from rejects
    group by source, reason order by source, reason`;
  for (const r of rejects) print(`  ${r.source} ${r.reason}: ${r.n}`);
  const stored = await countRows(sql, "trades");
  const [dups] = await sql`select count(*)::int - count(distinct tx_hash)::int as n from trades`;
  print(
    `trades: stored ${stored} / sent ${o.sent} = ${
      (stored / Math.max(1, o.sent)).toFixed(4)
    } (duplicate tx hashes: ${dups?.n})`,
  );
}
