/**
 * Walks that leave unchanged Gamma markets unparsed (`polymarket/gamma_unchanged.ts`), end to
 * end: the markets and prices collectors against the simulator and a real PostgreSQL schema,
 * two walks in one running collector with a change in between. What the second walk stores
 * must be what a walk parsing every market would store: the changed market applied, a newly
 * listed market stored, and no market or token dropped.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createCollectorEnv } from "./_collector_env.ts";
import { runMarketsCollector } from "../collectors/markets.ts";
import { appendPriceRows, runPricesCollector } from "../collectors/prices.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import type { PriceSnapshotRow } from "../db/prices.ts";
import { walkUniverse } from "../collectors/_universe.ts";

type Run = (deps: CollectorDeps, signal: AbortSignal) => Promise<void>;

/** Starts `run`; `until(n)` waits for its n-th finished cycle and returns that run's detail. */
function start(deps: CollectorDeps, collector: string, run: Run) {
  const controller = new AbortController();
  const running = run(deps, controller.signal).catch((err) => {
    if (!controller.signal.aborted) throw err;
  });
  return {
    async until(
      n: number,
    ): Promise<{ detail: Record<string, number>; started: Date; status: string }> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const rows = await deps.sql<
          { detail: Record<string, number>; started_at: Date; status: string }[]
        >`
          select detail, started_at, status from collector_runs
          where collector = ${collector} and finished_at is not null order by started_at`;
        if (rows.length >= n) {
          const row = rows[n - 1]!;
          return { detail: row.detail, started: row.started_at, status: row.status };
        }
        if (Date.now() > deadline) throw new Error(`${collector} cycle ${n} did not finish`);
        await delay(20);
      }
    },
    async [Symbol.asyncDispose]() {
      controller.abort(new Error("test over"));
      await running;
    },
  };
}

Deno.test("markets collector: a second walk skips unchanged markets but applies a changed and a new one", async () => {
  await using env = await createCollectorEnv({
    // 5 s (a 10 s deadline): a first walk of 300 markets on a loaded CI host passed 4 s.
    settings: { PMCOLLECT_MARKETS_INTERVAL_S: "5" },
    simulator: { seed: 23, markets: 300 },
  });
  const { deps, sim } = env;
  await using collector = start(deps, "markets", runMarketsCollector);
  const first = await collector.until(1);
  assert.equal(first.status, "ok", `the first walk: ${JSON.stringify(first.detail)}`);
  assert.equal(first.detail.unchanged, 0, "the first walk parses every market");

  const [target] = await deps.sql<{ market_id: string; condition_id: string; rate: string }[]>`
    select market_id, condition_id, fee_rate::text as rate from markets
    where fee_rate is not null and active and not closed order by market_id limit 1`;
  assert.ok(target, "a fee-charging open market");
  const newRate = target.rate === "0.05" ? "0.06" : "0.05";
  assert.ok(sim.control.changeFee(target.condition_id, newRate));
  const listed = sim.control.listMarket();
  assert.ok(listed !== null, "the simulator has a market to list");

  const second = await collector.until(2);
  assert.equal(second.status, "ok", `the second walk: ${JSON.stringify(second.detail)}`);
  assert.equal(second.detail.markets, first.detail.markets + 1);
  assert.ok(second.detail.unchanged > 0, "unchanged markets were not parsed again");
  assert.ok(
    second.detail.unchanged <= second.detail.markets - 2,
    "the changed and the new market were parsed",
  );
  const [current] = await deps.sql<{ rate: string }[]>`
    select fee_rate::text as rate from markets where market_id = ${target.market_id}`;
  assert.equal(current?.rate, newRate);
  const tokens = await deps.sql<{ token_id: string }[]>`
    select token_id from tokens where market_id = ${listed}`;
  assert.equal(tokens.length, 2, "the new market and its tokens are stored");
  const active = deps.activeTokens.current();
  assert.ok(tokens.every((t) => active.has(t.token_id)), "its tokens are active");
  // Every token active after the first walk is still active: unchanged markets are not dropped.
  const [open] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from tokens t join markets m using (market_id)
    where m.active and not m.closed`;
  assert.equal(active.size, open!.n);
});

Deno.test("prices collector: a second walk writes every token, unchanged markets from the rows they gave", async () => {
  await using env = await createCollectorEnv({
    settings: { PMCOLLECT_PRICES_INTERVAL_S: "2" },
    simulator: { seed: 29, markets: 200 },
  });
  const { deps, sim } = env;
  await using collector = start(deps, "prices", runPricesCollector);
  await collector.until(1);

  const [m] = sim.universe.markets.filter((x) => x.status === "open");
  assert.ok(m, "an open market");
  assert.ok(
    sim.control.setBook(m.conditionId, { bids: [["0.31", "100"]], asks: [["0.35", "80"]] }),
  );
  const second = await collector.until(2);
  assert.ok(second.detail.unchanged > 0, "unchanged markets were not parsed again");
  assert.ok(second.detail.unchanged < second.detail.markets, "the changed market was parsed");

  // What a walk that parses every market gives for that minute, against what was stored.
  const expected: PriceSnapshotRow[] = [];
  for await (const page of walkUniverse(deps, AbortSignal.timeout(10_000))) {
    for (const market of page.items) appendPriceRows(expected, market, second.started);
  }
  const stored = await deps.sql<
    { token_id: string; price: string | null; best_bid: string | null; best_ask: string | null }[]
  >`
    select token_id, price::text, best_bid::text, best_ask::text from price_snapshots
    where ts = ${second.started} order by token_id`;
  const want = expected.map((r) => ({
    token_id: r.tokenId,
    price: r.price,
    best_bid: r.bestBid,
    best_ask: r.bestAsk,
  })).sort((a, b) => a.token_id < b.token_id ? -1 : 1);
  assert.equal(stored.length, want.length, "one row per token");
  assert.deepEqual(stored.map((r) => ({ ...r })), want);
  const changed = stored.find((r) => r.token_id === m.tokenIds[0]);
  assert.equal(changed?.best_bid, "0.31");
});
