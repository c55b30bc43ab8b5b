import assert from "node:assert/strict";
import { type JobStatsRow, parseJobStatsRow, type TimescaleJobsReading } from "./timescale_jobs.ts";
import {
  assessTimescaleJobs,
  formatTimescaleJobs,
  recordTimescaleJobMetrics,
  runTimescaleJobsWatch,
} from "./timescale_jobs_health.ts";
import { setTimeout as delay } from "node:timers/promises";
import { createMetrics } from "../runtime/_metrics.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { assessHealth, renderMetrics } from "../runtime/health.ts";
import { silentLogger } from "../runtime/log.ts";
import { createTestDatabase } from "../tests/_db.ts";

// Shaped like timescaledb_information.jobs ⋈ job_stats ⋈ job_errors on the hand-built 2.28.3
// whose compression and refresh jobs all failed with "cannot drop portal".
const ROWS: JobStatsRow[] = [
  {
    job_id: 1,
    proc_name: "policy_telemetry",
    hypertable_name: null,
    last_run_status: "Success",
    last_run_started_at: new Date("2026-11-30T00:00:00Z"),
    last_successful_finish: new Date("2026-11-30T00:00:01Z"),
    total_runs: "3",
    total_failures: "0",
    last_error: null,
  },
  {
    job_id: 1000,
    proc_name: "policy_compression",
    hypertable_name: "price_snapshots",
    last_run_status: "Failed",
    last_run_started_at: new Date("2026-11-30T12:00:00Z"),
    last_successful_finish: null,
    total_runs: "40",
    total_failures: "40",
    last_error: "cannot drop portal",
  },
  {
    job_id: 1001,
    proc_name: "policy_refresh_continuous_aggregate",
    hypertable_name: "prices_1h",
    last_run_status: null,
    last_run_started_at: null,
    last_successful_finish: null,
    total_runs: null,
    total_failures: null,
    last_error: null,
  },
];

const JOBS: TimescaleJobsReading = { kind: "jobs", jobs: ROWS.map(parseJobStatsRow) };
const table = (rows: string[][]) => rows.map((r) => r.join(" | ")).join("\n");

Deno.test("assessTimescaleJobs() names each job whose last run failed, with its error", () => {
  assert.deepEqual(assessTimescaleJobs(JOBS), [
    "timescaledb job 1000 policy_compression (price_snapshots) last run failed " +
    "(40 of 40 runs failed): cannot drop portal",
  ]);
  const fine = { kind: "jobs", jobs: [parseJobStatsRow(ROWS[0]!)] } as const;
  assert.deepEqual(assessTimescaleJobs(fine), []);
  assert.deepEqual(assessTimescaleJobs({ kind: "not_applicable", reason: "plain" }), []);
  assert.deepEqual(assessTimescaleJobs({ kind: "unreadable", error: "boom" }), []);
});

Deno.test("formatTimescaleJobs() prints a table with a FAILING line, or why there is none", () => {
  const text = formatTimescaleJobs(JOBS, table);
  assert.match(text, /^timescaledb jobs:\n/);
  assert.match(
    text,
    /1000 \| policy_compression \| price_snapshots \| .* \| Failed \| - \| 40 \| 40/,
  );
  assert.match(text, /1001 \| .* \| never run \| - \| 0 \| 0/);
  assert.match(text, /\nFAILING: timescaledb job 1000 .*cannot drop portal$/);
  assert.equal(
    formatTimescaleJobs({ kind: "not_applicable", reason: "plain PostgreSQL" }, table),
    "timescaledb jobs: not applicable (plain PostgreSQL)",
  );
  assert.equal(formatTimescaleJobs({ kind: "jobs", jobs: [] }, table), "timescaledb jobs: none");
  assert.equal(
    formatTimescaleJobs({ kind: "unreadable", error: "permission denied" }, table),
    "timescaledb jobs: unreadable (permission denied)",
  );
});

Deno.test("recordTimescaleJobMetrics() exposes failures and last-run state per job", () => {
  const metrics = createMetrics();
  recordTimescaleJobMetrics(metrics, JOBS);
  const text = metrics.render();
  assert.match(text, /^pmcollect_timescale_jobs_failing 1$/m);
  assert.match(
    text,
    /^pmcollect_timescale_job_last_run_ok\{job_id="1000",proc="policy_compression",hypertable="price_snapshots"\} 0$/m,
  );
  assert.match(text, /^pmcollect_timescale_job_failures\{job_id="1000",.*\} 40$/m);
  assert.match(text, /^pmcollect_timescale_job_last_run_ok\{job_id="1",.*\} 1$/m);
  const plain = createMetrics();
  recordTimescaleJobMetrics(plain, { kind: "not_applicable", reason: "plain" });
  assert.equal(
    plain.render(),
    "# TYPE pmcollect_timescale_jobs_failing gauge\npmcollect_timescale_jobs_failing 0\n",
  );
});

Deno.test("runTimescaleJobsWatch() on PGlite reports not applicable and stays healthy", async () => {
  const db = await createTestDatabase("embedded");
  const root = new AbortController();
  try {
    const metrics = createMetrics();
    const supervisor = runSupervisor([{
      name: "timescale_jobs",
      run: (signal, ctx) => runTimescaleJobsWatch(db.sql, { ...ctx, signal, metrics }),
    }], { signal: root.signal, log: silentLogger(), metrics });
    for (let i = 0; i < 500 && supervisor.health()[0]?.report.timescaleJobs === undefined; i++) {
      await delay(10);
    }
    const [task] = supervisor.health();
    assert.equal(task?.report.timescaleJobs, "not applicable");
    assert.equal(task?.report.unhealthy, null);
    assert.equal(assessHealth(supervisor.health()).healthy, true);
    assert.match(renderMetrics(supervisor), /^pmcollect_timescale_jobs_failing 0$/m);
    root.abort();
    await supervisor.done;
  } finally {
    root.abort();
    await db.dispose();
  }
});
