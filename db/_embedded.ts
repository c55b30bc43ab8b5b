/**
 * Embedded PostgreSQL: PGlite persisted under the data directory, exposed on a loopback port
 * through PGlite's socket server so postgres.js can drive it like any server. The data
 * directory is locked for the life of the engine (one process per directory).
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { join } from "node:path";
import { lockDataDir } from "./_data_dir_lock.ts";

export interface Embedded {
  readonly connection: { host: string; port: number; user: string; database: string };
  readonly location: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite in `<dataDir>/pglite` (or in memory for "memory://") and its socket server,
 * which takes `maxConnections` clients at once (default 1; PGlite is one session, so more
 * clients share it and the server serialises their queries, transaction by transaction).
 */
export async function startEmbedded(
  dataDir: string,
  options: { maxConnections?: number } = {},
): Promise<Embedded> {
  const inMemory = dataDir === "memory://";
  const location = inMemory ? "memory://" : join(dataDir, "pglite");
  const lock = inMemory ? null : await lockDataDir(dataDir);
  let db: PGlite;
  try {
    if (!inMemory) await Deno.mkdir(location, { recursive: true });
    db = await PGlite.create(inMemory ? undefined : location);
  } catch (err) {
    lock?.release();
    throw new Error(
      `Cannot open the embedded database in ${location}: ${await whyNot(location, err)}`,
      {
        cause: err,
      },
    );
  }
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: options.maxConnections ?? 1,
  });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  return {
    connection: { host: "127.0.0.1", port, user: "postgres", database: "postgres" },
    location,
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
