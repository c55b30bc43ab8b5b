/**
 * Data that cannot be stored must not stop the data that can (issue 12): rows the database
 * refuses are isolated and rejected while the good rows of the same batch are written and the
 * database stays "up"; damaged spill lines are rejected on replay; real postgres.js errors are
 * classified. Real PostgreSQL, one schema per test.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { classifyDbError } from "../db/error_kind.ts";
import { migrate } from "../db/migrate.ts";
import { recordRejects, REJECT_RAW_MAX_CHARS } from "../db/ops.ts";
import type { TradeRow } from "../db/trades.ts";
import { type QueueItem, TradeQueue } from "../collectors/_trade_queue.ts";
import { SpillFiles } from "../collectors/_spill_file.ts";
import { silentLogger } from "../runtime/log.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";
import { until } from "./_trades_harness.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

function trade(i: number, patch: Partial<TradeRow> = {}): QueueItem {
  return {
    kind: "trade",
    row: {
      ts: new Date(T0 + i),
      tokenId: "1",
      tradeKey: `k${i}#0`,
      conditionId: null,
      receivedAt: new Date(T0 + i),
      price: "0.5",
      size: "1",
      side: "BUY",
      feeRateBps: null,
      // One fill per i: trades are identified by hash, token, side, price, size and second.
      txHash: "0x" + i.toString(16).padStart(64, "0"),
      source: "ws",
      ...patch,
    },
  };
}

async function withQueue(
  fn: (t: { sql: postgres.Sql; queue: TradeQueue; spillDir: string }) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_bad_data_" });
  try {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const spillDir = `${dataDir}/spill`;
    const queue = new TradeQueue({
      sql: db.sql,
      spillDir,
      flushMs: 20,
      flushRows: 1000,
      maxRows: 100_000,
      probeMs: 20,
      log: silentLogger(),
    });
    await fn({ sql: db.sql as postgres.Sql, queue, spillDir });
  } finally {
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function counts(sql: postgres.Sql) {
  const [r] = await sql<{ trades: number; rejects: number; longest: number }[]>`
    select (select count(*)::int from trades) as trades,
           (select count(*)::int from rejects where source = 'trades:queue') as rejects,
           (select coalesce(max(length(raw)), 0)::int from rejects) as longest`;
  return r!;
}

Deno.test("trade queue: a NUL tx hash and a 200,000-digit size are rejected, the 100 good trades of their batch are stored", async () => {
  await withQueue(async ({ sql, queue, spillDir }) => {
    const controller = new AbortController();
    const done = queue.run(controller.signal);
    for (let i = 0; i < 100; i++) {
      if (i === 30) queue.push(trade(1000, { txHash: "0xab\u0000cd" }));
      if (i === 70) queue.push(trade(1001, { size: "9".repeat(200_000) }));
      queue.push(trade(i));
    }
    await until(async () => (await counts(sql)).rejects === 2, 5000);
    controller.abort();
    await done;
    const c = await counts(sql);
    assert.equal(c.trades, 100);
    assert.equal(c.rejects, 2);
    assert.ok(c.longest < 2100, `raw excerpt of ${c.longest} chars`);
    assert.equal(queue.databaseUp, true);
    assert.equal(queue.stats.spilledRows, 0);
    assert.equal(queue.stats.rejectedRows, 2);
    assert.deepEqual(await new SpillFiles(spillDir).list(), []);
  });
});

Deno.test("trade queue: a spill file with damaged lines is replayed once, the damaged lines rejected", async () => {
  await withQueue(async ({ sql, queue, spillDir }) => {
    // Left by an earlier process: good rows, a hand-damaged price, a line cut short, and a
    // date PostgreSQL cannot hold (only the database can tell).
    const spill = new SpillFiles(spillDir);
    await spill.append([trade(0), trade(1), trade(2), trade(3), trade(4)]);
    await spill.close();
    const [file] = await spill.list();
    const lines = (await Deno.readTextFile(file!.path)).trimEnd().split("\n");
    lines[1] = lines[1]!.replace('"price":"0.5"', '"price":"abc"');
    lines[2] = lines[2]!.slice(0, 40);
    lines[3] = lines[3]!.replace(/"ts":"[^"]+"/, '"ts":"-010000-01-01T00:00:00.000Z"');
    await Deno.writeTextFile(file!.path, lines.join("\n") + "\n");
    const controller = new AbortController();
    const done = queue.run(controller.signal);
    await until(async () => (await spill.list()).length === 0, 5000);
    controller.abort();
    await done;
    const c = await counts(sql);
    assert.equal(c.trades, 2);
    assert.equal(c.rejects, 3);
    const reasons = await sql<{ reason: string }[]>`
      select reason from rejects where source = 'trades:queue' order by reason`;
    assert.match(reasons[0]!.reason, /spill line: not JSON/);
    assert.match(reasons[1]!.reason, /spill line: trade\.price/);
    assert.match(reasons[2]!.reason, /trade not stored/);
    assert.equal(queue.databaseUp, true);
    assert.equal(queue.stats.replayedRows, 3);
  });
});

Deno.test("classifyDbError() on real postgres.js errors: refused rows are data, a closed port is down", async () => {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const nul = await sql`select ${"a\u0000b"}::text`.catch((e) => e);
    assert.equal(classifyDbError(nul), "data", String(nul));
    const overflow = await sql`select ${"9".repeat(200_000)}::numeric`.catch((e) => e);
    assert.equal(classifyDbError(overflow), "data", String(overflow));
    const syntax = await sql`select ${"abc"}::numeric`.catch((e) => e);
    assert.equal(classifyDbError(syntax), "data", String(syntax));
  } finally {
    await sql.end();
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const gone = postgres(`postgres://postgres@127.0.0.1:${port}/test`, {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    const refused = await gone`select 1`.catch((e) => e);
    assert.equal(classifyDbError(refused), "connection", String(refused));
  } finally {
    await gone.end();
  }
});

Deno.test("recordRejects() stores a raw payload with a NUL byte, cut to a short excerpt", async () => {
  const db = await createTestDatabase("server");
  try {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const raw = "{not json \u0000" + "x".repeat(100_000);
    await recordRejects(db.sql, [{
      source: "ws:market",
      reason: "invalid JSON",
      path: "frame",
      raw,
    }]);
    const [r] = await db.sql<{ raw: string }[]>`select raw from rejects`;
    assert.ok(r!.raw.startsWith("{not json \\u0000xxx"));
    assert.ok(r!.raw.length <= REJECT_RAW_MAX_CHARS + 30, `${r!.raw.length} chars`);
    assert.match(r!.raw, /\[100011 chars\]$/);
  } finally {
    await db.dispose();
  }
});
