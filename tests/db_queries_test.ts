import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { listActiveTokenIds, upsertEvents, upsertMarkets, upsertTokens } from "../db/catalog.ts";
import type { MarketRow } from "../db/catalog.ts";
import { insertPriceSnapshots, latestPrices, priceOhlc } from "../db/prices.ts";
import type { PriceSnapshotRow } from "../db/prices.ts";
import { insertBookSnapshots } from "../db/books.ts";
import { insertQuotes, insertTrades, tradesInRange, tradeVolume } from "../db/trades.ts";
import type { TradeRow } from "../db/trades.ts";
import { listResolutions, upsertResolutions } from "../db/resolutions.ts";
import { listGaps, recordCollectorRun, recordGaps, recordRejects } from "../db/ops.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, type TestDatabase, withDatabase } from "./_db.ts";
import { marketRow } from "./_collector_env.ts";

const TOKEN_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const TOKEN_B = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
const COND = "0x" + "ab".repeat(32);
const T0 = new Date("2026-11-25T10:00:00Z");

async function migrated(db: TestDatabase) {
  await migrate(db.sql, { log: silentLogger(), timescale: "auto" });
}

function market(overrides: Partial<MarketRow> = {}): MarketRow {
  return marketRow({ marketId: "1557558", conditionId: COND }, {
    eventId: "90001",
    slug: "will-it-rain",
    question: "Will it rain?",
    tickSize: "0.01",
    minOrderSize: "5",
    volume: "12345.678901",
    liquidity: "999.5",
    startDate: T0,
    ...overrides,
  });
}

function snapshot(minute: number, tokenId: string, price: string): PriceSnapshotRow {
  return {
    ts: new Date(T0.getTime() + minute * 60_000),
    tokenId,
    price,
    bestBid: null,
    bestAsk: null,
    lastTradePrice: price,
    volume24h: "10",
    liquidity: "5",
  };
}

function trade(key: string, overrides: Partial<TradeRow> = {}): TradeRow {
  return {
    ts: new Date(T0.getTime() + 1234),
    tokenId: TOKEN_A,
    tradeKey: key,
    conditionId: COND,
    receivedAt: new Date(T0.getTime() + 1300),
    price: "0.505",
    size: "10.25",
    side: "BUY",
    feeRateBps: "0",
    txHash: "0x" + "cd".repeat(32),
    source: "ws",
    ...overrides,
  };
}

for (const backend of BACKENDS) {
  Deno.test(`catalog upserts are idempotent and keep first_seen_at on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      await upsertEvents(db.sql, [{
        eventId: "90001",
        slug: "rain",
        title: "Rain",
        negRisk: false,
        negRiskMarketId: null,
        active: true,
        closed: false,
        startDate: null,
        endDate: null,
      }]);
      // The same market twice in one page must not break the statement.
      assert.equal(await upsertMarkets(db.sql, [market(), market()]), 1);
      assert.equal(await upsertMarkets(db.sql, [market()]), 0, "unchanged row is not rewritten");
      const tokens = [
        {
          tokenId: TOKEN_A,
          conditionId: COND,
          marketId: "1557558",
          outcome: "Yes",
          outcomeIndex: 0,
        },
        {
          tokenId: TOKEN_B,
          conditionId: COND,
          marketId: "1557558",
          outcome: "No",
          outcomeIndex: 1,
        },
      ];
      assert.equal(await upsertTokens(db.sql, tokens), 2);
      assert.equal(await upsertTokens(db.sql, tokens), 0);
      assert.deepEqual(await listActiveTokenIds(db.sql), [TOKEN_B, TOKEN_A].sort());
      const [before] = await db.sql`select first_seen_at, updated_at from markets`;
      assert.equal(await upsertMarkets(db.sql, [market({ closed: true })]), 1);
      const [after] = await db.sql`select first_seen_at, updated_at, closed, volume, outcomes
                                   from markets`;
      assert.deepEqual(after?.first_seen_at, before?.first_seen_at);
      assert.equal(after?.closed, true);
      assert.equal(after?.volume, "12345.678901");
      assert.deepEqual(after?.outcomes, ["Yes", "No"]);
      assert.deepEqual(await listActiveTokenIds(db.sql), []);
    }));

  Deno.test(`price snapshots keep exact decimals on every tick size on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      const prices = ["0.01", "0.999", "0.005", "0.0025", "0.9975", "0.5", "1", "0"];
      const rows = prices.map((p, i) => snapshot(i, TOKEN_A, p));
      assert.equal(await insertPriceSnapshots(db.sql, rows), prices.length);
      assert.equal(await insertPriceSnapshots(db.sql, rows), 0, "replayed batch adds nothing");
      const stored = await db.sql`select price::text from price_snapshots order by ts`;
      assert.deepEqual(stored.map((r) => r.price), prices);
      const [latest] = await latestPrices(db.sql, [TOKEN_A], { lookbackMs: 1e12 });
      assert.equal(latest?.price, "0");
      const bars = await priceOhlc(db.sql, TOKEN_A, {
        from: T0,
        to: new Date(T0.getTime() + 3600_000),
        interval: "1h",
      });
      assert.equal(bars.length, 1);
      assert.deepEqual(
        { open: bars[0]?.open, high: bars[0]?.high, low: bars[0]?.low, close: bars[0]?.close },
        { open: "0.01", high: "1", low: "0", close: "0" },
      );
      assert.equal(bars[0]?.samples, prices.length);
      const daily = await priceOhlc(db.sql, TOKEN_A, {
        from: new Date("2026-11-25T00:00:00Z"),
        to: new Date("2026-11-26T00:00:00Z"),
        interval: "1d",
      });
      assert.equal(daily[0]?.bucket.toISOString(), "2026-11-25T00:00:00.000Z");
    }));

  Deno.test(`trades: a replay is dropped, identical genuine fills are both kept on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      const fills = [trade("k1#0"), trade("k1#1"), trade("k2#0", { price: "0.0025", size: "1" })];
      assert.equal(await insertTrades(db.sql, fills), 3);
      assert.equal(await insertTrades(db.sql, fills), 0);
      const stored = await tradesInRange(db.sql, TOKEN_A, {
        from: T0,
        to: new Date(T0.getTime() + 60_000),
      });
      assert.equal(stored.length, 3);
      assert.equal(stored.filter((t) => t.price === "0.505" && t.size === "10.25").length, 2);
      const [bar] = await tradeVolume(db.sql, TOKEN_A, {
        from: T0,
        to: new Date(T0.getTime() + 3600_000),
      });
      assert.equal(bar?.trades, 3);
      assert.equal(bar?.volume, "21.50");
      assert.equal(bar?.notional, "10.35500");
      assert.equal(
        await insertQuotes(db.sql, [
          { ts: T0, tokenId: TOKEN_A, bestBid: "0.5", bestAsk: "0.51" },
          { ts: T0, tokenId: TOKEN_A, bestBid: "0.49", bestAsk: "0.51" },
        ]),
        1,
      );
    }));

  Deno.test(`book snapshots store levels best-first and top of book on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      const row = {
        ts: T0,
        tokenId: TOKEN_A,
        conditionId: COND,
        exchangeTs: new Date(T0.getTime() - 50),
        bestBid: "0.48",
        bestAsk: "0.5",
        mid: "0.49",
        spread: "0.02",
        bidSize: "30",
        askSize: "0",
        tickSize: "0.01",
        hash: "a".repeat(40),
        bids: [{ price: "0.48", size: "10" }, { price: "0.47", size: "20" }],
        asks: [],
      };
      assert.equal(await insertBookSnapshots(db.sql, [row]), 1);
      assert.equal(await insertBookSnapshots(db.sql, [row]), 0);
      const [stored] = await db.sql`select bids, asks, bid_levels, ask_levels, best_bid::text
                                    from book_snapshots`;
      assert.deepEqual(stored?.bids, row.bids);
      assert.deepEqual(stored?.asks, []);
      assert.equal(stored?.bid_levels, 2);
      assert.equal(stored?.best_bid, "0.48");
    }));

  Deno.test(`resolutions: stronger evidence corrects weaker, never the reverse, on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      const base = {
        conditionId: COND,
        marketId: "1557558",
        winnerOutcome: null,
        finalPrices: ["1", "0"],
        resolvedAt: T0,
        evidence: {},
      };
      await upsertResolutions(db.sql, [{
        ...base,
        status: "resolved",
        winnerTokenId: TOKEN_A,
        source: "gamma",
        strength: 1,
        evidence: { gamma: "outcomePrices 1/0" },
      }]);
      await upsertResolutions(db.sql, [{
        ...base,
        status: "resolved",
        winnerTokenId: TOKEN_B,
        source: "clob",
        strength: 2,
        evidence: { clob: "winner flag" },
      }]);
      assert.equal(
        await upsertResolutions(db.sql, [{
          ...base,
          status: "unresolved",
          winnerTokenId: null,
          source: "gamma",
          strength: 1,
        }]),
        0,
      );
      const [stored] = await listResolutions(db.sql, [COND]);
      assert.equal(stored?.winnerTokenId, TOKEN_B);
      assert.equal(stored?.source, "clob");
      const [evidence] = await db.sql`select evidence, final_prices::text[] from resolutions`;
      assert.deepEqual(evidence?.evidence, { gamma: "outcomePrices 1/0", clob: "winner flag" });
      assert.deepEqual(evidence?.final_prices, ["1", "0"]);
    }));

  Deno.test(`gaps extend, rejects are counted, runs are recorded on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrated(db);
      const gap = {
        collector: "prices",
        scope: "*",
        startAt: T0,
        endAt: new Date(T0.getTime() + 60_000),
        cause: "overlap",
      };
      await recordGaps(db.sql, [gap, gap]);
      await recordGaps(db.sql, [{ ...gap, endAt: new Date(T0.getTime() + 120_000) }]);
      const gaps = await listGaps(db.sql, { openOnly: true });
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0]?.endAt.getTime(), T0.getTime() + 120_000);
      const reject = { source: "ws:market", reason: "bad price", path: "[0].price", raw: "{}" };
      await recordRejects(db.sql, [reject, reject, { ...reject, raw: '{"x":1}' }]);
      await recordRejects(db.sql, [reject]);
      const rejects = await db.sql`select occurrences::int from rejects order by occurrences`;
      assert.deepEqual(rejects.map((r) => r.occurrences), [1, 3]);
      await recordCollectorRun(db.sql, {
        collector: "prices",
        startedAt: T0,
        finishedAt: null,
        status: "partial",
        rowsWritten: 0,
        errors: 0,
        rejects: 0,
      });
      await recordCollectorRun(db.sql, {
        collector: "prices",
        startedAt: T0,
        finishedAt: new Date(T0.getTime() + 900),
        status: "ok",
        rowsWritten: 186000,
        errors: 0,
        rejects: 2,
        detail: { pages: 1860 },
      });
      const [run] = await db.sql`select status, rows_written::int, detail from collector_runs`;
      assert.deepEqual({ ...run }, { status: "ok", rows_written: 186000, detail: { pages: 1860 } });
    }));
}
