import assert from "node:assert/strict";
import { recordGaps } from "../db/ops.ts";
import { silentLogger } from "../runtime/log.ts";
import { planBackfill } from "../backfill/plan.ts";
import { runBackfill } from "../backfill/run.ts";
import { estimateBackfill } from "../backfill/estimate.ts";
import { expectedPricePoints, insertLive, setupBackfill } from "./_backfill_harness.ts";

const log = silentLogger();

Deno.test("backfill fills a recorded gap exactly once (a second run adds nothing)", async () => {
  const h = await setupBackfill();
  try {
    const token = h.markets[0]!.tokenIds[0];
    const gap = { from: h.firstSecond + 1, to: h.lastSecond };
    const inGap = (t: { tokenId: string; second: number }) =>
      t.tokenId === token && t.second >= gap.from && t.second < gap.to;
    await insertLive(h.db.sql, h.log.filter((t) => !inGap(t)));
    const startAt = new Date(gap.from * 1000);
    const endAt = new Date(gap.to * 1000);
    await recordGaps(h.db.sql, [
      { collector: "trades", scope: token, startAt, endAt, cause: "ws_stall" },
      { collector: "prices", scope: token, startAt, endAt, cause: "http_503" },
      { collector: "books", scope: token, startAt, endAt, cause: "http_503" },
    ]);
    const { client } = h.http();
    const now = new Date();
    const plan = await planBackfill(h.db.sql, { gapsOnly: true, now });
    assert.equal(plan.windows.length, 2);
    assert.match(plan.skipped[0]?.why ?? "", /book snapshots cannot be backfilled/);
    const first = await runBackfill(
      { sql: h.db.sql, http: client, log },
      plan,
      AbortSignal.timeout(20_000),
    );
    const missing = h.log.filter(inGap).length;
    assert.ok(missing > 0);
    assert.equal(first.rowsByKind.trades, missing);
    const prices = expectedPricePoints(h.log.filter((t) => t.tokenId === token), gap);
    assert.equal(first.rowsByKind.prices, prices);
    assert.equal(first.gapsMarked, 2);
    const gaps = await h.db.sql<
      { collector: string; backfilled_at: Date | null; backfill_rows: string | null }[]
    >`
      select collector, backfilled_at, backfill_rows from gaps order by collector`;
    assert.deepEqual(gaps.map((g) => [g.collector, g.backfilled_at !== null, g.backfill_rows]), [
      ["books", false, null],
      ["prices", true, String(prices)],
      ["trades", true, String(missing)],
    ]);
    const tokenTrades = h.log.filter((t) => t.tokenId === token).length;
    const [stored] = await h.db.sql<{ n: string }[]>`
      select count(*) as n from trades where token_id = ${token}`;
    assert.equal(Number(stored?.n), tokenTrades);

    const again = await planBackfill(h.db.sql, { gapsOnly: true, now });
    const second = await runBackfill(
      { sql: h.db.sql, http: client, log },
      again,
      AbortSignal.timeout(20_000),
    );
    assert.equal(second.rows, 0);
    assert.equal(second.requests, 0);
  } finally {
    await h.dispose();
  }
});
