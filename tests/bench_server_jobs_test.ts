/**
 * The storage bench's job runner (bench/_server_jobs.ts) runs the server's own jobs at the ages
 * a server would see in simulated time: a day chunk of quotes written two days back by the
 * server's clock is not compressed 30 simulated minutes after it ends (its policy compresses an
 * hour after), and is 90 minutes after; the schedules are kept (a 30-minute policy runs twice in
 * an hour). TimescaleDB only (TEST_EXPECT_TIMESCALE=1).
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { insertQuotes } from "../db/trades.ts";
import { silentLogger } from "../runtime/log.ts";
import { ServerJobs } from "../bench/_server_jobs.ts";
import { EXPECT_TIMESCALE, withDatabase } from "./_db.ts";

const DAY = 86_400_000;
const MINUTE = 60_000;

Deno.test({
  name: "ServerJobs compresses a chunk when it is compress_after old in simulated time, not before",
  ignore: !EXPECT_TIMESCALE,
  fn: async () => {
    await withDatabase("server", async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: "require" });
      const start = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY;
      await insertQuotes(db.sql, [
        { ts: new Date(start + 5 * MINUTE), tokenId: "1", bestBid: "0.4", bestAsk: "0.6" },
        { ts: new Date(start + DAY - MINUTE), tokenId: "1", bestBid: "0.41", bestAsk: "0.6" },
      ]);
      const compressed = async () => {
        const rows = await db.sql<{ compressed: boolean }[]>`
          select is_compressed as compressed from timescaledb_information.chunks
          where hypertable_schema = ${db.schema} and hypertable_name = 'quote_data'`;
        assert.equal(rows.length, 1);
        return rows[0]!.compressed;
      };
      const jobs = await ServerJobs.load(db.sql, db.schema, start);
      const quotePolicy = () =>
        jobs.runs.find((r) => r.proc === "policy_compression" && r.target === "quote_data")!;
      await jobs.runDue(start + DAY + 30 * MINUTE);
      assert.equal(quotePolicy().runs, 1);
      assert.equal(await compressed(), false, "compressed 30 min after the chunk ended");
      await jobs.runDue(start + DAY + 30 * MINUTE); // not due again at the same instant
      assert.equal(quotePolicy().runs, 1);
      await jobs.runDue(start + DAY + 90 * MINUTE);
      assert.equal(quotePolicy().runs, 2);
      assert.equal(await compressed(), true, "not compressed 90 min after the chunk ended");
      const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from quotes`;
      assert.equal(n!.n, 2);
    });
  },
});
