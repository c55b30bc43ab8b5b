/**
 * `pmcollect status` against a fresh schema on the real PostgreSQL, migrated in plain mode: the
 * compression section is one line there. Under TEST_EXPECT_TIMESCALE=1 (the server has
 * TimescaleDB) the plain-server cases do not apply; `status` must still answer there, with its
 * jobs section, even for a job that never succeeded (TimescaleDB says `-infinity`).
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { EXPECT_TIMESCALE, withDatabase } from "../tests/_db.ts";
import { compressionReport, formatBytes, runStatusCommand } from "./status_command.ts";
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
