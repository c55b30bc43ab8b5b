/**
 * The ops outbox against the real PostgreSQL: rows written while the database is unreachable
 * are kept on disk, and a later process (a restart after SIGKILL) adopts and writes them.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { migrate } from "../db/migrate.ts";
import { createOpsOutbox } from "../collectors/_ops_outbox.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "./_db.ts";
import { freePort } from "./_e2e_harness.ts";

const SLOT = new Date("2026-11-30T12:34:00Z");

Deno.test("ops outbox: rows refused by a dead database are kept on disk and adopted by the next process", () =>
  withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_outbox_" });
    const config = loadConfig({ PMCOLLECT_DATA_DIR: dataDir });
    const dead = postgres(`postgres://postgres@127.0.0.1:${freePort()}/test`, {
      max: 1,
      connect_timeout: 2,
      onnotice: () => {},
    });
    try {
      const first = createOpsOutbox({ sql: dead, log, config }, "prices");
      const written = await first.write([
        {
          kind: "gaps",
          rows: [{
            collector: "prices",
            scope: "*",
            startAt: SLOT,
            endAt: new Date(SLOT.getTime() + 60_000),
            cause: "db_unavailable",
          }],
        },
        {
          kind: "run",
          row: {
            collector: "prices",
            startedAt: SLOT,
            finishedAt: SLOT,
            status: "failed",
            rowsWritten: 0,
            errors: 1,
            rejects: 0,
          },
        },
      ]);
      assert.equal(written, false);
      assert.equal(first.pending, 2);
      const files = [...Deno.readDirSync(`${dataDir}/outbox`)].map((e) => e.name);
      assert.deepEqual(files, [`prices-${Deno.pid}.ndjson`]);
      // A restarted process has another pid: the file looks like one an earlier process left.
      await Deno.rename(`${dataDir}/outbox/${files[0]}`, `${dataDir}/outbox/prices-1.ndjson`);
      const next = createOpsOutbox({ sql: db.sql, log, config }, "prices");
      assert.equal(await next.write([]), true);
      const gaps = await db.sql`
        select cause from gaps where collector = 'prices' and start_at = ${SLOT}`;
      assert.deepEqual(gaps.map((g) => g.cause), ["db_unavailable"]);
      const runs = await db.sql`
        select status, finished_at from collector_runs where collector = 'prices'
        and started_at = ${SLOT}`;
      assert.equal(runs[0]?.status, "failed");
      assert.equal((runs[0]?.finished_at as Date).getTime(), SLOT.getTime());
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/outbox`)], [], "the file is gone");
    } finally {
      await dead.end({ timeout: 0 });
      await Deno.remove(dataDir, { recursive: true });
    }
  }));
