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
import { classifyDbError } from "./error_kind.ts";

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
  const sql = postgres(options.url, {
    ...common,
    max: options.poolSize ?? 10,
    connect_timeout: 10,
  });
  try {
    await waitUntilReachable(sql, options.connectRetryMaxMs ?? 30_000, log, signal);
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw err;
  }
  log.info("db_ready", { backend: "server", poolSize: options.poolSize ?? 10 });
  return { sql, backend: "server", close: (timeoutS = 5) => sql.end({ timeout: timeoutS }) };
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

async function waitUntilReachable(
  sql: Sql,
  maxDelayMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  let delay = 500;
  for (let attempt = 1;; attempt++) {
    signal.throwIfAborted();
    try {
      await sql`select 1`;
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

/** True for errors that mean "the server is not there (yet)" rather than a bad query. */
export function isConnectionError(err: unknown): boolean {
  return classifyDbError(err) === "connection";
}
