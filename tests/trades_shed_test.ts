/**
 * The trades collector under the disk guard's shed state, against the simulator and a real
 * PostgreSQL: while quotes are shed no quote row is written (trades still are); once the level
 * is back to ok, quote rows follow.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import { createShedState } from "../runtime/shed.ts";
import { setup, startCollector, tokensOf, until } from "./_trades_harness.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);

test("trades: shed quotes are not written while trades are; quotes resume at ok", async () => {
  const sim = await startSimulator({ markets: 10, seed: 7, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_QUOTES_INTERVAL_MS: "100",
  });
  try {
    const open = sim.universe.markets.filter((m) => m.status === "open").slice(0, 5);
    t.activeTokens.publish(tokensOf(open));
    const shed = createShedState("shed_quotes");
    const c = await startCollector({ ...t.deps(t.db.sql), shed });
    await until(() => c.queue.stats.tradesInserted > 20, 10_000);
    // Several quote intervals pass with the tops moving every tick.
    await sleep(600);
    const count = async () =>
      (await t.db.sql<{ n: number }[]>`select count(*)::int as n from quotes`)[0]!.n;
    assert.equal(await count(), 0);
    shed.set("ok");
    await until(async () => (await count()) > 0, 5000);
    await c.stop();
    assert.ok((await count()) > 0);
  } finally {
    await sim.close();
    await t.dispose();
  }
});
