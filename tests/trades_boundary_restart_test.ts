/**
 * Issue 25's outside trial, through the product: the daemon (`main.ts run`, markets and trades)
 * killed with SIGKILL twice and restarted each time, then stopped cleanly while the venue
 * trades, which goes on trading a moment after the stop; then `backfill --since --until` over
 * the whole run. Every simulator trade of the catalogued markets is stored exactly once: live,
 * backfilled, or seen by both. The venue never pauses, so the seconds of every kill, start
 * and stop hold trades.
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
  simTradeLog,
  spawnDaemon,
  stopCleanly,
  storedTrades,
} from "./_e2e_harness.ts";
import { until } from "./_trades_harness.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));

Deno.test("trades: two SIGKILLs and a clean stop while trading, then backfill --since --until → every trade stored exactly once", async () => {
  const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  const sim = await startSimulator({ markets: 8, seed: 41, lifecycleRate: 0, tickMs: 100 });
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_boundary_restart_" });
  const daemons: Daemon[] = [];
  const env = (healthPort: number) =>
    daemonEnv({
      databaseUrl: db.url!,
      sim,
      dataDir,
      healthPort,
      settings: { PMCOLLECT_COLLECTORS: "markets,trades", PMCOLLECT_FLUSH_MS: "500" },
    });
  /** Starts a daemon and waits until it has stored trades of its own. */
  const run = async () => {
    const d = spawnDaemon(env(freePort()));
    daemons.push(d);
    await d.waitFor((e) => e.event === "collecting", 20_000);
    const at = new Date();
    await until(
      async () => (await db.sql`select 1 from trades where received_at > ${at}`).length >= 20,
      20_000,
    );
    return d;
  };
  try {
    for (let kill = 0; kill < 2; kill++) {
      const d = await run();
      assert.equal((await d.stop("SIGKILL")).code, 137);
      await sleep(700); // the venue trades on while nobody listens
    }
    // The stop's gap starts at the stop less the in-flight margin, or at the daemon's start
    // when it ran for less than that: never before this instant, unlike the crash gaps.
    const lastSpawnedAt = new Date();
    const last = await run();
    await stopCleanly(last);
    const stopped = await db.sql<{ open: boolean }[]>`
      select (detail->>'open')::boolean as open from gaps
      where collector = 'trades' and scope = '*' and start_at >= ${lastSpawnedAt}`;
    assert.deepEqual(stopped.map((g) => g.open), [true], "the stop is in the ledger at once");
    await sleep(1000); // and after the stop
    sim.control.pause();
    await sleep(1100);
    const live = await countRows(db.sql, "trades");

    const backfill = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "backfill",
        "--since",
        since.toISOString(),
        "--until",
        new Date().toISOString(),
      ],
      env: env(0),
      stdin: "null",
    }).output();
    const out = new TextDecoder().decode(backfill.stdout);
    assert.equal(backfill.code, 0, out + new TextDecoder().decode(backfill.stderr));

    const tokens = new Set(
      (await db.sql<{ token_id: string }[]>`select token_id from tokens`).map((r) => r.token_id),
    );
    const venue = [...await simTradeLog(sim)].filter(([, t]) => tokens.has(t.tokenId));
    const rows = await storedTrades(db.sql);
    const times = new Map<string, number>();
    for (const r of rows) times.set(r.tx_hash, (times.get(r.tx_hash) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1).map(([tx]) => tx);
    assert.deepEqual(twice, [], `${twice.length} trades stored more than once`);
    const missing = venue.filter(([tx]) => !times.has(tx))
      .map(([tx, t]) => `${tx} at ${t.timestampS}`);
    assert.deepEqual(missing, [], `${missing.length} of ${venue.length} trades not stored`);
    assert.equal(rows.length, venue.length, "nothing stored that the venue did not trade");
    assert.ok(rows.length > live, `the backfill added trades: ${out}`);
  } finally {
    for (const d of daemons) await d.stop("SIGKILL").catch(() => {});
    await sim.close();
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
});
