/**
 * The one SQL layer: postgres.js against a PostgreSQL/TimescaleDB server when a URL is given,
 * otherwise against an embedded PGlite (files under the data directory) served on loopback, so
 * every query in `db/` runs unchanged on both. When another process already has the embedded
 * database open (the collector), a command that may join (`joinRunning`) connects to the address
 * that process published in the data directory's lock file instead of failing; docs/embedded.md
 * says what that costs.
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
import { DataDirLockedError, readDataDirHolder, type ServedAddress } from "./_data_dir_lock.ts";
import { containDriverRaces, renewingPool } from "./_renewing_pool.ts";
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
  /**
   * Embedded only: when another process holds the data directory, use the database it serves
   * instead of failing (default false: the collector must be the only one writing there).
   */
  readonly joinRunning?: boolean;
  /**
   * Embedded "memory://" only: a fresh cluster's files (`PGlite.dumpDataDir`) to start from
   * instead of running initdb, which is most of PGlite's start-up (tests reuse one).
   */
  readonly embeddedTemplate?: Blob;
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
    let embedded;
    try {
      embedded = await startEmbedded(options.dataDir, {
        onEvent: (event, fields) => log.warn(event, fields),
        template: options.embeddedTemplate,
      });
    } catch (err) {
      if (!(err instanceof DataDirLockedError) || options.joinRunning !== true) throw err;
      return await joinEmbedded(options.dataDir, err, { ...context, common });
    }
    // One session: postgres.js queues this process's queries on one connection.
    const sql = postgres({ ...common, ...embedded.connection, max: 1 });
    await sql`select 1`;
    log.info("db_ready", {
      backend: "embedded",
      dataDir: embedded.location,
      sharedPort: embedded.shared.port,
    });
    return {
      sql,
      backend: "embedded",
      close: async (timeoutS = 5) => {
        await sql.end({ timeout: timeoutS });
        const stats = embedded.stats();
        await embedded.stop();
        if (stats.clientEpisodes > 0) log.info("embedded_clients", { ...stats });
      },
    };
  }
  const url = options.url;
  containDriverRaces(log);
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

/**
 * Connects to the embedded database another process serves, as its lock file publishes it
 * (waiting up to `JOIN_WAIT_MS` for a holder that is still starting to publish it). One
 * connection, unnamed statements only (nothing left behind in the shared session).
 */
async function joinEmbedded(
  dataDir: string,
  locked: DataDirLockedError,
  context: { log: Logger; signal: AbortSignal; common: postgres.Options<never> },
): Promise<Database> {
  const { log, signal, common } = context;
  const deadline = Date.now() + JOIN_WAIT_MS;
  let address: ServedAddress | undefined;
  let pid = 0;
  for (;;) {
    const holder = await readDataDirHolder(dataDir);
    address = holder?.address;
    pid = holder?.pid ?? 0;
    if (address !== undefined || Date.now() > deadline) break;
    await sleep(200, undefined, { signal }).catch((e) => {
      throw signal.aborted ? signal.reason : e;
    });
  }
  if (address === undefined) throw locked;
  const sql = postgres({
    ...common,
    host: address.host,
    port: address.port,
    user: "postgres",
    password: address.password,
    database: "postgres",
    max: 1,
    prepare: false,
    connect_timeout: 10,
  });
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw new Error(
      `Cannot use the embedded database in ${dataDir}: process ${pid} holds it but its ` +
        `address ${address.host}:${address.port} did not answer (${(err as Error).message})`,
      { cause: err },
    );
  }
  log.info("db_ready", { backend: "embedded", joined: pid, dataDir });
  return {
    sql,
    backend: "embedded",
    close: (timeoutS = 5) => sql.end({ timeout: timeoutS }),
  };
}

/** How long a command waits for a starting holder to publish its address. */
const JOIN_WAIT_MS = 30_000;

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
 * (the daemon, `status`, `backfill`) can use it at once; the session server runs one
 * connection's episode (statement sequence, COPY or transaction) at a time. `url` is the
 * serving process's own port: what connects there is never preempted. Commands run with
 * `PMCOLLECT_DATA_DIR=dataDir` and no DATABASE_URL join through the lock file instead.
 */
export async function serveEmbeddedDatabase(
  dataDir: string,
  _options: { maxConnections?: number } = {},
): Promise<ServedEmbedded> {
  const embedded = await startEmbedded(dataDir, { command: "pmcollect demo" });
  const { host, port, user, password, database } = embedded.connection;
  return {
    url: `postgres://${user}:${password}@${host}:${port}/${database}`,
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
