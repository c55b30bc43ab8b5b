/**
 * `trade_hours` (migration 0025), each token's trades per UTC hour, against the trades table
 * itself: the writer adds exactly what it stored (a fill written twice, by one source or two, by
 * writers at once, counts once), the hours are UTC hours whatever the session's time zone, and
 * the migration totals the trades stored before it, and retention drops the totals of the days
 * it drops. In the TimescaleDB suite
 * (`deno task test:timescale`) `trades` is a hypertable.
 */
import assert from "node:assert/strict";
import { BACKENDS, serverTimescale, withDatabase } from "./_db.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { type TradeRow, writeTrades } from "../db/trades.ts";
import type { Queryable } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { localNames, runExportCommand } from "../cli/export_command.ts";
import { loadConfig } from "../runtime/config.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** An hour start, then trades spread over the hours around it. */
const BASE = Date.parse("2026-11-02T10:00:00Z");

function fill(n: number, source: "ws" | "data_api" = "ws"): TradeRow {
  // Whole seconds spread over seven hours on two tokens, prices and sizes with six decimals.
  const ts = BASE - 2 * HOUR + ((n * 7_919) % (7 * 3_600)) * 1000;
  return {
    ts: new Date(ts),
    tokenId: n % 3 === 0 ? "tok-b" : "tok-a",
    tradeKey: "x#0",
    conditionId: "0xc",
    receivedAt: new Date(ts + 500),
    price: (0.01 + (n % 97) / 100 + 0.000003).toFixed(6),
    size: `${10 + (n % 13)}.${String(n % 1_000_000).padStart(6, "0")}`,
    side: n % 2 === 0 ? "BUY" : "SELL",
    feeRateBps: null,
    txHash: `0x${n.toString(16)}`,
    source,
  };
}

/** trade_hours as stored, and as recounted from the trades, both as sorted text rows. */
async function hoursAndRecount(sql: Queryable): Promise<[string[], string[]]> {
  const stored = await sql<{ r: string }[]>`
    select concat_ws(' ', token_id, to_char(hour at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
      trades, notional) as r
    from trade_hours order by token_id, hour`;
  const recount = await sql<{ r: string }[]>`
    select concat_ws(' ', token_id,
      to_char(date_trunc('hour', ts at time zone 'UTC'), 'YYYY-MM-DD HH24:MI:SS'), count(*),
      sum(price::numeric(38, 6) * size::numeric(38, 6))) as r
    from trades group by token_id, date_trunc('hour', ts at time zone 'UTC')
    order by token_id, date_trunc('hour', ts at time zone 'UTC')`;
  return [stored.map((x) => x.r), recount.map((x) => x.r)];
}

for (const backend of BACKENDS) {
  Deno.test(`writeTrades() keeps trade_hours equal to the trades it stored on ${backend}`, async () => {
    await withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
      const first = Array.from({ length: 400 }, (_, n) => fill(n));
      assert.equal((await writeTrades(db.sql, first)).inserted, 400);
      // The same fills again (a replay), some seen by the backfill too, and new ones; a batch
      // that repeats a fill within itself.
      const again = [
        ...first.slice(0, 100),
        ...first.slice(100, 150).map((r) => ({ ...r, source: "data_api" as const })),
        ...Array.from({ length: 100 }, (_, n) => fill(400 + n)),
        fill(450),
      ];
      assert.equal((await writeTrades(db.sql, again)).inserted, 100);
      // Writers at once, overlapping (the embedded database runs them one after another).
      const spans = [[500, 800], [600, 900], [700, 1_000]] as const;
      await Promise.all(
        spans.map(([from, to]) =>
          writeTrades(db.sql, Array.from({ length: to - from }, (_, n) => fill(from + n)))
        ),
      );
      const [stored, recount] = await hoursAndRecount(db.sql);
      assert.equal(
        (await db.sql<{ n: number }[]>`select count(*)::int as n from trades`)[0]!.n,
        1_000,
      );
      assert.ok(stored.length >= 14, `trades over 7 hours on 2 tokens: ${stored.length} hours`);
      assert.deepEqual(stored, recount);
    });
  });
}

Deno.test("trade_hours are whole UTC hours whatever the session's time zone", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    // India is 5 h 30 min ahead of UTC: a local hour would start at hh:30 UTC.
    await db.sql.begin(async (tx) => {
      await tx`set local time zone 'Asia/Kolkata'`;
      await writeTrades(tx, Array.from({ length: 50 }, (_, n) => fill(n)));
    });
    const minutes = await db.sql<{ m: number }[]>`
      select distinct extract(minute from hour at time zone 'UTC')::int as m from trade_hours`;
    assert.deepEqual(minutes.map((r) => r.m), [0]);
    const [stored, recount] = await hoursAndRecount(db.sql);
    assert.deepEqual(stored, recount);
  });
});

Deno.test("migration 0025 totals the trades stored before it", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    const timescale = serverTimescale(db);
    await migrate(db.sql, { log, timescale, migrations: MIGRATIONS.filter((m) => m.version < 25) });
    // Stored as the writer before 0025 did: straight into trades.
    const rows = Array.from({ length: 300 }, (_, n) => fill(n));
    await db.sql`
      insert into trades (ts, token_id, trade_key, price, size, side, source)
      select * from unnest(
        ${rows.map((r) => new Date(Math.floor(r.ts.getTime() / 1000) * 1000).toISOString())}
          ::timestamptz[],
        ${rows.map((r) => r.tokenId)}::text[], ${rows.map((r) => r.txHash!)}::text[],
        ${rows.map((r) => r.price)}::numeric[], ${rows.map((r) => r.size)}::numeric[],
        ${rows.map((r) => r.side)}::text[], ${rows.map(() => "ws")}::text[])`;
    const { applied } = await migrate(db.sql, { log, timescale });
    assert.ok(applied.includes(25), `applied ${applied}`);
    const [stored, recount] = await hoursAndRecount(db.sql);
    assert.ok(stored.length >= 14);
    assert.deepEqual(stored, recount);
  });
});

/** A fill every 20 minutes over the three UTC days from `dayStart`, alternating two tokens. */
async function writeThreeDays(sql: Queryable, dayStart: number): Promise<void> {
  await writeTrades(
    sql,
    Array.from({ length: 3 * 72 }, (_, n) => ({
      ...fill(n),
      ts: new Date(dayStart + 10 * 60_000 + n * 20 * 60_000),
      tokenId: n % 2 === 0 ? "tok-a" : "tok-b",
    })),
  );
}

/** The hours of `trade_hours` per UTC day. */
async function hoursByDay(sql: Queryable): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await sql<{ day: string; n: number }[]>`
      select to_char(hour at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
      from trade_hours group by 1 order by 1`).map((r) => [r.day, r.n]),
  );
}

for (const backend of BACKENDS) {
  Deno.test(`applyRetention() on trades drops the hours' totals of the days it drops (${backend})`, async () => {
    await withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
      // 27–29 November.
      await writeThreeDays(db.sql, Date.parse("2026-11-27T00:00:00Z"));
      const days = ["2026-11-27", "2026-11-28", "2026-11-29"];
      const out = await Deno.makeTempDir({ prefix: "pmcollect_trade_hours_" });
      try {
        const signal = new AbortController().signal;
        for (const day of days) {
          await exportPartition(db.sql, dayPartition("trades", "ts", day), {
            out,
            program: "test",
            signal,
          });
        }
        const hoursPerDay = () => hoursByDay(db.sql);
        const everyDay = { "2026-11-27": 48, "2026-11-28": 48, "2026-11-29": 48 };
        assert.deepEqual(await hoursPerDay(), everyDay);
        // Kept: the 29th and after (two days before the 1st of December).
        const options = { out, retainDays: 2, now: new Date("2026-12-01T08:00:00Z"), signal };
        const dry = await applyRetention(db.sql, "trades", { ...options, dryRun: true });
        assert.ok(dry.every((o) => o.action === "would_drop"), JSON.stringify(dry));
        assert.deepEqual(await hoursPerDay(), everyDay);
        const done = await applyRetention(db.sql, "trades", { ...options, dryRun: false });
        assert.equal(done.reduce((n, o) => n + (o.action === "dropped" ? o.rows : 0), 0), 144);
        assert.deepEqual(await hoursPerDay(), { "2026-11-29": 48 });
        const [stored, recount] = await hoursAndRecount(db.sql);
        assert.deepEqual(stored, recount);
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}

Deno.test("export --tables <own schema>.trades --retain-days: the table's own folder, and the totals of the days it drops go too", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    // The command's clock is the real one: three complete days, 5 to 3 days ago.
    const today = Math.floor(Date.now() / DAY) * DAY;
    await writeThreeDays(db.sql, today - 5 * DAY);
    const day = (back: number) => new Date(today - back * DAY).toISOString().slice(0, 10);
    // Only the session's own schema is dropped from a name.
    assert.deepEqual(
      await localNames(db.sql, [`${db.schema}.trades`, "trades", "pg_catalog.pg_class", "no.such"]),
      ["trades", "trades", "pg_catalog.pg_class", "no.such"],
    );
    const out = await Deno.makeTempDir({ prefix: "pmcollect_trade_hours_cli_" });
    try {
      const lines: string[] = [];
      const code = await runExportCommand(loadConfig({ DATABASE_URL: db.url! }), {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: (line) => lines.push(line),
        args: ["--out", out, "--tables", `${db.schema}.trades`, "--retain-days", "4"],
        program: "pmcollect test",
      });
      assert.equal(code, 0, lines.join("\n"));
      // The folder a dataset build reads (`trades/`), not `<schema>.trades/`.
      const folders = [];
      for await (const e of Deno.readDir(out)) folders.push(e.name);
      assert.deepEqual(folders, ["trades"]);
      assert.ok(lines.includes(`trades ${day(5)}: dropped (72 rows)`), lines.join("\n"));
      assert.deepEqual(await hoursByDay(db.sql), { [day(4)]: 48, [day(3)]: 48 });
      const [stored, recount] = await hoursAndRecount(db.sql);
      assert.deepEqual(stored, recount);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});
