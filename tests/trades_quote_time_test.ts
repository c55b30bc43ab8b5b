/**
 * Quotes are stamped when they were true, through the real listener: the simulator's
 * subscription snapshots carry the book's last change (its seeding, days to months back), and
 * every quote row the trades collector writes into a real PostgreSQL is dated within the run,
 * not back there (issue 26: 78,785 quotes spread over ~400 old daily chunks).
 */
import assert from "node:assert/strict";
import { startSimulator } from "../simulator/server.ts";
import { setup, startCollector, tokensOf, until } from "./_trades_harness.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);
const DAY_MS = 86_400_000;

test("trades: quotes from months-old subscription snapshots are dated at receipt", async () => {
  // No activity: each book keeps its seeding as its last change, as a quiet market does.
  const sim = await startSimulator({
    markets: 10,
    seed: 7,
    tickMs: 50,
    activityPerTick: 0,
    lifecycleRate: 0,
  });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_QUOTES_INTERVAL_MS: "100",
  });
  try {
    const open = sim.universe.markets.filter((m) => m.status === "open").slice(0, 5);
    // The premise: these books were last changed (seeded) at least days before this run.
    assert.ok(open.every((m) => m.createdAtMs < Date.now() - DAY_MS));
    const tokens = tokensOf(open).map((t) => t.tokenId);
    const from = Date.now();
    t.activeTokens.publish(tokensOf(open));
    const c = await startCollector(t.deps(t.db.sql));
    const quoted = async () =>
      (await t.db.sql<{ n: number }[]>`
        select count(distinct token_id)::int as n from quotes
        where token_id = any(${tokens})`)[0]!.n;
    // Every token's first quote comes from its subscription snapshot.
    await until(async () => (await quoted()) === tokens.length, 10_000);
    await c.stop();
    const to = Date.now();
    const [span] = await t.db.sql<{ first: Date; last: Date; n: number }[]>`
      select min(ts) as first, max(ts) as last, count(*)::int as n from quotes`;
    assert.ok(span!.n >= tokens.length);
    // Same host: the simulator's send times and our receive times are both within the run.
    assert.ok(span!.first.getTime() >= from - 1000, `a quote at ${span!.first.toISOString()}`);
    assert.ok(span!.last.getTime() <= to + 1000, `a quote at ${span!.last.toISOString()}`);
  } finally {
    await sim.close();
    await t.dispose();
  }
});
