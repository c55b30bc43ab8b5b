/**
 * Test databases: a fresh schema on the real PostgreSQL (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test) or a fresh in-memory PGlite. Nothing is mocked.
 */
import postgres from "postgres";
import { type Database, openDatabase } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";

export const TEST_DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";

/**
 * Set by `deno task test:timescale` (scripts/test_timescale.ts): the server behind
 * TEST_DATABASE_URL has TimescaleDB, so server-backend migrations must come out in timescale
 * mode. Embedded PGlite is plain either way.
 */
export const EXPECT_TIMESCALE = Deno.env.get("TEST_EXPECT_TIMESCALE") === "1";

export type Backend = "server" | "embedded";
export const BACKENDS: readonly Backend[] = ["server", "embedded"];

export interface TestDatabase extends Database {
  /** The schema this test owns (server) or "public" (embedded). */
  readonly schema: string;
  /** A URL whose connections use this test's schema (server backend only). */
  readonly url: string | undefined;
}

/** Creates an isolated database for one test; `dispose` drops it. */
export async function createTestDatabase(backend: Backend): Promise<
  TestDatabase & { dispose(): Promise<void> }
> {
  const signal = new AbortController().signal;
  const log = silentLogger();
  if (backend === "embedded") {
    const db = await openDatabase({ url: undefined, dataDir: "memory://" }, { log, signal });
    return { ...db, schema: "public", url: undefined, dispose: () => db.close() };
  }
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  const db = await openDatabase({ url: TEST_DATABASE_URL, dataDir: "", schema, poolSize: 4 }, {
    log,
    signal,
  });
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    ...db,
    schema,
    url: url.toString(),
    dispose: async () => {
      await db.close();
      await admin.unsafe(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

/** Runs `fn` on a fresh test database of each backend. */
export async function withDatabase(
  backend: Backend,
  fn: (db: TestDatabase) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase(backend);
  try {
    await fn(db);
  } finally {
    await db.dispose();
  }
}
