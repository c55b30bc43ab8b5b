/**
 * TimescaleDB jobs for operators: the health decision (a job whose last run failed is a
 * problem: a failing compression policy fills the disk), the `status` table, the `/metrics`
 * gauges, and the task that reads them every few minutes under the supervisor so `/healthz`
 * and `/metrics` carry them.
 *
 * @example
 * ```ts ignore
 * import { assessTimescaleJobs } from "./timescale_jobs_health.ts";
 * assessTimescaleJobs({ kind: "jobs", jobs }); // ["job 1000 policy_compression (trades): ..."]
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Queryable } from "./client.ts";
import { readTimescaleJobs, type TimescaleJobsReading } from "./timescale_jobs.ts";
import type { Metrics } from "../runtime/_metrics.ts";
import type { TaskContext } from "../runtime/supervisor.ts";

/**
 * One line per job whose last run failed; empty when all is well, when TimescaleDB is not
 * there, or when the jobs could not be read (a database outage is reported elsewhere).
 */
export function assessTimescaleJobs(reading: TimescaleJobsReading): string[] {
  if (reading.kind !== "jobs") return [];
  return reading.jobs.filter((j) => j.lastRunStatus === "Failed").map((j) => {
    const on = j.hypertable === null ? "" : ` (${j.hypertable})`;
    const why = j.lastError === null ? "" : `: ${j.lastError}`;
    return `timescaledb job ${j.jobId} ${j.procName}${on} last run failed ` +
      `(${j.totalFailures} of ${j.totalRuns} runs failed)${why}`;
  });
}

/** The `status` section: a table of jobs, or one line saying why there is none. */
export function formatTimescaleJobs(
  reading: TimescaleJobsReading,
  table: (rows: string[][]) => string,
): string {
  if (reading.kind === "not_applicable") {
    return `timescaledb jobs: not applicable (${reading.reason})`;
  }
  if (reading.kind === "unreadable") return `timescaledb jobs: unreadable (${reading.error})`;
  if (reading.jobs.length === 0) return "timescaledb jobs: none";
  const rows = [["job", "proc", "on", "last run", "status", "last success", "runs", "failures"]];
  for (const j of reading.jobs) {
    rows.push([
      String(j.jobId),
      j.procName,
      j.hypertable ?? "-",
      j.lastRunStartedAt?.toISOString() ?? "-",
      j.lastRunStatus ?? "never run",
      j.lastSuccessfulFinish?.toISOString() ?? "-",
      String(j.totalRuns),
      String(j.totalFailures),
    ]);
  }
  const problems = assessTimescaleJobs(reading);
  return ["timescaledb jobs:", table(rows), ...problems.map((p) => `FAILING: ${p}`)].join("\n");
}

/** Sets the job gauges: per job its failures and whether the last run succeeded. */
export function recordTimescaleJobMetrics(metrics: Metrics, reading: TimescaleJobsReading): void {
  const jobs = reading.kind === "jobs" ? reading.jobs : [];
  metrics.gauge("pmcollect_timescale_jobs_failing", {}, assessTimescaleJobs(reading).length);
  for (const j of jobs) {
    const labels = { job_id: String(j.jobId), proc: j.procName, hypertable: j.hypertable ?? "" };
    metrics.gauge("pmcollect_timescale_job_failures", labels, j.totalFailures);
    metrics.gauge("pmcollect_timescale_job_runs", labels, j.totalRuns);
    metrics.gauge(
      "pmcollect_timescale_job_last_run_ok",
      labels,
      j.lastRunStatus === "Failed" ? 0 : 1,
    );
  }
}

/**
 * Reads the jobs every `intervalMs` (default 5 min) until `signal` aborts; reports them to the
 * supervisor (`unhealthy` when a job's last run failed) and sets the gauges.
 */
export async function runTimescaleJobsWatch(
  sql: Queryable,
  context: TaskContext & { readonly metrics: Metrics; readonly intervalMs?: number },
): Promise<never> {
  const { signal } = context;
  for (;;) {
    const reading = await readTimescaleJobs(sql);
    signal.throwIfAborted();
    const problems = assessTimescaleJobs(reading);
    recordTimescaleJobMetrics(context.metrics, reading);
    context.report({
      timescaleJobs: reading.kind === "jobs"
        ? reading.jobs.length
        : reading.kind === "not_applicable"
        ? "not applicable"
        : "unreadable",
      unhealthy: problems.length === 0 ? null : problems.join("; "),
    });
    await sleep(context.intervalMs ?? 5 * 60_000, undefined, { signal }).catch((err) => {
      throw signal.aborted ? signal.reason : err;
    });
  }
}
