/**
 * Embedded PostgreSQL: PGlite persisted under the data directory, served on loopback by the
 * session server (`_embedded_session.ts`) so postgres.js drives it like any server, and so the
 * user's other commands (`status`, `export`, …) can use it while the collector runs. The data
 * directory is locked for the life of the engine (one process opens the files); the lock file
 * names the process and, once it serves, the address and password other processes join with.
 *
 * @example
 * ```ts ignore
 * import { startEmbedded } from "./_embedded.ts";
 * const embedded = await startEmbedded("./data");
 * // postgres({ ...embedded.connection, max: 1 })
 * await embedded.stop();
 * ```
 */
import { PGlite } from "@electric-sql/pglite";
import { join } from "node:path";
import { lockDataDir } from "./_data_dir_lock.ts";
import { serveSession, type SessionServer, type SessionStats } from "./_embedded_session.ts";

export interface EmbeddedConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface Embedded {
  /** For this process: its connections go first. */
  readonly connection: EmbeddedConnection;
  /** For other processes (published in the lock file). */
  readonly shared: EmbeddedConnection;
  readonly location: string;
  stats(): SessionStats;
  stop(): Promise<void>;
}

export interface StartEmbeddedOptions {
  /** Longest another process may hold the session while this one waits (default 2,000 ms). */
  readonly maxClientHoldMs?: number;
  /** Notable events of the session server (a preempted client). */
  readonly onEvent?: (event: string, fields: Record<string, unknown>) => void;
  /** What the lock file says holds the directory (default "pmcollect"). */
  readonly command?: string;
  /** "memory://" only: a fresh cluster's dumped files to load instead of running initdb. */
  readonly template?: Blob;
}

/** Starts PGlite in `<dataDir>/pglite` (or in memory for "memory://") and serves it. */
export async function startEmbedded(
  dataDir: string,
  options: StartEmbeddedOptions = {},
): Promise<Embedded> {
  const inMemory = dataDir === "memory://";
  const location = inMemory ? "memory://" : join(dataDir, "pglite");
  const lock = inMemory ? null : await lockDataDir(dataDir, { command: options.command });
  let db: PGlite;
  try {
    if (!inMemory) await Deno.mkdir(location, { recursive: true });
    db = inMemory && options.template !== undefined
      ? await PGlite.create({ loadDataDir: options.template })
      : await PGlite.create(inMemory ? undefined : location);
  } catch (err) {
    lock?.release();
    throw new Error(
      `Cannot open the embedded database in ${location}: ${await whyNot(location, err)}`,
      { cause: err },
    );
  }
  const password = randomSecret();
  let server: SessionServer;
  try {
    server = await serveSession(db, {
      password,
      maxClientHoldMs: options.maxClientHoldMs,
      onEvent: options.onEvent,
    });
    await lock?.publish({ host: "127.0.0.1", port: server.sharedPort, password });
  } catch (err) {
    await db.close().catch(() => {});
    lock?.release();
    throw err;
  }
  const common = { host: "127.0.0.1", user: "postgres", password, database: "postgres" };
  return {
    connection: { ...common, port: server.ownPort },
    shared: { ...common, port: server.sharedPort },
    location,
    stats: () => server.stats(),
    stop: async () => {
      try {
        await server.stop();
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * PGlite says only "PGlite failed to initialize properly": find the likely cause, starting
 * with a directory that cannot be written (PGlite writes on open, even to an existing database).
 */
async function whyNot(location: string, err: unknown): Promise<string> {
  const own = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (location === "memory://") return own;
  const probe = join(location, `.pmcollect-write-test-${Deno.pid}`);
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    return `the directory is not writable (${(e as Error).name}: ${(e as Error).message}); ` +
      `PGlite said: ${own}`;
  }
  return own;
}
