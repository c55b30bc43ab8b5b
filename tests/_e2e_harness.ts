/**
 * Harness for the end-to-end and chaos tests: the whole daemon (`main.ts run`) as a subprocess
 * against an in-test simulator and a fresh schema on the real PostgreSQL, with its JSON log
 * lines collected, its health port chosen up front, and read-backs of what it stored next to
 * what the simulator streamed. Also used by scripts/soak.ts.
 */
import { RUNTIME_V8_FLAGS } from "./_runtime_flags.ts";
import type postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Simulator } from "../simulator/server.ts";

export { PgProxy, until } from "./_trades_harness.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));

/** Settings that shorten every cadence so a test sees several cycles in seconds. */
export const FAST_SETTINGS: Readonly<Record<string, string>> = {
  PMCOLLECT_TIMESCALE: "off",
  PMCOLLECT_MARKETS_INTERVAL_S: "2",
  PMCOLLECT_PRICES_INTERVAL_S: "2",
  PMCOLLECT_BOOKS_INTERVAL_S: "2",
  PMCOLLECT_RESOLUTIONS_INTERVAL_S: "2",
  PMCOLLECT_WS_CONNECT_STAGGER_MS: "0",
  PMCOLLECT_FLUSH_MS: "200",
  PMCOLLECT_DB_POOL_SIZE: "4",
  PMCOLLECT_DB_CONNECT_RETRY_S: "2",
  PMCOLLECT_SHUTDOWN_DEADLINE_S: "10",
};

/** A free loopback port (bound, then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The daemon's environment: every base URL at `sim`, the database, data dir and health port. */
export function daemonEnv(o: {
  databaseUrl: string;
  sim: Simulator;
  dataDir: string;
  healthPort: number;
  settings?: Record<string, string>;
}): Record<string, string> {
  return {
    NO_COLOR: "1",
    DATABASE_URL: o.databaseUrl,
    PMCOLLECT_DATA_DIR: o.dataDir,
    PMCOLLECT_HEALTH_PORT: String(o.healthPort),
    PMCOLLECT_GAMMA_URL: o.sim.url,
    PMCOLLECT_CLOB_URL: o.sim.url,
    PMCOLLECT_DATA_API_URL: o.sim.url,
    PMCOLLECT_WS_MARKET_URL: o.sim.wsUrl,
    ...FAST_SETTINGS,
    ...o.settings,
  };
}

/** `url` with its port replaced (to route the daemon through a proxy). */
export function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

/** A running `main.ts run` subprocess. */
export interface Daemon {
  readonly pid: number;
  /** Every JSON log line written so far. */
  readonly events: Record<string, unknown>[];
  readonly healthPort: number;
  /** Resolves with the first event matching `match`, or rejects after `ms`. */
  waitFor(
    match: (e: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<Record<string, unknown>>;
  /** Sends `signal` and waits for the exit; `ms` is how long the exit took. */
  stop(signal: Deno.Signal): Promise<{ code: number; ms: number; stderr: string }>;
  /** GET on the health port; returns status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
}

/** Starts `main.ts run` (with `args` after it) with `env` over the inherited environment. */
export function spawnDaemon(env: Record<string, string>, args: readonly string[] = []): Daemon {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...RUNTIME_V8_FLAGS, "--config", CONFIG, MAIN, "run", ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const events: Record<string, unknown>[] = [];
  let stderr = "";
  const pumpOut = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          events.push(JSON.parse(line));
        } catch { /* a non-JSON line is not an event */ }
      }
    }
  })();
  const pumpErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const healthPort = Number(env.PMCOLLECT_HEALTH_PORT ?? "0");
  let exited: Promise<{ code: number; stderr: string }> | null = null;
  const exit = () =>
    exited ??= (async () => {
      const status = await child.status;
      await Promise.all([pumpOut, pumpErr]);
      return { code: status.code, stderr };
    })();
  return {
    pid: child.pid,
    events,
    healthPort,
    async waitFor(match, ms) {
      const start = Date.now();
      for (;;) {
        const found = events.find(match);
        if (found !== undefined) return found;
        if (Date.now() - start > ms) {
          throw new Error(`no matching event within ${ms} ms; stderr: ${stderr.slice(-2000)}`);
        }
        await sleep(25);
      }
    },
    async stop(signal) {
      const started = performance.now();
      try {
        child.kill(signal);
      } catch { /* already exited */ }
      const { code, stderr } = await exit();
      return { code, ms: performance.now() - started, stderr };
    },
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${healthPort}${path}`);
      return { status: res.status, body: await res.text() };
    },
  };
}

/**
 * Stops `daemon` with `signal` and asserts a clean exit (code 0); a failure names the daemon's
 * stderr and its last log lines, which say why it did not exit cleanly.
 */
export async function stopCleanly(daemon: Daemon, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  const { code, stderr } = await daemon.stop(signal);
  if (code === 0) return;
  const last = daemon.events.slice(-15).map((e) => JSON.stringify(e)).join("\n");
  throw new Error(
    `pmcollect run exited ${code} after ${signal}, not 0\nstderr: ${stderr.slice(-2000)}\n` +
      `last log lines:\n${last}`,
  );
}

/** Rows in `table` (a fixed identifier from the caller, never user input). */
export async function countRows(sql: postgres.Sql, table: string): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::int as n from ${table}`);
  return (row?.n as number | undefined) ?? 0;
}

/** One trade in the simulator's log, as its Data API serves it. */
export interface SimTradeRecord {
  readonly order: number;
  readonly tokenId: string;
  readonly price: number;
  readonly size: number;
  readonly side: string;
  readonly timestampS: number;
}

/**
 * Every trade the simulator generated (its Data API `GET /trades`, newest first; at most
 * 20,000, enough for these runs), by transaction hash; `order` grows with generation order.
 */
export async function simTradeLog(sim: Simulator): Promise<Map<string, SimTradeRecord>> {
  const all: Record<string, unknown>[] = [];
  for (let offset = 0; offset <= 10_000; offset += 10_000) {
    const res = await fetch(`${sim.url}/data-api/trades?limit=10000&offset=${offset}`);
    if (!res.ok) throw new Error(`simulator trade log: HTTP ${res.status}`);
    const page = await res.json() as Record<string, unknown>[];
    all.push(...page);
    if (page.length < 10_000) break;
  }
  const out = new Map<string, SimTradeRecord>();
  all.forEach((t, i) => {
    out.set(String(t.transactionHash), {
      order: all.length - i,
      tokenId: String(t.asset),
      price: Number(t.price),
      size: Number(t.size),
      side: String(t.side),
      timestampS: Number(t.timestamp),
    });
  });
  return out;
}

/**
 * The stored trades with what identifies them against the simulator's log; `ts` is the venue
 * millisecond when the websocket gave it (`exchange_ts`), else the stored second.
 */
export async function storedTrades(sql: postgres.Sql) {
  return await sql<
    {
      token_id: string;
      trade_key: string;
      tx_hash: string;
      price: string;
      size: string;
      side: string;
      ts: Date;
    }[]
  >`select token_id, trade_key, tx_hash, price::text, size::text, side,
           coalesce(exchange_ts, ts) as ts from trades`;
}

/** The value of one series in a Prometheus text body (`name{labels} value`), or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** Polls until `value()` stops changing for `quietMs`; returns the settled value. */
export async function settle(
  value: () => Promise<number>,
  options: { quietMs: number; maxMs: number },
): Promise<number> {
  const start = Date.now();
  let last = await value();
  let since = Date.now();
  while (Date.now() - since < options.quietMs) {
    if (Date.now() - start > options.maxMs) {
      throw new Error(`still changing after ${options.maxMs} ms`);
    }
    await sleep(100);
    const v = await value();
    if (v !== last) {
      last = v;
      since = Date.now();
    }
  }
  return last;
}

/** Gamma's quote fields of one market, as the simulator serves them now. */
export interface SimQuote {
  readonly outcomePrices: readonly string[];
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly lastTradePrice: number;
}

/** Every open market's current quote (Gamma keyset pages), by condition id. */
export async function simQuotes(sim: Simulator): Promise<Map<string, SimQuote>> {
  const out = new Map<string, SimQuote>();
  let cursor: string | null = null;
  do {
    const after: string = cursor === null ? "" : `&after_cursor=${cursor}`;
    const res = await fetch(`${sim.url}/markets/keyset?closed=false&limit=500${after}`);
    if (!res.ok) throw new Error(`simulator markets page: HTTP ${res.status}`);
    const page = await res.json() as {
      markets: Record<string, unknown>[];
      next_cursor?: string | null;
    };
    for (const m of page.markets) {
      out.set(String(m.conditionId), {
        outcomePrices: JSON.parse(String(m.outcomePrices)),
        bestBid: Number(m.bestBid),
        bestAsk: Number(m.bestAsk),
        lastTradePrice: Number(m.lastTradePrice),
      });
    }
    cursor = page.next_cursor || null;
  } while (cursor !== null);
  return out;
}

/** One book level as both the venue and `book_snapshots.bids/asks` hold it. */
export interface Level {
  readonly price: string;
  readonly size: string;
}

/** The simulator's current book of a token (CLOB `GET /book`). */
export async function simBook(
  sim: Simulator,
  tokenId: string,
): Promise<{ bids: Level[]; asks: Level[] }> {
  const res = await fetch(`${sim.url}/book?token_id=${tokenId}`);
  if (!res.ok) throw new Error(`simulator book: HTTP ${res.status}`);
  return await res.json();
}

/** Levels as comparable text, whatever their order and trailing zeros. */
export function levelSet(levels: readonly Level[]): string[] {
  return levels.map((l) => `${Number(l.price)}@${Number(l.size)}`).sort();
}
