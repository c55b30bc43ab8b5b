/**
 * Trades listener benchmark: end-to-end trade messages/s from the simulator's websocket (load
 * mode) into committed PostgreSQL rows, against the simulator's own send rate in the same run;
 * the RSS of a collector process holding 100,000 tokens over 500 connections; and a quotes
 * rows/day estimate.
 *
 * @example
 * ```ts
 * import { runTradesBench } from "./trades_bench.ts";
 * for (const line of await runTradesBench()) console.log(line);
 * ```
 */
import { RUNTIME_V8_FLAGS } from "../tests/_runtime_flags.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startSimulator } from "../simulator/server.ts";
import { setup, startCollector, tokensOf, until } from "../tests/_trades_harness.ts";
import { printText } from "../runtime/log.ts";
import { TEST_DATABASE_URL } from "../tests/_db.ts";

const ENTRY = fromFileUrl(new URL("../tests/_trades_entry.ts", import.meta.url));

/** Runs both measurements; returns one line per figure. */
export async function runTradesBench(): Promise<string[]> {
  return [...(await throughput()), ...(await rss())];
}

async function throughput(): Promise<string[]> {
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
    await sleep(5000);
    const quotes = c.queue.stats.quotesInserted;
    const tokens = open.length * 2;
    const start = performance.now();
    const sent0 = sim.control.sentTrades();
    const rows0 = c.queue.stats.tradesInserted;
    sim.control.load(true);
    await sleep(10_000);
    sim.control.load(false);
    const sent = sim.control.sentTrades() - sent0;
    const sendSeconds = (performance.now() - start) / 1000;
    await until(() => c.queue.stats.tradesInserted - rows0 >= sent, 120_000);
    const commitSeconds = (performance.now() - start) / 1000;
    await c.stop();
    const perTokenDay = (quotes / 5 / tokens) * 86_400;
    return [
      `trades: simulator sent ${sent} trades in ${sendSeconds.toFixed(1)} s = ${
        Math.round(sent / sendSeconds)
      } msg/s`,
      `trades: committed ${sent} rows to PostgreSQL in ${commitSeconds.toFixed(1)} s = ${
        Math.round(sent / commitSeconds)
      } rows/s end-to-end (target ≥ 20,000)`,
      `quotes: ${(quotes / 5).toFixed(1)} rows/s over ${tokens} tokens at simulator activity ` +
      `≈ ${Math.round(perTokenDay)} rows/token/day; cap at 1 s interval = 86,400 rows/token/day`,
    ];
  } finally {
    await sim.close();
    await t.dispose();
  }
}

async function rss(): Promise<string[]> {
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
    const ids = sim.universe.markets.flatMap((m) => [...m.tokenIds]).slice(0, 100_000);
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
    await until(() => sim.control.connectionCount() >= 500, 60_000);
    await sleep(10_000);
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "0");
    child.kill("SIGTERM");
    await child.status;
    return [
      `rss: ${ids.length} tokens over ${sim.control.connectionCount() || 500} connections: ` +
      `${(kb / 1024).toFixed(0)} MB (peak ${(hwm / 1024).toFixed(0)} MB; target ≤ 300 MB)`,
    ];
  } finally {
    await sim.close();
    await t.dispose();
  }
}

if (import.meta.main) {
  for (const line of await runTradesBench()) printText("stdout", line);
}
