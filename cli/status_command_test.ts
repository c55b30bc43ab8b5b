/**
 * `pmcollect status` against a fresh schema on the real PostgreSQL, migrated in plain mode: the
 * compression section is one line there. Under TEST_EXPECT_TIMESCALE=1 (the server has
 * TimescaleDB) the plain-server cases do not apply; `status` must still answer there, with its
 * jobs section, even for a job that never succeeded (TimescaleDB says `-infinity`). With the
 * database down it gives up within its bound (exit 1); its disk, relations and scanner lines
 * say where each figure comes from, and "unknown" rather than infinite.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { EXPECT_TIMESCALE, withDatabase } from "../tests/_db.ts";
import {
  compressionReport,
  DatabaseUnreachableError,
  formatBytes,
  formatRelations,
  formatScanner,
  runStatusCommand,
} from "./status_command.ts";
import { diskStatusLine } from "./_disk.ts";
import type { CollectorHealth } from "./_collector_health.ts";
import { main } from "../main.ts";
import { readTimescaleJobs } from "../db/timescale_jobs.ts";

const PLAIN_LINE = "compression: not available (plain PostgreSQL)";

/** What `pmcollect status` prints against `url`, line by line; it must exit 0. */
async function statusLines(url: string): Promise<string[]> {
  const lines: string[] = [];
  const code = await runStatusCommand(loadConfig({ DATABASE_URL: url }), {
    log: silentLogger(),
    signal: new AbortController().signal,
    write: (line) => lines.push(...line.split("\n")),
  });
  assert.equal(code, 0, lines.join("\n"));
  return lines;
}

Deno.test({
  name: "status on TimescaleDB lists the jobs, one that never succeeded included",
  ignore: !EXPECT_TIMESCALE,
  fn: () =>
    withDatabase("server", async (db) => {
      const log = silentLogger();
      await migrate(db.sql, { log, timescale: "require" });
      const lines = await statusLines(db.url!);
      assert.ok(lines.some((l) => l.startsWith("timescaledb jobs")), lines.join("\n"));
      const reading = await readTimescaleJobs(db.sql);
      assert.equal(reading.kind, "jobs");
      for (const j of reading.kind === "jobs" ? reading.jobs : []) {
        assert.ok(
          j.lastSuccessfulFinish === null || !Number.isNaN(j.lastSuccessfulFinish.getTime()),
        );
      }
    }),
});

Deno.test({
  name: "status on plain PostgreSQL prints that compression is not available",
  ignore: EXPECT_TIMESCALE,
  fn: () =>
    withDatabase("server", async (db) => {
      const log = silentLogger();
      const { mode } = await migrate(db.sql, { log, timescale: "off" });
      assert.equal(mode, "plain");
      const lines = await statusLines(db.url!);
      assert.ok(lines.includes(PLAIN_LINE), lines.join("\n"));
      assert.equal(lines.filter((l) => l.startsWith("compression")).length, 1);
      assert.equal(await compressionReport(db.sql, "plain"), PLAIN_LINE);
      assert.ok(
        lines.includes(
          "timescaledb jobs: not applicable (no TimescaleDB extension (plain PostgreSQL))",
        ),
        lines.join("\n"),
      );
    }),
});

Deno.test("readTimescaleJobs() on plain PostgreSQL and PGlite says not applicable, never throws", async () => {
  for (
    const backend of EXPECT_TIMESCALE ? ["embedded"] as const : ["server", "embedded"] as const
  ) {
    await withDatabase(backend, async (db) => {
      const reading = await readTimescaleJobs(db.sql);
      assert.equal(reading.kind, "not_applicable", `${backend}: ${JSON.stringify(reading)}`);
    });
  }
});

Deno.test("formatBytes uses binary units", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.0 GiB");
});

Deno.test("status with an unreachable database gives up within its bound: DatabaseUnreachableError, and main exits 1", async () => {
  const url = "postgres://postgres@127.0.0.1:1/test";
  const guard = new AbortController();
  const never = new Promise<"hung">((resolve) => {
    const timer = setTimeout(() => resolve("hung"), 30_000);
    guard.signal.addEventListener("abort", () => clearTimeout(timer));
  });
  try {
    const outcome = await Promise.race([
      runStatusCommand(loadConfig({ DATABASE_URL: url, PMCOLLECT_HEALTH_PORT: "0" }), {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: () => {},
        connectTimeoutMs: 1000,
      }).then(() => "returned", (err) => err),
      never,
    ]);
    assert.ok(outcome instanceof DatabaseUnreachableError, String(outcome));
    assert.equal(outcome.address, "127.0.0.1:1");
    assert.match(outcome.message, /^Cannot reach the database at 127\.0\.0\.1:1 within 1 s/);
    // Through main(): the default bound, then exit code 1 (2 is for usage errors).
    const code = await Promise.race([
      main(["status", "--log-level", "error"], { DATABASE_URL: url, PMCOLLECT_HEALTH_PORT: "0" }),
      never,
    ]);
    assert.equal(code, 1);
  } finally {
    guard.abort();
  }
});

const MIB = 2 ** 20;
const GIB = 2 ** 30;
const collector = (disk: Record<string, unknown>): CollectorHealth => ({
  kind: "running",
  port: 9464,
  tasks: new Map([["disk", disk]]),
});
const small = { target: { path: "/data", source: "setting" as const }, reading: null };

Deno.test("diskStatusLine() sizes a small disk in MiB and counts days left from the collector's measured growth", () => {
  const now = { ...small, reading: { freeBytes: 300 * MIB, totalBytes: GIB } };
  assert.equal(
    diskStatusLine(now, collector({ growthBytesPerDay: 100 * MIB })),
    "disk: 300.0 MiB free of 1.0 GiB (29.3%) at /data; growth: +100.0 MiB/day on disk, " +
      "measured by the running collector (127.0.0.1:9464); days left: 3.0",
  );
  // Other files shrink the disk's use while the database grows: days left follow the database.
  assert.equal(
    diskStatusLine(
      now,
      collector({ growthBytesPerDay: -50 * MIB, databaseGrowthBytesPerDay: 150 * MIB }),
    ),
    "disk: 300.0 MiB free of 1.0 GiB (29.3%) at /data; growth: -50.0 MiB/day on disk, " +
      "+150.0 MiB/day in the database, measured by the running collector (127.0.0.1:9464); " +
      "days left: 2.0",
  );
});

Deno.test("diskStatusLine() says growth and days left are unknown rather than infinite", () => {
  const now = { ...small, reading: { freeBytes: 3 * GIB, totalBytes: 10 * GIB } };
  const measuring = diskStatusLine(
    now,
    collector({ growthBytesPerDay: null, growthMeasuredMs: 240_000, growthNeedsMs: 600_000 }),
  );
  assert.equal(
    measuring,
    "disk: 3.0 GiB free of 10.0 GiB (30.0%) at /data; growth: unknown yet (the running " +
      "collector (127.0.0.1:9464) has measured for 4 min of the 10 min it needs); days left: unknown",
  );
  const none = diskStatusLine(now, { kind: "absent", port: 9464 });
  assert.match(none, /growth: unknown \(no running collector answered on 127\.0\.0\.1:9464 to/);
  assert.match(none, /days left: unknown$/);
  for (const line of [measuring, none]) assert.doesNotMatch(line, /Inf/);
});

Deno.test("formatBytes picks the unit by size", () => {
  assert.equal(formatBytes(500 * MIB), "500.0 MiB");
  assert.equal(formatBytes(12.25 * GIB), "12.3 GiB");
});

Deno.test("formatRelations() and formatScanner() name where their figures come from", () => {
  const absent: CollectorHealth = { kind: "absent", port: 9464 };
  assert.equal(
    formatRelations({ confirmed: 2, proposed: 5 }, absent),
    "relations: 2 confirmed, 0 incomplete, 5 proposed, 0 stale, 0 rejected (last refresh: " +
      "unknown, no running collector answered on 127.0.0.1:9464)",
  );
  assert.equal(
    formatScanner({ loadable: 2, openEpisodes: 1 }, absent),
    "scanner: not running (no running collector answered on 127.0.0.1:9464); in the database: " +
      "2 confirmed relations to load, 1 live episode not ended",
  );
  const idle: CollectorHealth = {
    kind: "running",
    port: 9464,
    tasks: new Map([["scanner", {
      relations: 0,
      watchedTokens: 0,
      openEpisodes: 0,
      idle: "no confirmed relations yet",
    }]]),
  };
  assert.equal(
    formatScanner({ loadable: 0, openEpisodes: 0 }, idle),
    "scanner: holds 0 relations (0 tokens) (idle: no confirmed relations yet), 0 open " +
      "episodes, per the running collector (127.0.0.1:9464)",
  );
});
