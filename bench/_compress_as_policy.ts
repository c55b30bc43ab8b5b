/**
 * Compresses every chunk of a TimescaleDB hypertable the way the server's own jobs would, for
 * the storage and stream benches (the hand-built TimescaleDB's background jobs may not run):
 * oldest chunk first, as the compression policy goes, so that each one merges into the
 * compressed chunk before it up to the rollup interval (migration 0012), then the table's
 * `rebatch_rollups` job, which re-cuts the merged chunks into full batches.
 *
 * @example
 * ```ts ignore
 * import { compressAsPolicy } from "./_compress_as_policy.ts";
 * const { calls, rebatchSeconds } = await compressAsPolicy(sql, "public", "price_snapshot_data");
 * ```
 */
import type { Sql } from "../db/client.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

/** What compressing took: compress_chunk calls, and seconds of each step. */
export interface PolicyCompression {
  readonly calls: number;
  readonly compressSeconds: number;
  /** The rebatch job's run; null when the table has none. */
  readonly rebatchSeconds: number | null;
}

/** Compresses `table` (a hypertable) as its policies would. */
export async function compressAsPolicy(
  sql: Sql,
  extensionSchema: string,
  table: string,
): Promise<PolicyCompression> {
  const ts = `"${extensionSchema.replaceAll('"', '""')}"`;
  const chunks = await sql<{ chunk: string }[]>`
    select format('%I.%I', chunk_schema, chunk_name) as chunk
    from timescaledb_information.chunks
    where format('%I.%I', hypertable_schema, hypertable_name)::regclass = ${table}::regclass
      and not is_compressed
    order by range_start`;
  const t0 = performance.now();
  for (const { chunk } of chunks) {
    await sql.unsafe(`select ${ts}.compress_chunk($1::regclass, if_not_compressed => true)`, [
      chunk,
    ]);
  }
  const jobs = await sql<{ id: number }[]>`
    select job_id as id from timescaledb_information.jobs
    where proc_name = 'rebatch_rollups' and to_regclass(config->>'hypertable') = ${table}::regclass`;
  const t1 = performance.now();
  for (const job of jobs) await sql.unsafe(`call ${ts}.run_job(${job.id})`);
  const t2 = performance.now();
  return {
    calls: chunks.length,
    compressSeconds: (t1 - t0) / 1000,
    rebatchSeconds: jobs.length === 0 ? null : (t2 - t1) / 1000,
  };
}

/**
 * Unschedules the background jobs of the current schema's hypertables (and its rebatch jobs),
 * so that a bench compresses only through {@link compressAsPolicy}: a policy the server starts
 * on its own in the middle of the ingest would compress chunks still being written (seen once
 * on the hand-built TimescaleDB: ingest 3× slower, 99-row batches, 29.8 bytes/event instead of
 * 8). `run_job` still runs an unscheduled job. Returns how many were paused.
 */
export async function pauseJobs(sql: Sql): Promise<number> {
  const extension = await timescaleSchema(sql);
  if (extension === null) return 0;
  const ts = `"${extension.replaceAll('"', '""')}"`;
  const jobs = await sql<{ id: number }[]>`
    select job_id as id from timescaledb_information.jobs
    where hypertable_schema = current_schema()
       or (proc_name = 'rebatch_rollups'
           and (config->>'hypertable') like quote_ident(current_schema()) || '.%')`;
  for (const job of jobs) {
    await sql.unsafe(`select ${ts}.alter_job(${job.id}, scheduled => false)`);
  }
  return jobs.length;
}
