/**
 * REST collectors (markets, prices, books) against the local simulator and a real PostgreSQL,
 * each test in its own schema. Intervals are shrunk through the configuration and every
 * collector runs under an AbortController that the test aborts at the end.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import type { RawSettings } from "../runtime/config.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import type { SimulatorOptions } from "../simulator/server.ts";
import { type CollectorEnv, createCollectorEnv } from "./_collector_env.ts";
import { runMarketsCollector } from "../collectors/markets.ts";
import { runPricesCollector } from "../collectors/prices.ts";
import { runBooksCollector } from "../collectors/books.ts";
import { testWithin } from "./_time_limit.ts";

/** Bounds each test: a hang fails it instead of the whole run. */
const test = testWithin(60_000);

function setup(
  settings: RawSettings = {},
  simulator: SimulatorOptions = {},
  now: () => number = Date.now,
): Promise<CollectorEnv> {
  return createCollectorEnv({
    settings: {
      PMCOLLECT_MARKETS_INTERVAL_S: "0.25",
      PMCOLLECT_PRICES_INTERVAL_S: "0.25",
      PMCOLLECT_BOOKS_INTERVAL_S: "0.25",
      ...settings,
    },
    simulator: { seed: 11, ...simulator },
    now,
  });
}

/** Runs a collector until `done()` holds (polled), then aborts it and checks it rethrew. */
async function runUntil(
  run: (signal: AbortSignal) => Promise<void>,
  done: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const controller = new AbortController();
  const reason = new Error("test over");
  let settled = false;
  const running = run(controller.signal).finally(() => settled = true);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(await done())) {
      if (settled) break;
      if (Date.now() > deadline) throw new Error("condition not reached in time");
      await delay(20);
    }
  } finally {
    controller.abort(reason);
    await assert.rejects(running, (err) => err === reason);
  }
}

async function runsOf(deps: CollectorDeps, collector: string): Promise<number> {
  const [r] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from collector_runs where collector = ${collector}
      and finished_at is not null`;
  return r!.n;
}

test("markets: a 5,000-market walk stores every open market and token exactly once", async () => {
  await using env = await setup({ PMCOLLECT_MARKETS_INTERVAL_S: "60" }, { markets: 5000 });
  const { deps, sim } = env;
  await runUntil(
    (s) => runMarketsCollector(deps, s),
    async () => await runsOf(deps, "markets") >= 1,
  );
  const open = sim.universe.markets.filter((m) => m.status === "open");
  const stored = await deps.sql<{ market_id: string; n: number }[]>`
    select m.market_id, count(t.token_id)::int as n from markets m
    join tokens t using (market_id) group by m.market_id`;
  assert.equal(stored.length, open.length);
  assert.deepEqual(new Set(stored.map((r) => r.market_id)), new Set(open.map((m) => m.id)));
  assert.ok(stored.every((r) => r.n === 2));
  const tokens = await deps.sql<{ token_id: string; outcome: string; outcome_index: number }[]>`
    select token_id, outcome, outcome_index from tokens`;
  assert.equal(tokens.length, open.length * 2);
  for (const t of tokens) {
    const ref = sim.universe.byToken.get(t.token_id)!;
    assert.equal(t.outcome_index, ref.outcomeIndex);
    assert.equal(t.outcome, ref.outcomeIndex === 0 ? "Yes" : "No");
  }
  const [ev] = await deps.sql<{ n: number; neg: number }[]>`
    select count(*)::int as n, count(*) filter (where neg_risk_market_id is not null)::int as neg
    from events`;
  const wantEvents = new Set(open.map((m) => m.eventIndex));
  assert.equal(ev!.n, wantEvents.size);
  assert.ok(ev!.neg > 0);
  assert.equal(deps.activeTokens.current().size, open.length * 2);
  const done = env.lines.find((l) => l.event === "cycle_done" && l.task === "markets");
  assert.ok(done !== undefined && typeof done.durationMs === "number");
});

test("markets: a listing and a resolution are picked up on the next cycle", async () => {
  await using env = await setup();
  const { deps, sim } = env;
  let listed: string | null = null;
  let resolved: string | null = null;
  await runUntil((s) => runMarketsCollector(deps, s), async () => {
    const runs = await runsOf(deps, "markets");
    if (runs >= 1 && listed === null) {
      listed = sim.control.listMarket();
      resolved = sim.control.resolve(undefined, 0);
      return false;
    }
    if (listed === null) return false;
    const [row] = await deps.sql<{ listed: boolean; closed: boolean }[]>`
      select exists(select 1 from markets where market_id = ${listed} and active and not closed)
        as listed,
        coalesce((select closed from markets where condition_id = ${resolved}), false) as closed`;
    return row!.listed && row!.closed;
  });
  const active = [...deps.activeTokens.current().values()];
  assert.ok(active.some((t) => t.marketId === listed));
  assert.ok(!active.some((t) => t.conditionId === resolved));
});

async function priceMinutes(deps: CollectorDeps): Promise<{ ts: Date; n: number }[]> {
  return await deps.sql<{ ts: Date; n: number }[]>`
    select ts, count(*)::int as n from price_snapshots group by ts order by ts`;
}

async function gapCauses(deps: CollectorDeps, collector: string): Promise<string[]> {
  const rows = await deps.sql<{ cause: string }[]>`
    select distinct cause from gaps where collector = ${collector} order by cause`;
  return rows.map((r) => r.cause);
}

test("prices: one bulk row per token per interval, aligned to the injected clock", async () => {
  const offset = 10 * 365 * 86_400_000 + 123; // ten years ahead, off any boundary
  await using env = await setup({}, {}, () => Date.now() + offset);
  const { deps, sim } = env;
  // Two completed cycles, at least one in time (a loaded machine may miss a 0.5 s deadline).
  await runUntil((s) => runPricesCollector(deps, s), async () => {
    const [r] = await deps.sql<{ n: number; ok: number }[]>`
      select count(*)::int as n, count(*) filter (where status = 'ok')::int as ok
      from collector_runs where collector = 'prices' and finished_at is not null`;
    return r!.n >= 2 && r!.ok >= 1;
  });
  const open = sim.universe.markets.filter((m) => m.status === "open");
  // A minute whose run finished ok holds every token. The stop can land inside a later walk,
  // which leaves the pages it wrote (the collector's documented shutdown: no gap, no run).
  const ok = new Set(
    (await deps.sql<{ started_at: Date }[]>`
      select started_at from collector_runs where collector = 'prices' and status = 'ok'`)
      .map((r) => r.started_at.getTime()),
  );
  let complete = 0;
  for (const { ts, n } of await priceMinutes(deps)) {
    assert.equal(ts.getTime() % 250, 0);
    assert.ok(ts.getTime() > Date.now() + offset - 60_000, "stamped by the injected clock");
    if (!ok.has(ts.getTime())) continue;
    assert.equal(n, open.length * 2);
    complete += 1;
  }
  assert.equal(complete, ok.size, "every ok run stored its minute");
  const [bad] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from price_snapshots y join tokens t using (token_id)
    join price_snapshots n on n.ts = y.ts join tokens tn on tn.token_id = n.token_id
      and tn.market_id = t.market_id and tn.outcome_index = 1
    where t.outcome_index = 0 and (n.best_bid <> 1 - y.best_ask or n.best_ask <> 1 - y.best_bid
      or n.price <> 1 - y.price or n.last_trade_price is not null)`;
  assert.equal(bad!.n, 0);
  const runs = await deps.sql<{ status: string; rows_written: number }[]>`
    select status, rows_written::int from collector_runs where collector = 'prices'`;
  assert.ok(runs.some((r) => r.status === "ok" && r.rows_written === open.length * 2));
});

test("prices: a minute that arrives mid-cycle is an overlap gap, never a second cycle", async () => {
  // Each answer takes longer than the interval (so a slot always arrives mid-cycle) but well
  // under the 2-interval deadline, with room for a loaded machine to parse and store.
  await using env = await setup({ PMCOLLECT_PRICES_INTERVAL_S: "0.6" });
  const { deps, sim } = env;
  sim.control.latency(800);
  await runUntil(
    (s) => runPricesCollector(deps, s),
    async () =>
      (await gapCauses(deps, "prices")).includes("overlap") &&
      (await priceMinutes(deps)).length >= 2,
  );
  const runs = await deps.sql<{ started_at: Date; finished_at: Date }[]>`
    select started_at, finished_at from collector_runs
    where collector = 'prices' and status <> 'skipped' order by started_at`;
  // started_at is the slot a cycle belongs to, not when its timer fired (a slot's timer that
  // fires just after the previous cycle finished runs that slot): every cycle takes longer than
  // one interval, so the slot after a run's own arrived mid-cycle and must not have been run.
  for (let i = 1; i < runs.length; i++) {
    assert.ok(
      runs[i]!.started_at.getTime() - runs[i - 1]!.started_at.getTime() >= 2 * 600,
      `a slot that arrived mid-cycle was run: ${JSON.stringify(runs)}`,
    );
  }
  const [skipped] = await deps.sql<{ n: number }[]>`
    select count(*)::int as n from collector_runs where collector = 'prices'
      and status = 'skipped'`;
  assert.ok(skipped!.n >= 1);
});

test("prices: 5xx, 429 past the deadline and a malformed element leave gaps and rejects", async () => {
  await using env = await setup();
  const { deps, sim } = env;
  sim.control.malformed({ pages: 1 });
  const open = sim.universe.markets.filter((m) => m.status === "open").length;
  const deadlines = async () => {
    const [r] = await deps.sql<{ n: number; last: Date | null }[]>`
      select count(*)::int as n, max(start_at) as last from gaps
      where collector = 'prices' and cause = 'deadline'`;
    return r!;
  };
  let phase = 0;
  let deadlinesBefore = 0;
  await runUntil((s) => runPricesCollector(deps, s), async () => {
    if (phase === 0 && (await priceMinutes(deps)).length >= 1) {
      sim.control.failNext(10, { status: 503, family: "gamma" });
      phase = 1;
    } else if (phase === 1 && (await gapCauses(deps, "prices")).includes("api_down")) {
      // A slow machine may miss a deadline on its own: count the ones before the 429.
      deadlinesBefore = (await deadlines()).n;
      sim.control.rateLimitNext(1, { family: "gamma", retryAfterSeconds: 1 });
      phase = 2;
    } else if (phase === 2 && (await deadlines()).n > deadlinesBefore) {
      phase = 3;
    }
    if (phase !== 3) return false;
    // Done once a whole minute is stored after the last one that ran out of time: decided by
    // the data, not by the wall clock.
    const last = (await deadlines()).last!;
    const after = await priceMinutes(deps);
    return after.some((m) => m.ts > last && m.n === open * 2);
  });
  const minutes = await priceMinutes(deps);
  // The malformed page is served to the first walk. On a loaded machine that walk can run out of
  // time itself (a gap at its minute): then the rest is only partly stored.
  const cut = await deps.sql`
    select 1 from gaps where collector = 'prices' and start_at = ${minutes[0]!.ts}`;
  if (cut.length === 0) {
    assert.equal(minutes[0]!.n, open * 2 - 2, "the malformed market is skipped, the rest stored");
  } else {
    assert.ok(minutes[0]!.n <= open * 2 - 2, "the malformed market is skipped");
  }
  assert.equal(minutes.at(-1)!.n, open * 2);
  const rejects = await deps.sql<{ source: string; path: string }[]>`select * from rejects`;
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.source, "gamma:/markets/keyset");
  const failed = await deps.sql`
    select 1 from collector_runs where collector = 'prices' and status = 'failed'`;
  assert.ok(failed.length >= 2);
  // Logged when stored (the cycle that met it may still run out of time on a loaded machine).
  assert.ok(
    env.lines.some((l) =>
      l.event === "rejects_stored" && l.count === 1 && l.source === "gamma:/markets/keyset"
    ),
  );
});

function publishUniverse(env: CollectorEnv): void {
  env.deps.activeTokens.publish(
    env.sim.universe.markets.filter((m) => m.status === "open").flatMap((m) =>
      m.tokenIds.map((tokenId) => ({ tokenId, conditionId: m.conditionId, marketId: m.id }))
    ),
  );
}

test("books: every stored book equals the simulator's, level by level", async () => {
  // One cycle only: at a 0.25 s cadence a slow machine finishes a second one before the poll
  // sees the first, and the table then holds every token twice.
  await using env = await setup(
    { PMCOLLECT_BOOKS_CHUNK: "50", PMCOLLECT_BOOKS_INTERVAL_S: "60" },
    { markets: 100 },
  );
  const { deps, sim } = env;
  publishUniverse(env);
  await runUntil((s) => runBooksCollector(deps, s), async () => await runsOf(deps, "books") >= 1);
  type Level = { price: string; size: string };
  const rows = await deps.sql<
    {
      token_id: string;
      best_bid: string | null;
      best_ask: string | null;
      bid_levels: number;
      ask_levels: number;
      bids: Level[];
      asks: Level[];
    }[]
  >`select token_id, best_bid::text, best_ask::text, bid_levels, ask_levels, bids, asks
    from book_snapshots`;
  assert.equal(rows.length, deps.activeTokens.current().size);
  // The world is paused: the simulator's book now is the book the collector fetched.
  const levels = (side: readonly Level[]) =>
    side.map((l) => `${Number(l.price)}@${Number(l.size)}`).sort();
  for (const row of rows) {
    const res = await fetch(`${sim.url}/book?token_id=${row.token_id}`);
    const book = await res.json() as { bids: Level[]; asks: Level[] };
    assert.deepEqual(levels(row.bids), levels(book.bids), `bids of ${row.token_id}`);
    assert.deepEqual(levels(row.asks), levels(book.asks), `asks of ${row.token_id}`);
    assert.equal(row.bid_levels, book.bids.length);
    assert.equal(row.ask_levels, book.asks.length);
    const best = (side: Level[], pick: (...n: number[]) => number) =>
      side.length === 0 ? null : pick(...side.map((l) => Number(l.price)));
    assert.equal(nullableNumber(row.best_bid), best(book.bids, Math.max));
    assert.equal(nullableNumber(row.best_ask), best(book.asks, Math.min));
    if (row.best_bid !== null && row.best_ask !== null) {
      assert.ok(Number(row.best_bid) < Number(row.best_ask));
      assert.equal(row.bids[0]!.price, row.best_bid);
    }
  }
});

function nullableNumber(text: string | null): number | null {
  return text === null ? null : Number(text);
}

/** Requests the test env's HTTP client makes for one call that keeps failing (4 retries). */
const ATTEMPTS = 5;

test("books: a failing cycle is one gap row listing its tokens, 425 is waited out", async () => {
  await using env = await setup(
    { PMCOLLECT_BOOKS_CHUNK: "20", PMCOLLECT_BOOKS_INTERVAL_S: "1.5" },
    { markets: 60 },
  );
  const { deps, sim } = env;
  publishUniverse(env);
  // Two tokens the venue has no book for: every later cycle records them as `no_book`.
  const unknown = ["91000000000000000000000000000000001", "91000000000000000000000000000000002"];
  deps.activeTokens.publish([
    ...deps.activeTokens.current().values(),
    ...unknown.map((tokenId) => ({ tokenId, conditionId: "0xunknown", marketId: "unknown" })),
  ]);
  const all = [...deps.activeTokens.current().keys()].sort();
  const tokens = all.length;
  const chunks = Math.ceil(tokens / 20);
  // Counted, not timed: exactly every attempt of every chunk of the first cycle fails, however
  // slowly the machine runs it.
  sim.control.failNext(chunks * ATTEMPTS, { status: 500, family: "clob" });
  // More 425s than the client has retries: a maintenance answer is waited out, never counted.
  const early = chunks * ATTEMPTS;
  let phase = 0;
  await runUntil((s) => runBooksCollector(deps, s), async () => {
    const runs = await runsOf(deps, "books");
    if (phase === 0 && runs >= 1) {
      sim.control.failNext(early, { status: 425, family: "clob", retryAfterSeconds: 0 });
      phase = 1;
      return false;
    }
    // The burst is used up by the first cycle that meets it, the second or the third.
    return phase === 1 && runs >= 3;
  });
  const perRun = await deps.sql<
    { started_at: Date; status: string; rows_written: number; errors: number }[]
  >`select started_at, status, rows_written::int, errors::int from collector_runs
    where collector = 'books' and finished_at is not null order by started_at`;
  const gaps = await deps.sql<
    { scope: string; start_at: Date; end_at: Date; cause: string; tokens: string[] }[]
  >`select scope, start_at, end_at, cause, tokens from gaps where collector = 'books'
    order by start_at, cause`;
  const down = gaps.filter((g) => g.cause === "api_down");
  assert.equal(down.length, 1, "one row for the failed cycle, not one per token or chunk");
  assert.equal(down[0]!.scope, "cycle:books");
  assert.deepEqual(down[0]!.tokens, all, "every token of the failed first cycle");
  assert.equal(down[0]!.start_at.getTime(), perRun[0]!.started_at.getTime());
  assert.equal(down[0]!.end_at.getTime() - down[0]!.start_at.getTime(), 1500);
  const later = new Set(perRun.slice(1).map((r) => r.started_at.getTime()));
  const noBook = gaps.filter((g) => g.cause === "no_book" && later.has(g.start_at.getTime()));
  assert.equal(noBook.length, later.size, "one no_book row per later cycle");
  assert.ok(noBook.every((g) => g.scope === "cycle:books"));
  assert.ok(noBook.every((g) => JSON.stringify(g.tokens) === JSON.stringify(unknown)));
  assert.ok(gaps.every((g) => g.cause === "api_down" || g.cause === "no_book"));
  const waited = env.lines.filter((l) => l.event === "http_retry" && l.status === 425);
  assert.equal(waited.length, early);
  assert.ok(waited.every((l) => l.attempt === 0), "a 425 is not counted as a failure");
  assert.deepEqual(
    { ...perRun[0]!, started_at: null },
    { started_at: null, status: "failed", rows_written: 0, errors: chunks },
  );
  const stored = tokens - unknown.length;
  assert.ok(perRun.slice(1).every((r) => r.rows_written === stored && r.errors === 0));
});
