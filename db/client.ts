/**
 * The one SQL layer: postgres.js against a PostgreSQL/TimescaleDB server when a URL is given,
 * otherwise against an embedded PGlite (files under the data directory) reached through
 * PGlite's socket server on loopback, so every query in `db/` runs unchanged on both.
 *
 * @example
 * ```ts
 * import { openDatabase } from "./client.ts";
 * const db = await openDatabase({ url: undefined, dataDir: "./data" }, { log, signal });
 * await db.sql`select 1`;
 * await db.close();
 * ```
 */
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../runtime/log.ts";
import { startEmbedded } from "./_embedded.ts";
import { containDriverWriteRace, renewingPool } from "./_renewing_pool.ts";
import { classifyDbError } from "./error_kind.ts";
import { databaseAddress, probePostgres } from "./_probe.ts";

export type Sql = postgres.Sql;
/** Anything that runs queries: the pool, a transaction or a reserved connection. */
export type Queryable = postgres.ISql;
/** A transaction handle (has savepoints). */
export type Tx = postgres.TransactionSql;

export interface Database {
  readonly sql: Sql;
  /** "server" for DATABASE_URL, "embedded" for PGlite. */
  readonly backend: "server" | "embedded";
  /** Ends the pool (waiting up to `timeoutS` for queries) and stops the embedded engine. */
  close(timeoutS?: number): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Server URL; undefined selects the embedded database. */
  readonly url: string | undefined;
  /** Where the embedded database keeps its files (`<dataDir>/pglite`); "memory://" for RAM. */
  readonly dataDir: string;
  readonly poolSize?: number;
  /** Longest pause between connection attempts while the server is down. */
  readonly connectRetryMaxMs?: number;
  /** search_path for every connection (tests use one schema each). */
  readonly schema?: string;
  /** How long the first query may take before the address is probed (default 10 s). */
  readonly handshakeTimeoutMs?: number;
}

/** What answers at the database address is not PostgreSQL; retrying cannot help. */
export class DatabaseHandshakeError extends Error {
  readonly address: string;
  constructor(address: string, found: string) {
    super(
      `Cannot connect to the database at ${address}: ${found}, which is not PostgreSQL ` +
        "(check the host and port of DATABASE_URL)",
    );
    this.name = "DatabaseHandshakeError";
    this.address = address;
  }
}

/**
 * Opens the database and waits until it answers, retrying with backoff (and one log line per
 * attempt) while a server is down, until `signal` aborts.
 */
export async function openDatabase(
  options: OpenDatabaseOptions,
  context: { log: Logger; signal: AbortSignal },
): Promise<Database> {
  const { log, signal } = context;
  const common = {
    onnotice: () => {},
    connection: {
      application_name: "pmcollect",
      ...(options.schema !== undefined ? { search_path: options.schema } : {}),
    },
  };
  if (options.url === undefined) {
    const embedded = await startEmbedded(options.dataDir);
    // PGlite serves one connection at a time; postgres.js queues on it.
    const sql = postgres({ ...common, ...embedded.connection, max: 1 });
    await sql`select 1`;
    log.info("db_ready", { backend: "embedded", dataDir: embedded.location });
    return {
      sql,
      backend: "embedded",
      close: async (timeoutS = 5) => {
        await sql.end({ timeout: timeoutS });
        await embedded.stop();
      },
    };
  }
  const url = options.url;
  containDriverWriteRace(log);
  const pool = renewingPool((onclose) =>
    postgres(url, {
      ...common,
      max: options.poolSize ?? 10,
      connect_timeout: 10,
      // Connections close only when something breaks, so each close renews the pool.
      max_lifetime: 0,
      idle_timeout: 0,
      backoff: () => 0,
      onclose,
    }), log);
  const sql = pool.sql;
  try {
    await waitUntilReachable(sql, {
      url: options.url,
      maxDelayMs: options.connectRetryMaxMs ?? 30_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    }, { log, signal });
  } catch (err) {
    await pool.end({ timeout: 0 });
    throw err;
  }
  log.info("db_ready", { backend: "server", poolSize: options.poolSize ?? 10 });
  return { sql, backend: "server", close: (timeoutS = 5) => pool.end({ timeout: timeoutS }) };
}

/** An embedded database served on loopback for other processes (`deno task demo`). */
export interface ServedEmbedded {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (no password: loopback only). */
  readonly url: string;
  /** Where its files are (`<dataDir>/pglite`). */
  readonly location: string;
  stop(): Promise<void>;
}

/**
 * Serves the embedded database under `dataDir` on a loopback port so that several processes
 * (the daemon, `status`, `backfill`) can use it at once, each with one connection.
 */
export async function serveEmbeddedDatabase(
  dataDir: string,
  options: { maxConnections: number },
): Promise<ServedEmbedded> {
  const embedded = await startEmbedded(dataDir, options);
  const { host, port, user, database } = embedded.connection;
  return {
    url: `postgres://${user}@${host}:${port}/${database}`,
    location: embedded.location,
    stop: () => embedded.stop(),
  };
}

/**
 * Retries `select 1` with backoff while the server is down. A first query still unanswered
 * after `handshakeTimeoutMs` (postgres.js waits without a word when, say, an HTTP server
 * answers) probes the address: something that is not PostgreSQL ends the wait with a
 * DatabaseHandshakeError naming what was found; otherwise the wait goes on, logged.
 */
async function waitUntilReachable(
  sql: Sql,
  options: { url: string; maxDelayMs: number; handshakeTimeoutMs: number },
  context: { log: Logger; signal: AbortSignal },
): Promise<void> {
  const { maxDelayMs } = options;
  const { log, signal } = context;
  let delay = 500;
  for (let attempt = 1;; attempt++) {
    signal.throwIfAborted();
    try {
      await firstAnswer(sql, options, context);
      return;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      const waitMs = Math.min(maxDelayMs, delay) * (0.75 + Math.random() * 0.5);
      log.warn("db_unreachable", {
        attempt,
        retryInMs: Math.round(waitMs),
        error: err instanceof Error ? err.message : String(err),
      });
      await sleep(waitMs, undefined, { signal }).catch((e) => {
        throw signal.aborted ? signal.reason : e;
      });
      delay *= 2;
    }
  }
}

/** Resolves when `select 1` answers; probes the address each time it is slow to. */
async function firstAnswer(
  sql: Sql,
  options: { url: string; handshakeTimeoutMs: number },
  context: { log: Logger; signal: AbortSignal },
): Promise<void> {
  const query = sql`select 1`.then(() => "answered" as const);
  query.catch(() => {}); // settled below, or abandoned when the pool ends
  const address = databaseAddress(options.url);
  for (;;) {
    const stop = new AbortController();
    const both = AbortSignal.any([context.signal, stop.signal]);
    const slow = sleep(options.handshakeTimeoutMs, "slow" as const, { signal: both });
    let outcome: "answered" | "slow";
    try {
      outcome = await Promise.race([query, slow]);
    } catch (err) {
      throw context.signal.aborted ? context.signal.reason : err;
    } finally {
      stop.abort();
      slow.catch(() => {});
    }
    if (outcome === "answered") return;
    if (address === null) {
      context.log.warn("db_slow_handshake", {
        waitedMs: options.handshakeTimeoutMs,
        found: "no answer on the Unix socket",
      });
      continue;
    }
    const probe = await probePostgres(address, { timeoutMs: 2_000, signal: context.signal });
    const where = `${address.hostname}:${address.port}`;
    if (probe.answered && !probe.postgres) throw new DatabaseHandshakeError(where, probe.found);
    context.log.warn("db_slow_handshake", {
      address: where,
      waitedMs: options.handshakeTimeoutMs,
      found: probe.found,
    });
  }
}

/** True for errors that mean "the server is not there (yet)" rather than a bad query. */
export function isConnectionError(err: unknown): boolean {
  return classifyDbError(err) === "connection";
}
