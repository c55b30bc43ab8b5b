/**
 * REST collectors benchmark: a simulator with the venue's rate limits and 50,000 markets
 * (~100,000 tokens), run as a separate `pmcollect simulate` process so that the RSS figures
 * below are the collectors' alone, and a fresh schema on the local PostgreSQL. One markets
 * cycle reads the token universe over HTTP (as the daemon does); then one full prices cycle and
 * one full books cycle are timed against a bare loop of `fetch` calls over the same pages and
 * chunks (same client-side budget, no parsing, no writing). Both sides use the daemon's
 * budgets: the documented ones scaled by PMCOLLECT_RATE_FRACTION (default 0.5), as `pmcollect
 * run` does. With this process's peak RSS
 * sampled during each and its RSS just before each (runtime, libraries and whatever the earlier
 * phases left behind; each cycle runs before its bare baseline so the baseline's garbage does not
 * count, and with `--v8-flags=--expose-gc` a full GC precedes each phase). Rows and bytes per day
 * are estimated at the end; the RSS targets fail the bench when missed. The schema is dropped
 * and the simulator killed at the end, on failure, and on SIGINT/SIGTERM.
 *
 * @example
 * ```ts ignore
 * import { runRestBench } from "./rest_bench.ts";
 * const { lines, targets } = await runRestBench();
 * ```
 */
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "../tests/_db.ts";
import { migrate } from "../db/migrate.ts";
import { loadConfig } from "../runtime/config.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { createHttpClient } from "../polymarket/http.ts";
import {
  type Budget,
  createRateLimiter,
  type EndpointFamily,
  type RateLimiter,
  scaleBudgets,
} from "../polymarket/rate_limiter.ts";
import { atMost, BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { runMarketsCollector } from "../collectors/markets.ts";
import { runPricesCollector } from "../collectors/prices.ts";
import { runBooksCollector } from "../collectors/books.ts";

const MARKETS = BENCH_SHORT ? 5_000 : 50_000;
const CHUNK = 100;
const MB = 1024 * 1024;
/** Target of the issue for the collector process during a full prices or books cycle. */
const RSS_TARGET_MB = 250;
/** The simulator's rate-limit windows are 10 s; phases wait this long for them to drain. */
const DRAIN_MS = 10_500;
const START_TIMEOUT_MS = 180_000;

/** Runs the benchmark and returns the report lines and targets. */
export async function runRestBench(): Promise<{ lines: string[]; targets: TargetCheck[] }> {
  const lines: string[] = [];
  const targets: TargetCheck[] = [];
  const startRss = Deno.memoryUsage().rss;
  const cleanup = createCleanup();
  const onSignal = () => {
    void cleanup.run().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const sim = await spawnSimulator();
    cleanup.push(() => sim.close());
    await control(sim.url, "pause");
    const log = silentLogger();
    const db = await createTestDatabase("server");
    cleanup.push(() => db.dispose());
    const mem = createSampler();
    cleanup.push(() => mem.stop());
    await migrate(db.sql, { log, timescale: "auto" });
    const config = loadConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      PMCOLLECT_GAMMA_URL: sim.url,
      PMCOLLECT_CLOB_URL: sim.url,
      PMCOLLECT_BOOKS_INTERVAL_S: "3600",
      PMCOLLECT_BOOKS_CHUNK: String(CHUNK),
    });
    // The daemon's budgets (cli/run_command.ts), for the collectors and the baselines alike.
    const budgets = scaleBudgets(config.api.rateFraction);
    const limiter = () => createRateLimiter({ budgets });
    const activeTokens = createActiveTokens();
    const deps = (now: () => number): CollectorDeps => ({
      config,
      sql: db.sql,
      log,
      now,
      activeTokens,
      http: createHttpClient({
        baseUrls: { gamma: sim.url, clob: sim.url, dataApi: sim.url },
        limiter: limiter(),
        log,
      }),
    });
    lines.push(
      `simulator: separate process (pid ${sim.pid}); bench process RSS ${mb(startRss)} at start, ${
        mb(Deno.memoryUsage().rss)
      } after connecting and migrating; ${
        forceGc === undefined
          ? "no forced GC between phases (--v8-flags=--expose-gc forces one)"
          : "a full GC is forced before each phase"
      }`,
      `budgets: the daemon's, PMCOLLECT_RATE_FRACTION=${config.api.rateFraction} of the ` +
        `documented ones (${perTen(budgets, "gamma:markets")} markets pages, ` +
        `${perTen(budgets, "clob:books")} books requests per 10 s), collectors and baselines alike`,
    );

    mem.reset();
    // A clock 100 ms before a minute boundary, so the prices cycle starts at once.
    const shift = 60_000 - (Date.now() % 60_000) - 100;
    const pricesDeps = deps(() => Date.now() + shift);
    const prices = await timed(() =>
      oneCycle(db.sql, "prices", (s) => runPricesCollector(pricesDeps, s))
    );
    const pricesMem = mem.read();
    await delay(DRAIN_MS);
    mem.reset();
    const bareGamma = await timed(() => barePages(sim.url, limiter()));
    const bareGammaMem = mem.read();

    const priceBytes = await relationBytes(db.sql, "price_snapshot_data");
    const priceRows = await rowCount(db.sql, "price_snapshots");
    lines.push(
      `prices cycle: ${sec(prices.ms)} (bare fetch walk ${sec(bareGamma.ms)}, ${bareGamma.value} ` +
        `pages, ratio ${
          (prices.ms / bareGamma.ms).toFixed(2)
        }), ${priceRows} rows, status ${prices.value}`,
      `prices cycle RSS: peak ${mb(pricesMem.peakRss)}, ${mb(pricesMem.beforeRss)} before ` +
        `(+${mb(pricesMem.peakRss - pricesMem.beforeRss)}), peak V8 heap used ` +
        `${mb(pricesMem.peakHeap)}; bare walk peak RSS ${mb(bareGammaMem.peakRss)}`,
    );
    targets.push(atMost("prices cycle peak RSS", toMb(pricesMem.peakRss), RSS_TARGET_MB, " MB"));
    await delay(DRAIN_MS);

    // The token universe over HTTP, as in the daemon: one markets cycle publishes it.
    mem.reset();
    const markets = await timed(() =>
      oneCycle(db.sql, "markets", (s) => runMarketsCollector(deps(Date.now), s))
    );
    const marketsMem = mem.read();
    const tokenIds = [...activeTokens.current().keys()];
    lines.push(
      `universe (one markets cycle, ${sec(markets.ms)}, peak RSS ${
        mb(marketsMem.peakRss)
      }): ${tokenIds.length} active tokens`,
    );
    await delay(DRAIN_MS);

    mem.reset();
    const booksDeps = deps(Date.now);
    const books = await timed(() =>
      oneCycle(db.sql, "books", (s) => runBooksCollector(booksDeps, s))
    );
    const booksMem = mem.read();
    await delay(DRAIN_MS);
    const bareBooks = await timed(() => bareChunks(sim.url, tokenIds, limiter()));
    const bookBytes = await relationBytes(db.sql, "book_snapshot_data");
    const bookRows = await rowCount(db.sql, "book_snapshots");
    lines.push(
      `books cycle: ${sec(books.ms)} (bare fetch chunks ${sec(bareBooks.ms)}, ratio ${
        (books.ms / bareBooks.ms).toFixed(2)
      }), ${bookRows} rows, status ${books.value}`,
      `books cycle RSS: peak ${mb(booksMem.peakRss)}, ${mb(booksMem.beforeRss)} before ` +
        `(+${mb(booksMem.peakRss - booksMem.beforeRss)}), peak V8 heap used ` +
        `${mb(booksMem.peakHeap)}`,
    );
    targets.push(atMost("books cycle peak RSS", toMb(booksMem.peakRss), RSS_TARGET_MB, " MB"));
    const simPeak = await processPeakRss(sim.pid);
    if (simPeak !== null) lines.push(`simulator process peak RSS ${mb(simPeak)} (not counted)`);

    for (
      const [name, bytes, perDay] of [
        ["prices", priceBytes, 1440],
        ["books", bookBytes, 288],
      ] as const
    ) {
      const perRow = bytes / tokenIds.length;
      for (
        const [label, n] of [["embedded 300 markets", 600], [
          "full universe",
          tokenIds.length,
        ]] as const
      ) {
        const rows = n * perDay;
        lines.push(
          `${name} ${label}: ${rows.toLocaleString("en")} rows/day, ~${
            (rows * perRow / MB).toFixed(0)
          } MB/day (${perRow.toFixed(0)} B/row incl. indexes)`,
        );
      }
    }
    return { lines, targets };
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanup.run();
  }
}

/** A stack of cleanup steps run once, last pushed first; every step runs even if one fails. */
function createCleanup() {
  const steps: Array<() => unknown> = [];
  let running: Promise<void> | null = null;
  return {
    push(step: () => unknown) {
      steps.push(step);
    },
    run(): Promise<void> {
      running ??= (async () => {
        for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
          try {
            await step();
          } catch (err) {
            printText("stderr", `rest bench cleanup: ${(err as Error).message ?? String(err)}`);
          }
        }
      })();
      return running;
    },
  };
}

interface Simulator {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** Starts `pmcollect simulate` in its own process and waits for its `simulator_started` line. */
async function spawnSimulator(): Promise<Simulator> {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${root}deno.json`,
      `${root}main.ts`,
      "simulate",
      "--port",
      "0", // the OS picks a free port; the started line names it
      "--markets",
      String(MARKETS),
      "--seed",
      "5",
      "--rate-limits",
      // No automatic ticks (so no lifecycle events) after the first; paused right after start.
      "--tick-ms",
      "3600000",
    ],
    env: { PMCOLLECT_LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderrTail = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (t) => void (stderrTail = (stderrTail + t).slice(-2000)) }),
  ).catch(() => {});
  const kill = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const exited = await Promise.race([child.status.then(() => true), delay(10_000, false)]);
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
    }
    await stderrDone;
  };
  let url: string | null = null;
  let resolveStarted!: (url: string) => void;
  const started = new Promise<string>((resolve) => resolveStarted = resolve);
  // Keeps draining stdout after the started line so the simulator never blocks on a full pipe.
  const stdoutDone = (async () => {
    let pending = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += text;
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (url !== null || !line.includes("simulator_started")) continue;
        try {
          const event = JSON.parse(line) as { event?: string; url?: string };
          if (event.event === "simulator_started" && typeof event.url === "string") {
            url = event.url;
            resolveStarted(url);
          }
        } catch {
          // not a log line
        }
      }
    }
  })().catch(() => {});
  const exitedEarly = child.status.then((s) => {
    throw new Error(`simulator exited with code ${s.code} before starting: ${stderrTail}`);
  });
  const timeout = delay(START_TIMEOUT_MS).then(() => {
    throw new Error(`simulator did not start within ${START_TIMEOUT_MS / 1000} s`);
  });
  try {
    await Promise.race([started, exitedEarly, timeout]);
  } catch (err) {
    await kill();
    throw err;
  }
  exitedEarly.catch(() => {});
  timeout.catch(() => {});
  return {
    url: url!,
    pid: child.pid,
    close: async () => {
      await kill();
      await stdoutDone;
    },
  };
}

async function control(base: string, action: string): Promise<void> {
  const res = await fetch(`${base}/__control`, {
    method: "POST",
    body: JSON.stringify({ action }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator control ${action}: ${res.status} ${text}`);
}

/** V8's collector, when the bench runs with `--v8-flags=--expose-gc`. */
const forceGc = (globalThis as { gc?: () => void }).gc;

/** Samples this process's RSS and V8 heap every 25 ms; `reset()` starts a new phase. */
function createSampler() {
  let beforeRss = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = Deno.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 25);
  return {
    reset() {
      forceGc?.();
      const m = Deno.memoryUsage();
      beforeRss = peakRss = m.rss;
      peakHeap = m.heapUsed;
    },
    read() {
      sample();
      return { beforeRss, peakRss, peakHeap };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Peak resident set (VmHWM) of another process, or null where /proc is unavailable. */
async function processPeakRss(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(0)} MB`;
}

function toMb(bytes: number): number {
  return Math.round(bytes / MB);
}

function perTen(budgets: Record<EndpointFamily, Budget>, family: EndpointFamily): number {
  return budgets[family].limit * 10_000 / budgets[family].windowMs;
}

/** Runs a collector until its first collector_runs row is written, then aborts it. */
async function oneCycle(
  sql: Sql,
  task: string,
  run: (s: AbortSignal) => Promise<void>,
): Promise<string> {
  const controller = new AbortController();
  let failure: unknown = null;
  const running = run(controller.signal).catch((err) => {
    if (!controller.signal.aborted) failure = err ?? new Error(`${task} collector failed`);
  });
  try {
    for (;;) {
      if (failure !== null) throw failure;
      const [row] = await sql<{ status: string; detail: unknown }[]>`
        select status, detail from collector_runs where collector = ${task}`;
      if (row !== undefined) {
        if (row.status === "failed") {
          throw new Error(`${task} cycle failed: ${JSON.stringify(row.detail)}`);
        }
        return row.status;
      }
      await delay(50);
    }
  } finally {
    controller.abort(new Error("bench over"));
    await running;
  }
}

async function barePages(base: string, limiter: RateLimiter): Promise<number> {
  let cursor = "";
  let pages = 0;
  const signal = new AbortController().signal;
  for (;;) {
    await limiter.acquire("gamma:markets", signal);
    const after = cursor === "" ? "" : `&after_cursor=${cursor}`;
    const text = await (await fetch(`${base}/markets/keyset?closed=false&limit=1000${after}`))
      .text();
    pages++;
    cursor = /"next_cursor":"([^"]*)"/.exec(text.slice(-400))?.[1] ?? "";
    if (cursor === "") return pages;
  }
}

async function bareChunks(base: string, ids: string[], limiter: RateLimiter): Promise<number> {
  const signal = new AbortController().signal;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const body = JSON.stringify(ids.slice(next, next += CHUNK).map((token_id) => ({ token_id })));
      await limiter.acquire("clob:books", signal);
      await (await fetch(`${base}/books`, { method: "POST", body })).arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids.length;
}

async function rowCount(sql: Sql, table: string): Promise<number> {
  const [r] = await sql.unsafe<{ n: string }[]>(`select count(*)::text as n from ${table}`);
  return Number(r!.n);
}

async function relationBytes(sql: Sql, table: string): Promise<number> {
  try {
    const [r] = await sql<{ n: string }[]>`select hypertable_size(${table}::regclass)::text as n`;
    if (r !== undefined && Number(r.n) > 0) return Number(r.n);
  } catch {
    // not a hypertable (plain PostgreSQL)
  }
  const [r] = await sql<
    { n: string }[]
  >`select pg_total_relation_size(${table}::regclass)::text as n`;
  return Number(r!.n);
}

if (import.meta.main) {
  const { lines, targets } = await runRestBench();
  finishBench(lines, targets);
}
