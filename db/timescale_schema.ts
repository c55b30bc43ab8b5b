/**
 * The schema TimescaleDB's functions live in (`compress_chunk`, `hypertable_size`, …), or null
 * where the extension is not installed. A test's or a user's search_path may hold only their own
 * schema, so calls to those functions are qualified with it.
 *
 * @example
 * ```ts ignore
 * import { timescaleSchema } from "./timescale_schema.ts";
 * const ts = await timescaleSchema(sql); // "public", or null on plain PostgreSQL
 * ```
 */
import type { Queryable } from "./client.ts";

/** The extension's schema name (unquoted), or null without TimescaleDB. */
export async function timescaleSchema(sql: Queryable): Promise<string | null> {
  const [ext] = await sql<{ schema: string }[]>`
    select n.nspname as schema from pg_extension e
    join pg_namespace n on n.oid = e.extnamespace where e.extname = 'timescaledb'`;
  return ext?.schema ?? null;
}
