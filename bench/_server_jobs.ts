/**
 * The server's own TimescaleDB jobs, run at the ages a server would run them while a bench
 * writes rows in simulated time (issue 26). The bench's clock runs behind the server's (its
 * rows are dated in the past, so that a week can be written in minutes); each job is run
 * (`CALL run_job`) when the simulated clock passes its schedule, and a job that reads the
 * server's clock gets its age shifted by the distance between the two clocks first:
 *
 * - `policy_compression` (of the tables and of the continuous aggregates, migration 0020):
 *   `compress_after` + (server now − simulated now), so a chunk is compressed when it is
 *   `compress_after` past its end in simulated time, not at once;
 * - `policy_refresh_continuous_aggregate`: `end_offset` shifted the same way (its
 *   `start_offset` is NULL here: from the beginning);
 * - `rebatch_rollups` (migration 0012, and 0020's for the hourly prices' aggregate) runs
 *   unshifted: its only clock test, a merged chunk that ended a rollup interval ago, can only
 *   make it rebatch a partly merged chunk early (work done twice, the same result once the
 *   chunk is full and rebatched again).
 *
 * Every other job of the schema is left alone. The background scheduler is paused first
 * (`pauseJobs`, and here): these jobs run only from here. A job on a continuous aggregate
 * is named by the aggregate's view, as `timescaledb_information.jobs` names it.
 *
 * @example
 * ```ts ignore
 * import { ServerJobs } from "./_server_jobs.ts";
 * const jobs = await ServerJobs.load(sql, schema, start);
 * for (let t = start; t < end; t += 60_000) { await write(t); await jobs.runDue(t); }
 * ```
 */
import type { Sql } from "../db/client.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { pauseJobs } from "./_compress_as_policy.ts";

interface Job {
  readonly id: number;
  readonly proc: string;
  readonly target: string;
  readonly everyMs: number;
  /** The config key holding the age read against the server's clock, and its value. */
  readonly age: { readonly key: string; readonly interval: string } | null;
  nextMs: number;
}

/** Runs, per job, and seconds spent. */
export interface JobRuns {
  readonly proc: string;
  readonly target: string;
  runs: number;
  seconds: number;
}

export class ServerJobs {
  readonly #sql: Sql;
  readonly #ts: string;
  readonly #jobs: Job[];
  readonly runs: JobRuns[];

  private constructor(sql: Sql, ts: string, jobs: Job[]) {
    this.#sql = sql;
    this.#ts = ts;
    this.#jobs = jobs;
    this.runs = jobs.map((j) => ({ proc: j.proc, target: j.target, runs: 0, seconds: 0 }));
  }

  /**
   * The compression, refresh and rebatch jobs of `schema`'s tables and continuous aggregates,
   * each first due one schedule interval after `startMs`. Pauses the scheduler's own runs.
   */
  static async load(sql: Sql, schema: string, startMs: number): Promise<ServerJobs> {
    const ext = await timescaleSchema(sql);
    if (ext === null) throw new Error("ServerJobs needs TimescaleDB");
    await pauseJobs(sql);
    const rows = await sql<
      {
        id: number;
        proc: string;
        target: string;
        everyMs: number;
        config: Record<string, unknown>;
      }[]
    >`
      select j.job_id as id, j.proc_name as proc,
             coalesce(a.view_name, j.hypertable_name, j.config->>'hypertable') as target,
             (extract(epoch from j.schedule_interval) * 1000)::float8 as "everyMs", j.config
      from timescaledb_information.jobs j
      left join timescaledb_information.continuous_aggregates a
        on format('%I.%I', a.materialization_hypertable_schema,
                  a.materialization_hypertable_name) = j.config->>'hypertable'
      where (j.proc_name in ('policy_compression', 'policy_refresh_continuous_aggregate')
             and j.hypertable_schema = ${schema})
         or (j.proc_name = 'rebatch_rollups'
             and j.config->>'done' like quote_ident(${schema}) || '.%')
      order by j.job_id`;
    const jobs = rows.map((r): Job => {
      const key = r.proc === "policy_compression"
        ? "compress_after"
        : r.proc === "policy_refresh_continuous_aggregate"
        ? "end_offset"
        : null;
      const value = key === null ? null : r.config[key];
      if (key !== null && typeof value !== "string") {
        throw new Error(`job ${r.id} (${r.proc}) has no interval ${key}: ${JSON.stringify(value)}`);
      }
      return {
        id: r.id,
        proc: r.proc,
        target: r.target,
        everyMs: r.everyMs,
        age: key === null ? null : { key, interval: value as string },
        nextMs: startMs + r.everyMs,
      };
    });
    const ts = `"${ext.replaceAll('"', '""')}"`;
    // pauseJobs leaves a rebatch job of an aggregate scheduled (its materialized hypertable is
    // in TimescaleDB's own schema).
    for (const job of jobs) {
      await sql.unsafe(`select ${ts}.alter_job(${job.id}, scheduled => false)`);
    }
    return new ServerJobs(sql, ts, jobs);
  }

  /** Runs every job due at simulated instant `nowMs`, in job order (the scheduler's). */
  async runDue(nowMs: number): Promise<void> {
    for (const [i, job] of this.#jobs.entries()) {
      if (job.nextMs > nowMs) continue;
      const t = performance.now();
      if (job.age !== null) {
        await this.#sql.unsafe(
          `select ${this.#ts}.alter_job(j.job_id, config => jsonb_set(j.config, $2::text[],
             to_jsonb(($3::interval + (now() - $4::timestamptz))::text)))
           from timescaledb_information.jobs j where j.job_id = $1`,
          [job.id, `{${job.age.key}}`, job.age.interval, new Date(nowMs).toISOString()],
        );
      }
      await this.#sql.unsafe(`call ${this.#ts}.run_job(${job.id})`);
      this.runs[i]!.runs++;
      this.runs[i]!.seconds += (performance.now() - t) / 1000;
      while (job.nextMs <= nowMs) job.nextMs += job.everyMs;
    }
  }
}
