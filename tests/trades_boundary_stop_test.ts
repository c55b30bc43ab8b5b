/**
 * Issue 25, "every trade, at every boundary": a clean stop of the trades collector writes the
 * interval it leaves uncovered to the gap ledger at once (open-ended, from its last covered
 * instant), the next start closes that row instead of writing another, and a run whose stop
 * falls in a second with trades, followed by `backfill --since --until` over the whole run,
 * stores every simulator trade exactly once (live, backfilled, or seen by both).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { planBackfill } from "../backfill/plan.ts";
import { runBackfill } from "../backfill/run.ts";
import { IN_FLIGHT_MS, recordTradesDowntime } from "../collectors/_downtime_gap.ts";
import type { Queryable } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";
import { simulatorHttp, storeCatalog } from "./_backfill_harness.ts";
import { simTradeLog, storedTrades } from "./_e2e_harness.ts";
import { setup, startCollector, tokensOf, until } from "./_trades_harness.ts";

const log = silentLogger();

/** The trades collector's process-downtime rows (scope "*"). */
async function downtimeRows(sql: Queryable) {
  return await sql<{ start_at: Date; end_at: Date; detail: { open?: boolean } }[]>`
    select start_at, end_at, detail from gaps
    where collector = 'trades' and scope = '*' and cause = 'downtime' order by start_at`;
}

Deno.test("trades: a clean stop records the interval after it at once; the next start closes that row", async () => {
  const sim = await startSimulator({ markets: 6, seed: 5, tickMs: 50, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl });
  try {
    const markets = sim.universe.markets.filter((m) => m.status === "open");
    t.activeTokens.publish(tokensOf(markets));
    const runStart = Date.now();
    const first = await startCollector(t.deps(t.db.sql));
    await until(() => first.queue.stats.tradesInserted > 5, 10_000);
    // Longer than the margin, so the row starts at the stop minus the margin.
    await sleep(Math.max(0, runStart + IN_FLIGHT_MS + 1000 - Date.now()));
    const stopping = Date.now();
    await first.stop();
    const stopped = Date.now();

    // At once, before anything starts again: one open row from the last covered instant.
    const [stop, ...others] = await downtimeRows(t.db.sql);
    assert.deepEqual(others, []);
    assert.ok(stop !== undefined, "the stop wrote no gap");
    assert.equal(stop.detail.open, true);
    const end = stop.end_at.getTime();
    assert.ok(end >= stopping && end <= stopped, `ends at the stop: ${stop.end_at.toISOString()}`);
    assert.equal(stop.start_at.getTime(), end - IN_FLIGHT_MS);

    // The next start closes that row at its start: no second row for the same downtime.
    await sleep(300);
    const startedAt = new Date();
    const closed = await recordTradesDowntime(t.deps(t.db.sql), startedAt);
    assert.equal(closed?.startAt.getTime(), stop.start_at.getTime());
    const after = await downtimeRows(t.db.sql);
    assert.deepEqual(
      after.map((g) => [g.start_at.getTime(), g.end_at.getTime(), g.detail.open]),
      [[stop.start_at.getTime(), startedAt.getTime(), false]],
    );
  } finally {
    await sim.close();
    await t.dispose();
  }
});

Deno.test("trades: a stop in a second with trades, then backfill --since --until → every trade stored exactly once", async () => {
  const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  const sim = await startSimulator({ markets: 10, seed: 12, tickMs: 50, lifecycleRate: 0 });
  const t = await setup({ PMCOLLECT_WS_MARKET_URL: sim.wsUrl });
  try {
    const markets = sim.universe.markets.filter((m) => m.status === "open");
    await storeCatalog(t.db.sql, markets);
    const tokens = new Set(markets.flatMap((m) => m.tokenIds));
    t.activeTokens.publish(tokensOf(markets));
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.queue.stats.tradesInserted > 100, 20_000);
    // Stop early in a second: the venue then trades on in that second after the stop (stopped
    // late in one, the second could end before the stop did, leaving nothing to test).
    await sleep(1000 - (Date.now() % 1000) + 50);
    const stopSecond = Math.floor(Date.now() / 1000);
    await c.stop();
    // The venue trades on after the stop, in the stop's second and later.
    await sleep(1500);
    sim.control.pause();
    await sleep(1100);
    const live = new Set((await storedTrades(t.db.sql)).map((r) => r.tx_hash));

    const runUntil = new Date();
    const plan = await planBackfill(t.db.sql, { since, until: runUntil, now: runUntil });
    const result = await runBackfill(
      { sql: t.db.sql, http: simulatorHttp(sim.url).client, log },
      plan,
      AbortSignal.timeout(30_000),
    );
    assert.equal(result.failedUnits, 0);

    const venue = [...await simTradeLog(sim)].filter(([, x]) => tokens.has(x.tokenId));
    const inStopSecond = venue.filter(([tx, x]) => x.timestampS === stopSecond && !live.has(tx));
    assert.ok(inStopSecond.length > 0, "the stop's second had trades the listener did not store");
    assert.ok(result.tradesAlreadyStored > 0, "the backfill saw live fills again at the edges");
    const rows = await storedTrades(t.db.sql);
    const times = new Map<string, number>();
    for (const r of rows) times.set(r.tx_hash, (times.get(r.tx_hash) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1).map(([tx]) => tx);
    assert.deepEqual(twice, [], `${twice.length} trades stored more than once`);
    const missing = venue.filter(([tx]) => !times.has(tx))
      .map(([tx, x]) => `${tx} at ${x.timestampS} (stop second ${stopSecond})`);
    assert.deepEqual(missing, [], `${missing.length} of ${venue.length} trades not stored`);
    assert.equal(rows.length, venue.length, "nothing stored that the venue did not trade");
    // The stop's row stays open: its end is not known until the collector starts again.
    const [stop, ...others] = await downtimeRows(t.db.sql);
    assert.equal(stop?.detail.open, true);
    assert.deepEqual(others, []);
    const [marked] = await t.db.sql<{ backfilled_at: Date | null }[]>`
      select backfilled_at from gaps where collector = 'trades' and scope = '*'`;
    assert.equal(marked?.backfilled_at, null);
  } finally {
    await sim.close();
    await t.dispose();
  }
});
