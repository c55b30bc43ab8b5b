/**
 * SIGKILL during a flush: a subprocess collector whose database is unreachable spills trades
 * to disk and is killed; a restarted one replays the spill. Every trade that reached the
 * spill file is stored exactly once. And a crash followed by `backfill --gaps-only`: the
 * daemon killed mid-run and restarted, the backfill fills its downtime, and every trade of the
 * simulator's log is stored exactly once (live, backfilled, or seen by both).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startSimulator } from "../simulator/server.ts";
import { createTestDatabase } from "./_db.ts";
import {
  countRows,
  type Daemon,
  daemonEnv,
  freePort,
  settle,
  simTradeLog,
  spawnDaemon,
  stopCleanly,
  storedTrades,
} from "./_e2e_harness.ts";
import { setup, tokensOf, until } from "./_trades_harness.ts";
import { TEST_DATABASE_URL, testDatabaseUrlVia } from "./_db.ts";

const ENTRY = fromFileUrl(new URL("./_trades_entry.ts", import.meta.url));
const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));

async function spilledTradeKeys(dir: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const e of Deno.readDir(dir)) {
    for (const line of (await Deno.readTextFile(`${dir}/${e.name}`)).split("\n")) {
      try {
        const v = JSON.parse(line);
        if (v.kind === "trade") keys.add(`${v.row.tokenId} ${v.row.tradeKey}`);
      } catch { /* torn last line */ }
    }
  }
  return keys;
}

async function spillSize(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(dir)) n += (await Deno.stat(`${dir}/${e.name}`)).size;
  } catch { /* not yet created */ }
  return n;
}

Deno.test("trades: SIGKILL while spilling, restart → every spilled trade stored exactly once", async () => {
  const sim = await startSimulator({ markets: 20, seed: 8, tickMs: 60_000, lifecycleRate: 0 });
  const t = await setup({});
  const spill = `${t.dataDir}/spill`;
  const child = (dbUrl: string, tokens: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", ENTRY],
      env: {
        DATABASE_URL: dbUrl,
        TEST_SCHEMA: t.db.schema,
        PMCOLLECT_DATA_DIR: t.dataDir,
        PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
        PMCOLLECT_FLUSH_MS: "50",
        PMCOLLECT_QUEUE_MAX_ROWS: "500",
        TRADES_TOKENS: JSON.stringify(tokens),
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  try {
    const ids = tokensOf(sim.universe.markets.filter((m) => m.status === "open")).map((x) =>
      x.tokenId
    );
    // Nothing listens on port 9: every write fails and the queue spills.
    const first = child(testDatabaseUrlVia(9), ids);
    await until(() => sim.control.connectionCount() > 0, 20_000);
    sim.control.load(true);
    await until(async () => (await spillSize(spill)) > 200_000, 20_000);
    first.kill("SIGKILL");
    await first.status;
    sim.control.load(false);
    const spilled = await spilledTradeKeys(spill);
    assert.ok(spilled.size >= 500, `spilled ${spilled.size}`);
    const second = child(TEST_DATABASE_URL, []);
    await until(async () => (await spillSize(spill)) === 0, 20_000);
    second.kill("SIGTERM");
    await second.status;
    const rows = await t.db.sql<{ token_id: string; trade_key: string; tx_hash: string }[]>`
      select token_id, trade_key, tx_hash from trades`;
    const stored = new Set(rows.map((r) => `${r.token_id} ${r.trade_key}`));
    for (const k of spilled) assert.ok(stored.has(k), `missing ${k}`);
    assert.equal(new Set(rows.map((r) => r.tx_hash)).size, rows.length);
  } finally {
    await sim.close();
    await t.dispose();
  }
});

Deno.test("trades: SIGKILL, restart, then backfill --gaps-only → every simulator trade stored exactly once", async () => {
  const sim = await startSimulator({ markets: 8, seed: 31, lifecycleRate: 0 });
  sim.control.pause();
  const before = sim.control.tradeCount();
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_crash_backfill_" });
  const daemons: Daemon[] = [];
  const start = () => {
    const d = spawnDaemon(daemonEnv({
      databaseUrl: db.url!,
      sim,
      dataDir,
      healthPort: freePort(),
      settings: { PMCOLLECT_COLLECTORS: "markets,trades", PMCOLLECT_FLUSH_MS: "1000" },
    }));
    daemons.push(d);
    return d;
  };
  const listening = async (d: Daemon) => {
    await d.waitFor((e) => e.event === "collecting", 20_000);
    await until(() => sim.control.connectionCount() > 0, 20_000);
    await sleep(1000); // the subscription is answered
  };
  try {
    const first = start();
    await listening(first);
    sim.control.resume();
    await until(async () => (await countRows(db.sql, "trades")) >= 50, 20_000);
    await sleep(400); // trades still queued in memory when the kill comes
    assert.equal((await first.stop("SIGKILL")).code, 137);
    await sleep(1500); // the venue trades on while nobody listens
    sim.control.pause();
    const second = start();
    await listening(second);
    sim.control.resume();
    const resumedAt = Date.now();
    await until(
      async () =>
        (await db.sql`select 1 from trades where ts > ${new Date(resumedAt)}`).length >= 20,
      20_000,
    );
    sim.control.pause();
    await settle(() => countRows(db.sql, "trades"), { quietMs: 2_000, maxMs: 15_000 });
    await stopCleanly(second);
    const live = await countRows(db.sql, "trades");

    const backfill = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "backfill",
        "--gaps-only",
        "--until",
        new Date(Date.now() + 1000).toISOString(),
      ],
      env: daemonEnv({ databaseUrl: db.url!, sim, dataDir, healthPort: 0 }),
      stdin: "null",
    }).output();
    const out = new TextDecoder().decode(backfill.stdout);
    assert.equal(backfill.code, 0, out + new TextDecoder().decode(backfill.stderr));

    const log = await simTradeLog(sim);
    const generated = [...log].filter(([, t]) => t.order > before);
    const rows = await storedTrades(db.sql);
    const times = new Map<string, number>();
    for (const r of rows) times.set(r.tx_hash, (times.get(r.tx_hash) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1).map(([tx]) => tx);
    assert.deepEqual(twice, [], `${twice.length} trades stored more than once`);
    const missing = generated.filter(([tx]) => !times.has(tx)).map(([tx]) => tx);
    assert.deepEqual(missing, [], `${missing.length} of ${generated.length} trades not stored`);
    assert.equal(rows.length, generated.length, "nothing stored that the venue did not trade");
    const [sources] = await db.sql<{ backfilled: string; both: string }[]>`
      select count(*) filter (where received_at is null) as backfilled,
             count(*) filter (where received_at is not null
                              and backfill_received_at is not null) as both
      from trades`;
    // The crash lost trades that only the backfill brought back, and the backfill saw again
    // trades already stored live (its windows start at the second of the last live trade).
    assert.ok(Number(sources?.backfilled) > 0, `${rows.length - live} backfilled: ${out}`);
    assert.ok(Number(sources?.both) > 0, "some fills were seen by both sources");
  } finally {
    for (const d of daemons) await d.stop("SIGKILL").catch(() => {});
    await sim.close();
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
});
