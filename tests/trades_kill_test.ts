/**
 * SIGKILL during a flush: a subprocess collector whose database is unreachable spills trades
 * to disk and is killed; a restarted one replays the spill. Every trade that reached the
 * spill file is stored exactly once.
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startSimulator } from "../simulator/server.ts";
import { setup, tokensOf, until } from "./_trades_harness.ts";
import { TEST_DATABASE_URL, testDatabaseUrlVia } from "./_db.ts";

const ENTRY = fromFileUrl(new URL("./_trades_entry.ts", import.meta.url));

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
