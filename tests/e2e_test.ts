/**
 * End-to-end: the whole daemon (`main.ts run`, all five collectors under the supervisor) as a
 * subprocess against the simulator and a fresh schema on the real PostgreSQL, every cadence
 * shortened by configuration, until every table agrees with what the simulator holds and sent.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../simulator/server.ts";
import { createTestDatabase } from "./_db.ts";
import {
  countRows,
  daemonEnv,
  freePort,
  type Level,
  levelSet,
  metricValue,
  simBook,
  simQuotes,
  simTradeLog,
  spawnDaemon,
  storedTrades,
  until,
} from "./_e2e_harness.ts";
import { testWithin } from "./_time_limit.ts";

/** Bounds each test: a hang fails it instead of the whole run. */
const test = testWithin(120_000);

const TASKS = ["markets", "prices", "books", "trades", "resolutions"];

test("main.ts run stores what the simulator serves and streams, in every table", async () => {
  const sim = await startSimulator({ markets: 30, seed: 5, lifecycleRate: 0 });
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_e2e_" });
  const daemon = spawnDaemon(daemonEnv({
    databaseUrl: db.url!,
    sim,
    dataDir,
    healthPort: freePort(),
  }));
  try {
    await daemon.waitFor((e) => e.event === "collecting", 20_000);
    const openMarkets = () => sim.universe.markets.filter((m) => m.status === "open");
    // Trades flow once the markets collector has published the active set.
    await until(async () => (await countRows(db.sql, "trades")) > 20, 20_000);

    // Lifecycle while running: two resolutions (one per winner) and one listing.
    const [a, b] = openMarkets();
    sim.control.resolve(a!.conditionId, 0);
    sim.control.resolve(b!.conditionId, 1);
    const listedId = sim.control.listMarket();
    assert.ok(listedId !== null, "the universe has an unlisted market to list");
    const changedAt = Date.now();

    // Health while running.
    const health = await daemon.get("/healthz");
    assert.equal(health.status, 200, health.body);
    assert.equal(JSON.parse(health.body).status, "ok");

    // Wait for the universe change to be walked, snapshotted and subscribed.
    const open = openMarkets();
    const openTokens = new Set(open.flatMap((m) => m.tokenIds));
    await until(async () => {
      const rows = await db.sql`select token_id from tokens t join markets m using (market_id)
        where m.closed is not true`;
      return rows.length === openTokens.size && rows.every((r) => openTokens.has(r.token_id));
    }, 15_000);
    await until(
      async () =>
        (await db.sql`select 1 from resolutions where condition_id in (${a!.conditionId}, ${
          b!
            .conditionId
        }) and status = 'resolved'`).length === 2,
      15_000,
    );
    const listed = open.find((m) => m.id === listedId)!;
    await until(
      async () =>
        (await db.sql`select 1 from book_snapshots where token_id = ${listed.tokenIds[0]!}`)
          .length > 0,
      15_000,
    );
    const slotAfter = Math.ceil((changedAt + 2_000) / 2_000) * 2_000 + 2_000;
    await until(
      async () =>
        (await db.sql`select 1 from price_snapshots where ts >= ${new Date(slotAfter)}`).length >
          0,
      15_000,
    );
    await until(
      async () =>
        (await db.sql`select 1 from trades where token_id = any(${[...listed.tokenIds]})`)
          .length > 0,
      15_000,
    );

    const metrics = await daemon.get("/metrics");
    assert.equal(metrics.status, 200);
    for (const task of TASKS) {
      assert.equal(metricValue(metrics.body, `pmcollect_task_up{task="${task}"}`), 1, task);
      assert.equal(metricValue(metrics.body, `pmcollect_task_restarts{task="${task}"}`), 0, task);
    }
    assert.equal(metricValue(metrics.body, "pmcollect_healthy"), 1);
    assert.ok((metricValue(metrics.body, "process_resident_memory_bytes") ?? 0) > 0);
    assert.ok((metricValue(metrics.body, 'pmcollect_trades_total{task="trades"}') ?? 0) > 0);
    for (const task of ["markets", "prices", "books"]) {
      const series = `pmcollect_rows_written_total{task="${task}"}`;
      assert.ok((metricValue(metrics.body, series) ?? 0) > 0, series);
    }

    // Quiesce the venue, let the queue flush, then stop the daemon.
    sim.control.pause();
    const sent = sim.control.sentTrades();
    await until(async () => (await countRows(db.sql, "trades")) >= sent, 10_000);

    // Prices and books against the frozen venue: the first price slot and the book snapshots
    // taken after the pause hold exactly the simulator's values at this instant.
    const pausedAt = new Date();
    const frozenSlot = new Date(Math.ceil(pausedAt.getTime() / 2_000) * 2_000);
    await until(async () => {
      const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from price_snapshots
        where ts = (select min(ts) from price_snapshots where ts >= ${frozenSlot})`;
      return r!.n >= openTokens.size;
    }, 15_000);
    await until(async () => {
      const [r] = await db.sql<{ n: number }[]>`select count(distinct token_id)::int as n
        from book_snapshots where ts >= ${pausedAt} and token_id = any(${[...openTokens]})`;
      return r!.n === openTokens.size;
    }, 15_000);
    const quotes = await simQuotes(sim);
    const units = (x: number | string | null) => x === null ? null : Math.round(Number(x) * 1e6);
    const priced = await db.sql<
      { token_id: string; price: string; best_bid: string; best_ask: string; last: string }[]
    >`select token_id, price::text, best_bid::text, best_ask::text, last_trade_price::text as last
      from price_snapshots
      where ts = (select min(ts) from price_snapshots where ts >= ${frozenSlot})`;
    assert.deepEqual(new Set(priced.map((r) => r.token_id)), openTokens);
    for (const r of priced) {
      const m = open.find((x) => x.tokenIds.includes(r.token_id))!;
      const q = quotes.get(m.conditionId);
      assert.ok(q !== undefined, `the simulator quotes ${m.conditionId}`);
      const first = m.tokenIds[0] === r.token_id;
      const expected = first
        ? [q.outcomePrices[0], q.bestBid, q.bestAsk, q.lastTradePrice]
        : [q.outcomePrices[1], 1 - q.bestAsk, 1 - q.bestBid, null];
      assert.deepEqual(
        [r.price, r.best_bid, r.best_ask, r.last].map(units),
        expected.map((x) => units(x ?? null)),
        `price snapshot of ${r.token_id} (outcome ${first ? 0 : 1})`,
      );
    }
    const books = await db.sql<{ token_id: string; bids: Level[]; asks: Level[] }[]>`
      select distinct on (token_id) token_id, bids, asks from book_snapshots
      where ts >= ${pausedAt} order by token_id, ts desc`;
    for (const r of books.filter((b) => openTokens.has(b.token_id))) {
      const book = await simBook(sim, r.token_id);
      assert.deepEqual(levelSet(r.bids), levelSet(book.bids), `bids of ${r.token_id}`);
      assert.deepEqual(levelSet(r.asks), levelSet(book.asks), `asks of ${r.token_id}`);
    }

    const stopped = await daemon.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);

    // Markets and tokens: the simulator's listed universe, closed flags included.
    const markets = await db.sql<{ market_id: string; closed: boolean | null }[]>`
      select market_id, closed from markets`;
    const stored = new Map(markets.map((m) => [m.market_id, m.closed]));
    for (const m of open) assert.equal(stored.get(m.id), false, `open market ${m.id}`);
    for (const m of [a!, b!]) assert.equal(stored.get(m.id), true, `resolved market ${m.id}`);
    const tokens = await db.sql<{ token_id: string; market_id: string; outcome_index: number }[]>`
      select token_id, market_id, outcome_index from tokens`;
    const tokenOf = new Map(tokens.map((t) => [t.token_id, t]));
    for (const m of open) {
      m.tokenIds.forEach((id, i) => {
        assert.equal(tokenOf.get(id)?.market_id, m.id, `token ${id}`);
        assert.equal(tokenOf.get(id)?.outcome_index, i, `token ${id} outcome`);
      });
    }

    // Prices: every slot after the universe change has exactly the open tokens.
    const slots = await db.sql<{ ts: Date; tokens: string[] }[]>`
      select ts, array_agg(token_id) as tokens from price_snapshots
      where ts >= ${new Date(slotAfter)} group by ts order by ts`;
    assert.ok(slots.length > 0);
    for (const s of slots) {
      assert.deepEqual(new Set(s.tokens), openTokens, `prices at ${s.ts.toISOString()}`);
    }
    // And every slot from the first to the last is either collected or recorded as a gap.
    const [range] = await db.sql`select min(ts) as lo, max(ts) as hi from price_snapshots`;
    const have = new Set(
      (await db.sql`select distinct ts from price_snapshots`).map((r) => r.ts.getTime()),
    );
    const gapped = new Set(
      (await db.sql`select start_at from gaps where collector = 'prices'`).map((r) =>
        r.start_at.getTime()
      ),
    );
    for (let t = range!.lo.getTime(); t <= range!.hi.getTime(); t += 2_000) {
      assert.ok(have.has(t) || gapped.has(t), `price slot ${new Date(t).toISOString()}`);
    }

    // Books: every open token has a snapshot with levels.
    const booked = new Set(
      (await db.sql`select distinct token_id from book_snapshots`).map((r) => r.token_id),
    );
    for (const id of openTokens) assert.ok(booked.has(id), `book of ${id}`);

    // Trades: every streamed trade stored exactly once, each one a trade the venue made.
    const rows = await storedTrades(db.sql);
    assert.equal(rows.length, sent, "stored trades = trades the simulator streamed");
    assert.equal(new Set(rows.map((r) => r.tx_hash)).size, rows.length, "no trade twice");
    const log = await simTradeLog(sim);
    for (const r of rows) {
      const t = log.get(r.tx_hash);
      assert.ok(t !== undefined, `stored trade ${r.tx_hash} was made by the simulator`);
      assert.equal(t.tokenId, r.token_id);
      assert.equal(t.price, Number(r.price));
      assert.equal(t.size, Number(r.size));
      assert.equal(t.side, r.side);
      assert.equal(t.timestampS, Math.floor(r.ts.getTime() / 1000));
    }

    // Resolutions: the two resolved markets with the simulator's winners.
    const resolved = await db.sql<{ condition_id: string; winner_token_id: string }[]>`
      select condition_id, winner_token_id from resolutions
      where condition_id in (${a!.conditionId}, ${b!.conditionId})`;
    const winner = new Map(resolved.map((r) => [r.condition_id, r.winner_token_id]));
    assert.equal(winner.get(a!.conditionId), a!.tokenIds[0]);
    assert.equal(winner.get(b!.conditionId), b!.tokenIds[1]);

    // Nothing crashed; no rejects from a clean venue.
    assert.equal(await countRows(db.sql, "rejects"), 0);
    const runs = await db.sql`select 1 from collector_runs where status = 'ok'`;
    assert.ok(runs.length > 0);
  } finally {
    await daemon.stop("SIGKILL").catch(() => {});
    await sim.close();
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
});
