/**
 * Embedded PostgreSQL: PGlite persisted under the data directory, exposed on a loopback port
 * through PGlite's socket server so postgres.js can drive it like any server.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

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
  if (!inMemory) await mkdir(location, { recursive: true });
  const db = await PGlite.create(inMemory ? undefined : location);
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
      await server.stop();
      await db.close();
    },
  };
}
