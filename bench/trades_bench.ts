/**
 * Trades listener benchmark: end-to-end trade messages/s from the simulator's websocket (load
 * mode) into committed PostgreSQL rows, counted by reading the table back, against the
 * simulator's own send rate in the same run (the baseline ratio); the RSS of a collector process
 * holding 100,000 tokens, with the connections counted while they are open; and a quotes
 * rows/day estimate from the rows read back.
 *
 * @example
 * ```ts ignore
 * import { runTradesBench } from "./trades_bench.ts";
 * const { lines, targets } = await runTradesBench();
 * ```
 */
import { RUNTIME_V8_FLAGS } from "../tests/_runtime_flags.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startSimulator } from "../simulator/server.ts";
import { setup, startCollector, tokensOf, until } from "../tests/_trades_harness.ts";
import type postgres from "postgres";
import { TEST_DATABASE_URL } from "../tests/_db.ts";
import { atLeast, atMost, BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";

const ENTRY = fromFileUrl(new URL("../tests/_trades_entry.ts", import.meta.url));

const LOAD_MS = BENCH_SHORT ? 3000 : 10_000;
const RSS_TOKENS = BENCH_SHORT ? 20_000 : 100_000;

interface Part {
  lines: string[];
  targets: TargetCheck[];
}

/** Runs both measurements; returns one line per figure and the targets. */
export async function runTradesBench(): Promise<Part> {
  const a = await throughput();
  const b = await rss();
  return { lines: [...a.lines, ...b.lines], targets: [...a.targets, ...b.targets] };
}

async function count(sql: postgres.Sql, table: "trades" | "quotes"): Promise<number> {
  const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return row!.n;
}

async function throughput(): Promise<Part> {
  const sim = await startSimulator({ markets: 200, seed: 11, tickMs: 100, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_QUOTES_INTERVAL_MS: "1000",
  });
  try {
    const open = sim.universe.markets.filter((m) => m.status === "open");
    t.activeTokens.publish(tokensOf(open));
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.pool.connections.every((x) => x.state === "open"), 5000);
    // Normal activity first, for the quotes estimate.
    const quotes0 = await count(t.db.sql, "quotes");
    await sleep(5000);
    const quotes = (await count(t.db.sql, "quotes")) - quotes0;
    const tokens = open.length * 2;
    // A quiet start: the venue paused until everything it sent so far is stored.
    sim.control.pause();
    await until(async () => (await count(t.db.sql, "trades")) >= sim.control.sentTrades(), 30_000);
    const rows0 = await count(t.db.sql, "trades");
    const sent0 = sim.control.sentTrades();
    const start = performance.now();
    sim.control.resume();
    sim.control.load(true);
    await sleep(LOAD_MS);
    sim.control.load(false);
    sim.control.pause();
    const sent = sim.control.sentTrades() - sent0;
    const sendSeconds = (performance.now() - start) / 1000;
    // Poll the table itself; the time of the last poll that saw every row is the commit time.
    let stored = 0;
    let commitSeconds = NaN;
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      stored = (await count(t.db.sql, "trades")) - rows0;
      commitSeconds = (performance.now() - start) / 1000;
      if (stored >= sent) break;
      await sleep(50);
    }
    await c.stop();
    const perTokenDay = (quotes / 5 / tokens) * 86_400;
    const sendRate = sent / sendSeconds;
    const commitRate = stored / commitSeconds;
    return {
      lines: [
        `trades: simulator sent ${sent} trades in ${sendSeconds.toFixed(1)} s = ${
          Math.round(sendRate)
        } msg/s (baseline)`,
        `trades: ${stored} rows read back from PostgreSQL ${commitSeconds.toFixed(1)} s after ` +
        `the load started = ${Math.round(commitRate)} rows/s end-to-end; ratio to the send rate ` +
        `${(commitRate / sendRate).toFixed(2)}`,
        `quotes: ${(quotes / 5).toFixed(1)} rows/s read back over ${tokens} tokens at simulator ` +
        `activity ≈ ${Math.round(perTokenDay)} rows/token/day; cap at 1 s interval = 86,400 ` +
        `rows/token/day`,
      ],
      targets: [
        atLeast("trades stored of sent", stored, sent),
        atMost("trades stored of sent", stored, sent),
        atLeast("trades end-to-end", Math.round(commitRate), 20_000, " rows/s"),
      ],
    };
  } finally {
    await sim.close();
    await t.dispose();
  }
}

async function rss(): Promise<Part> {
  const sim = await startSimulator({
    markets: 50_000,
    seed: 12,
    tickMs: 1000,
    lifecycleRate: 0,
    wsIdleTimeoutMs: 60_000,
  });
  const t = await setup({});
  const file = `${t.dataDir}/tokens.json`;
  try {
    const ids = sim.universe.markets.flatMap((m) => [...m.tokenIds]).slice(0, RSS_TOKENS);
    await Deno.writeTextFile(file, JSON.stringify(ids));
    const child = new Deno.Command(Deno.execPath(), {
      // Run the listener with the same V8 flags as `deno task start` / the compiled binary.
      args: ["run", "-A", "--quiet", ...RUNTIME_V8_FLAGS, ENTRY],
      env: {
        DATABASE_URL: TEST_DATABASE_URL,
        TEST_SCHEMA: t.db.schema,
        PMCOLLECT_DATA_DIR: t.dataDir,
        PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
        PMCOLLECT_WS_CONNECT_STAGGER_MS: "5",
        TRADES_TOKENS_FILE: file,
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // 200 tokens per connection: the default PMCOLLECT_WS_TOKENS_PER_CONNECTION.
    const expected = Math.ceil(ids.length / 200);
    await until(() => sim.control.connectionCount() >= expected, 60_000);
    await sleep(BENCH_SHORT ? 3000 : 10_000);
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    // Counted now, while the child still holds them (after the kill it reads 0).
    const connections = sim.control.connectionCount();
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "0");
    child.kill("SIGTERM");
    await child.status;
    const mb = Math.round(kb / 1024);
    return {
      lines: [
        `rss: ${ids.length} tokens over ${connections} open connections: ${mb} MB ` +
        `(peak ${(hwm / 1024).toFixed(0)} MB)`,
      ],
      targets: [atMost(`rss at ${ids.length} tokens`, mb, 300, " MB")],
    };
  } finally {
    await sim.close();
    await t.dispose();
  }
}

if (import.meta.main) {
  const { lines, targets } = await runTradesBench();
  finishBench(lines, targets);
}
