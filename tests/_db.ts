/**
 * Test databases: a fresh schema on the real PostgreSQL (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test) or a fresh in-memory PGlite. Nothing is mocked.
 */
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { PGlite } from "@electric-sql/pglite";
import { join } from "node:path";
import { tmpdir } from "node:os";
import denoConfig from "../deno.json" with { type: "json" };
import { type Database, openDatabase } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";

export const TEST_DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";

/**
 * Set by `deno task test:timescale` (scripts/test_timescale.ts): the server behind
 * TEST_DATABASE_URL has TimescaleDB, so server-backend migrations must come out in timescale
 * mode. Embedded PGlite is plain either way.
 */
/**
 * Where the server behind TEST_DATABASE_URL listens: the target of the tests' TCP proxy
 * (`PgProxy`), so those tests follow TEST_DATABASE_URL like every other one.
 */
export const TEST_DATABASE_ADDRESS: { readonly hostname: string; readonly port: number } = (() => {
  const url = new URL(TEST_DATABASE_URL);
  return { hostname: url.hostname || "127.0.0.1", port: Number(url.port || "5432") };
})();

/** TEST_DATABASE_URL (user, password, database, options) reached through a local port. */
export function testDatabaseUrlVia(port: number): string {
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

export const EXPECT_TIMESCALE = Deno.env.get("TEST_EXPECT_TIMESCALE") === "1";

/**
 * The `timescale` option of migrate() for a test that works either way: "require" on a server
 * with TimescaleDB (TEST_EXPECT_TIMESCALE=1), so that the timescale variants are what it
 * tests there; "off" otherwise (and always on embedded PGlite).
 */
export function serverTimescale(db: { readonly url: string | undefined }): "require" | "off" {
  return EXPECT_TIMESCALE && db.url !== undefined ? "require" : "off";
}

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
    const db = await openDatabase({
      url: undefined,
      dataDir: "memory://",
      embeddedTemplate: await freshClusterTemplate(),
    }, { log, signal });
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
      try {
        await dropSchema(admin, schema);
      } finally {
        await admin.end();
      }
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

/**
 * Drops a test's schema. On TimescaleDB the schema's hypertables and continuous aggregates own
 * background jobs (policies, refreshes, and 0012's rebatch jobs, which run a procedure of the
 * schema) that can update the catalog rows the drop deletes
 * ("tuple concurrently updated", a deadlock): delete those jobs first, and retry the drop a few
 * times on those two errors only.
 */
async function dropSchema(admin: postgres.Sql, schema: string): Promise<void> {
  const [ext] = await admin`select 1 as ok from pg_extension where extname = 'timescaledb'`;
  for (let attempt = 1;; attempt++) {
    try {
      if (ext !== undefined) {
        await admin`
          select delete_job(j.job_id) from timescaledb_information.jobs j
          where j.hypertable_schema = ${schema} or j.proc_schema = ${schema}
             or (j.hypertable_schema, j.hypertable_name) in (
                  select c.materialization_hypertable_schema, c.materialization_hypertable_name
                  from timescaledb_information.continuous_aggregates c
                  where c.view_schema = ${schema})`;
      }
      await admin.unsafe(`drop schema ${schema} cascade`);
      return;
    } catch (err) {
      if (attempt >= 5 || !isConcurrentCatalogUpdate(err)) throw err;
      await sleep(100 * attempt);
    }
  }
}

/** "tuple concurrently updated" (XX000) or a deadlock (40P01) against a background job. */
export function isConcurrentCatalogUpdate(err: unknown): boolean {
  if (!(err instanceof postgres.PostgresError)) return false;
  return err.code === "40P01" || /tuple concurrently (updated|deleted)/.test(err.message);
}

let template: Promise<Blob> | undefined;

/**
 * A fresh PGlite cluster's files, made once per machine and PGlite version (a file in the temp
 * folder, written whole and renamed) and once per process in memory: initdb is most of the 5 s
 * a fresh in-memory PGlite takes, loading the files about 2 s. The cluster is empty (nothing
 * migrated), so every test still starts from exactly what `PGlite.create()` gives.
 */
function freshClusterTemplate(): Promise<Blob> {
  template ??= (async () => {
    // Named by the pinned package, so another PGlite version never loads this one's files.
    const pinned = denoConfig.imports["@electric-sql/pglite"].replace(/\W+/g, "-");
    const file = join(tmpdir(), `pmcollect-test-${pinned}-fresh-cluster.tar`);
    try {
      return new Blob([await Deno.readFile(file)]);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const db = await PGlite.create();
    try {
      const dump = await db.dumpDataDir("none");
      const partial = `${file}.${Deno.pid}.tmp`;
      await Deno.writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
      await Deno.rename(partial, file);
      return dump;
    } finally {
      await db.close();
    }
  })();
  return template;
}
