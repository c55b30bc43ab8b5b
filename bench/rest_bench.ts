/**
 * REST collectors benchmark: a simulator with the venue's rate limits and 50,000 markets
 * (~100,000 tokens), a fresh schema on the local PostgreSQL. Times one full prices cycle and one
 * full books cycle (peak RSS sampled) against a bare loop of `fetch` calls over the same pages
 * and chunks (same client-side budget, no parsing, no writing), then estimates rows and bytes
 * per day. The schema is dropped at the end.
 *
 * @example
 * ```ts ignore
 * import { runRestBench } from "./rest_bench.ts";
 * for (const line of await runRestBench()) console.log(line);
 * ```
 */
import postgres from "postgres";
import { setTimeout as delay } from "node:timers/promises";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { loadConfig } from "../runtime/config.ts";
import { printText, silentLogger } from "../runtime/log.ts";
import { createHttpClient } from "../polymarket/http.ts";
import { createRateLimiter, type RateLimiter } from "../polymarket/rate_limiter.ts";
import { startSimulator } from "../simulator/server.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { runPricesCollector } from "../collectors/prices.ts";
import { runBooksCollector } from "../collectors/books.ts";

const DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/test";
const MARKETS = 50_000;
const CHUNK = 100;
const MB = 1024 * 1024;

/** Runs the benchmark and returns the report lines. */
export async function runRestBench(): Promise<string[]> {
  const lines: string[] = [];
  const sim = await startSimulator({
    markets: MARKETS,
    seed: 5,
    lifecycleRate: 0,
    rateLimits: true,
  });
  sim.control.pause();
  const schema = `bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  const log = silentLogger();
  const db = await openDatabase({ url: DATABASE_URL, dataDir: "", schema, poolSize: 4 }, {
    log,
    signal: new AbortController().signal,
  });
  let peak = 0;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 25);
  try {
    await migrate(db.sql, { log, timescale: "auto" });
    const config = loadConfig({
      DATABASE_URL,
      PMCOLLECT_GAMMA_URL: sim.url,
      PMCOLLECT_CLOB_URL: sim.url,
      PMCOLLECT_BOOKS_INTERVAL_S: "3600",
      PMCOLLECT_BOOKS_CHUNK: String(CHUNK),
    });
    const open = sim.universe.markets.filter((m) => m.status === "open");
    const tokens = open.flatMap((m) =>
      m.tokenIds.map((tokenId) => ({ tokenId, conditionId: m.conditionId, marketId: m.id }))
    );
    lines.push(`universe: ${open.length} open markets, ${tokens.length} tokens`);
    const deps = (now: () => number): CollectorDeps => ({
      config,
      sql: db.sql,
      log,
      now,
      activeTokens: createActiveTokens(),
      http: createHttpClient({
        baseUrls: { gamma: sim.url, clob: sim.url, dataApi: sim.url },
        limiter: createRateLimiter(),
        log,
      }),
    });

    peak = 0;
    const bareGamma = await timed(() => barePages(sim.url, createRateLimiter()));
    lines.push(`bare fetch walk peak RSS ${(peak / MB).toFixed(0)} MB (simulator in-process)`);
    await delay(10_500); // let the simulator's 10 s windows drain between phases
    peak = 0;
    const pricesBefore = Deno.memoryUsage().rss;
    // A clock 100 ms before a minute boundary, so the prices cycle starts at once.
    const shift = 60_000 - (Date.now() % 60_000) - 100;
    const pricesDeps = deps(() => Date.now() + shift);
    const prices = await timed(() =>
      oneCycle(db.sql, "prices", (s) => runPricesCollector(pricesDeps, s))
    );
    const pricesPeak = peak;
    lines.push(
      `prices cycle: ${sec(prices.ms)} (bare fetch walk ${sec(bareGamma.ms)}, ratio ${
        (prices.ms / bareGamma.ms).toFixed(2)
      }), peak RSS ${(pricesPeak / MB).toFixed(0)} MB (${
        (pricesBefore / MB).toFixed(0)
      } MB before the cycle)`,
    );
    const priceBytes = await relationBytes(db.sql, "price_snapshots");
    await delay(10_500);
    const bareBooks = await timed(() =>
      bareChunks(sim.url, tokens.map((t) => t.tokenId), createRateLimiter())
    );
    await delay(10_500);
    peak = 0;
    const booksBefore = Deno.memoryUsage().rss;
    const booksDeps = deps(Date.now);
    booksDeps.activeTokens.publish(tokens);
    const books = await timed(() =>
      oneCycle(db.sql, "books", (s) => runBooksCollector(booksDeps, s))
    );
    lines.push(
      `books cycle: ${sec(books.ms)} (bare fetch chunks ${sec(bareBooks.ms)}, ratio ${
        (books.ms / bareBooks.ms).toFixed(2)
      }), peak RSS ${(peak / MB).toFixed(0)} MB (${(booksBefore / MB).toFixed(0)} MB before)`,
    );
    const bookBytes = await relationBytes(db.sql, "book_snapshots");
    for (
      const [name, perToken, bytes, perDay] of [
        ["prices", 1, priceBytes, 1440],
        ["books", 1, bookBytes, 288],
      ] as const
    ) {
      const perRow = bytes / tokens.length / perToken;
      for (
        const [label, n] of [["embedded 300 markets", 600], [
          "full universe",
          tokens.length,
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
    return lines;
  } finally {
    clearInterval(sampler);
    await db.close();
    await admin.unsafe(`drop schema ${schema} cascade`);
    await admin.end();
    await sim.close();
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

/** Runs a collector until its first collector_runs row is written, then aborts it. */
async function oneCycle(sql: postgres.Sql, task: string, run: (s: AbortSignal) => Promise<void>) {
  const controller = new AbortController();
  const running = run(controller.signal).catch((err) => {
    if (!controller.signal.aborted) throw err;
  });
  for (;;) {
    const rows = await sql`select status from collector_runs where collector = ${task}`;
    if (rows.length > 0) break;
    await delay(50);
  }
  controller.abort(new Error("bench over"));
  await running;
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

async function relationBytes(sql: postgres.Sql, table: string): Promise<number> {
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
  for (const line of await runRestBench()) printText("stdout", line);
}
