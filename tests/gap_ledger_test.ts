/**
 * The gap ledger's connection-outage rows (scope `conn:<id>`, `tokens` listed) read back by
 * backfill planning and the quality report as exactly those tokens over exactly that interval,
 * on a real PostgreSQL against the simulator's Data API.
 */
import assert from "node:assert/strict";
import { recordGaps } from "../db/ops.ts";
import { planBackfill } from "../backfill/plan.ts";
import { measureDataQuality } from "../backfill/quality.ts";
import { runBackfill } from "../backfill/run.ts";
import { silentLogger } from "../runtime/log.ts";
import { insertLive, setupBackfill } from "./_backfill_harness.ts";

Deno.test("one outage row of a connection with N tokens → backfill fills exactly those N tokens' windows", async () => {
  const h = await setupBackfill();
  try {
    // A connection that owned 5 tokens of 3 markets (not every token of every market).
    const tokens = h.markets.slice(0, 3).flatMap((m) => m.tokenIds).slice(0, 5);
    const gap = { from: h.firstSecond + 1, to: h.lastSecond };
    const inGap = (t: { tokenId: string; second: number }) =>
      tokens.includes(t.tokenId) && t.second >= gap.from && t.second < gap.to;
    await insertLive(h.db.sql, h.log.filter((t) => !inGap(t)));
    const row = {
      collector: "trades",
      scope: "conn:4",
      startAt: new Date(gap.from * 1000),
      endAt: new Date(gap.to * 1000),
      cause: "disconnected",
      tokens,
      detail: { connection: 4, tokens: tokens.length, code: 1006 },
    };
    await recordGaps(h.db.sql, [row]);
    await recordGaps(h.db.sql, [row]); // a spill replay
    const stored = await h.db.sql<{ tokens: string[] }[]>`select tokens from gaps`;
    assert.equal(stored.length, 1);
    assert.deepEqual([...stored[0]!.tokens].sort(), [...tokens].sort());

    const now = new Date();
    // A selection holding only some of the outage's tokens fills those and leaves it open.
    const first = h.markets[0]!;
    const partial = await planBackfill(h.db.sql, { gapsOnly: true, now, markets: [first.id] });
    assert.deepEqual(partial.windows.map((w) => w.scope).sort(), [...first.tokenIds].sort());
    assert.equal(partial.gaps.length, 0);

    const plan = await planBackfill(h.db.sql, { gapsOnly: true, now });
    assert.deepEqual(plan.windows.map((w) => w.scope).sort(), [...tokens].sort());
    for (const w of plan.windows) {
      assert.equal(w.kind, "trades");
      assert.equal(w.startAt.getTime(), gap.from * 1000);
      // Through the second of its end (issue 25): fills stamped in it may not all be stored.
      assert.equal(w.endAt.getTime(), gap.to * 1000 + 1000);
    }
    const result = await runBackfill(
      { sql: h.db.sql, http: h.http().client, log: silentLogger() },
      plan,
      AbortSignal.timeout(20_000),
    );
    const missing = h.log.filter(inGap).length;
    assert.ok(missing > 0);
    assert.equal(result.rowsByKind.trades, missing);
    assert.equal(result.gapsMarked, 1);
    const [n] = await h.db.sql<{ n: string }[]>`select count(*) as n from trades`;
    assert.equal(Number(n?.n), h.log.length, "every trade once, none outside the tokens");

    const quality = await measureDataQuality(h.db.sql, { now });
    const minutes = Math.round((tokens.length * (gap.to - gap.from)) / 6) / 10;
    assert.deepEqual(
      quality.gaps.map((g) => [g.collector, g.cause, g.gaps, g.minutes, g.backfilled]),
      [["trades", "disconnected", tokens.length, minutes, tokens.length]],
    );
  } finally {
    await h.dispose();
  }
});
