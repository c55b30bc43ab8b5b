/**
 * TimescaleDB background jobs (compression, continuous-aggregate refresh, retention) and how
 * their last runs went, from `timescaledb_information.jobs`, `job_stats` and, where it exists
 * (2.9+), `job_errors`. These jobs fail silently: a hand-built 2.28.3 on PostgreSQL 15.20
 * failed every compression and refresh job ("cannot drop portal") and nothing said so, and a
 * compression policy that keeps failing fills the disk. The read is guarded: without the
 * extension (plain PostgreSQL, PGlite) it says "not applicable", and any error while reading
 * comes back as `unreadable`, never as a thrown error.
 *
 * @example
 * ```ts ignore
 * import { readTimescaleJobs } from "./timescale_jobs.ts";
 * const reading = await readTimescaleJobs(sql);
 * if (reading.kind === "jobs") console.table(reading.jobs);
 * ```
 */
import type { Queryable } from "./client.ts";

/** One background job and its statistics. */
export interface TimescaleJob {
  readonly jobId: number;
  /** e.g. "policy_compression", "policy_refresh_continuous_aggregate". */
  readonly procName: string;
  /** The hypertable or continuous aggregate it works on, or null. */
  readonly hypertable: string | null;
  /** "Success", "Failed", or null before the first run. */
  readonly lastRunStatus: string | null;
  readonly lastRunStartedAt: Date | null;
  readonly lastSuccessfulFinish: Date | null;
  readonly totalRuns: number;
  readonly totalFailures: number;
  /** The newest error message recorded for this job (job_errors), if any. */
  readonly lastError: string | null;
}

/** What reading the jobs found. */
export type TimescaleJobsReading =
  | { readonly kind: "not_applicable"; readonly reason: string }
  | { readonly kind: "jobs"; readonly jobs: readonly TimescaleJob[] }
  | { readonly kind: "unreadable"; readonly error: string };

/** The shape of one row of the query below (job_stats joined with jobs). */
export interface JobStatsRow {
  job_id: number;
  proc_name: string;
  hypertable_name: string | null;
  last_run_status: string | null;
  last_run_started_at: Date | null;
  last_successful_finish: Date | null;
  total_runs: string | number | null;
  total_failures: string | number | null;
  last_error: string | null;
}

/** Reads every TimescaleDB job; never throws (see the module note). */
export async function readTimescaleJobs(sql: Queryable): Promise<TimescaleJobsReading> {
  try {
    const [ext] = await sql<{ version: string }[]>`
      select extversion as version from pg_extension where extname = 'timescaledb'`;
    if (ext === undefined) {
      return { kind: "not_applicable", reason: "no TimescaleDB extension (plain PostgreSQL)" };
    }
    const [errors] = await sql<{ present: boolean }[]>`
      select to_regclass('timescaledb_information.job_errors') is not null as present`;
    const rows = await sql<JobStatsRow[]>`
      select j.job_id, j.proc_name, coalesce(j.hypertable_name, s.hypertable_name,
                      j.config->>'hypertable') as hypertable_name,
             s.last_run_status, s.last_run_started_at, s.last_successful_finish,
             s.total_runs, s.total_failures, ${
      errors?.present === true
        ? sql`(select e.err_message from timescaledb_information.job_errors e
               where e.job_id = j.job_id order by e.finish_time desc nulls last limit 1)`
        : sql`null::text`
    } as last_error
      from timescaledb_information.jobs j
      left join timescaledb_information.job_stats s on s.job_id = j.job_id
      order by j.job_id`;
    return { kind: "jobs", jobs: rows.map(parseJobStatsRow) };
  } catch (err) {
    return { kind: "unreadable", error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * A timestamp, or null for none: TimescaleDB reports a job that never succeeded with
 * `-infinity`, which arrives as an invalid Date (and made `status` throw).
 */
function finite(d: Date | null): Date | null {
  return d === null || Number.isNaN(d.getTime()) ? null : d;
}

/** A row of the job query as a TimescaleJob (bigint counts arrive as text). */
export function parseJobStatsRow(row: JobStatsRow): TimescaleJob {
  return {
    jobId: Number(row.job_id),
    procName: row.proc_name,
    hypertable: row.hypertable_name,
    lastRunStatus: row.last_run_status,
    lastRunStartedAt: finite(row.last_run_started_at),
    lastSuccessfulFinish: finite(row.last_successful_finish),
    totalRuns: Number(row.total_runs ?? 0),
    totalFailures: Number(row.total_failures ?? 0),
    lastError: row.last_error,
  };
}
