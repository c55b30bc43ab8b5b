import assert from "node:assert/strict";
import { recordGaps } from "../db/ops.ts";
import { silentLogger } from "../runtime/log.ts";
import { DEFAULT_BUDGETS } from "../polymarket/rate_limiter.ts";
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

Deno.test("an interrupted backfill resumes from its checkpoints without duplicates", async () => {
  const h = await setupBackfill();
  try {
    const since = new Date((h.firstSecond - 1) * 1000);
    const until = new Date((h.lastSecond + 1) * 1000);
    const { client } = h.http();
    const aborter = new AbortController();
    const plan = await planBackfill(h.db.sql, { since, until, now: new Date() });
    const full = estimateBackfill(plan, {
      budgets: DEFAULT_BUDGETS,
      concurrency: 1,
      pageSize: 1000,
    });
    let firstRequests = 0;
    const interrupted = runBackfill(
      {
        sql: h.db.sql,
        http: client,
        log,
        concurrency: 1,
        onProgress: (p) => {
          firstRequests = p.requests;
          if (p.requests >= 7) aborter.abort(new Error("Ctrl-C"));
        },
      },
      plan,
      aborter.signal,
    );
    await assert.rejects(interrupted, /Ctrl-C/);
    const [partial] = await h.db.sql<{ n: string }[]>`select count(*) as n from price_history`;
    assert.ok(Number(partial?.n) > 0, "the first run stored something");

    const resumed = await planBackfill(h.db.sql, { since, until, now: new Date() });
    assert.ok(resumed.windows.some((w) => w.done), "finished windows are skipped");
    const rest = await runBackfill(
      { sql: h.db.sql, http: client, log },
      resumed,
      AbortSignal.timeout(20_000),
    );
    const total = full.requests["clob:prices-history"] + full.requests["data:trades"];
    assert.ok(rest.requests < total && rest.requests >= total - firstRequests - 1);
    const [trades] = await h.db.sql<{ n: string; keys: string }[]>`
      select count(*) as n, count(distinct tx_hash) as keys from trades where source = 'data_api'`;
    assert.equal(Number(trades?.n), h.log.length);
    assert.equal(Number(trades?.keys), h.log.length);
    const [prices] = await h.db.sql<{ n: string }[]>`select count(*) as n from price_history`;
    const range = { from: h.firstSecond - 1, to: h.lastSecond + 1 };
    assert.equal(Number(prices?.n), expectedPricePoints(h.log, range));
  } finally {
    await h.dispose();
  }
});

Deno.test("backfill --dry-run estimates requests exactly and duration within 20 %", async () => {
  const h = await setupBackfill();
  try {
    const since = new Date((h.firstSecond - 1) * 1000);
    const until = new Date((h.lastSecond + 1) * 1000);
    const budgets = {
      ...DEFAULT_BUDGETS,
      "clob:prices-history": { limit: 3, windowMs: 1000 },
      "data:trades": { limit: 2, windowMs: 1000 },
    };
    const { client, counts } = h.http(budgets);
    const plan = await planBackfill(h.db.sql, { since, until, now: new Date() });
    const estimate = estimateBackfill(plan, {
      budgets,
      concurrency: 4,
      pageSize: 1000,
      latencyMs: 5,
    });
    const result = await runBackfill(
      { sql: h.db.sql, http: client, log, concurrency: 4 },
      plan,
      AbortSignal.timeout(20_000),
    );
    assert.deepEqual(result.requestsByEndpoint, estimate.requests);
    assert.equal(counts.get("clob:prices-history"), estimate.requests["clob:prices-history"]);
    assert.equal(counts.get("data:trades"), estimate.requests["data:trades"]);
    const error = Math.abs(result.durationMs - estimate.durationMs) / estimate.durationMs;
    assert.ok(estimate.durationMs >= 2000, `rate-bound estimate ${estimate.durationMs} ms`);
    assert.ok(error <= 0.2, `estimated ${estimate.durationMs} ms, took ${result.durationMs} ms`);
  } finally {
    await h.dispose();
  }
});
