/**
 * The point-in-time dataset against a real PostgreSQL (own schema): values at an instant are the
 * ones stored before it (checked against the seed's own arithmetic), nothing dated after an
 * instant changes that instant's row (prices, books, trades, metadata, a new group member with
 * its resolution, including rows inside each source's lag), and a change before the instant
 * does change it, so the no-look-ahead check can fail.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createTestDatabase, withDatabase } from "./_db.ts";
import { moveToPriceHistory, seedDataset, seedMarket, seedPrice } from "./_dataset_seed.ts";
import { buildDataset, parseHorizons, postgresSource } from "../models/dataset.ts";
import { buildFromSource } from "../models/_dataset_build.ts";
import { US } from "../models/_dataset_pg_sql.ts";
import type { DatasetRow } from "../models/dataset_row.ts";
import type { Sql } from "../db/client.ts";
import { insertPriceSnapshots } from "../db/prices.ts";
import { insertBookSnapshots } from "../db/books.ts";
import { insertTrades } from "../db/trades.ts";
import { recordMarketMetadata } from "../db/market_metadata.ts";
import { upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { upsertResolutions } from "../db/resolutions.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MARKETS = 20;
const SEED = { markets: MARKETS, historyDays: 9, spreadDays: 3 };

/** The first whole hour at or after `ms`: where a trade window starts. */
const hourCeil = (ms: number) => Math.ceil(ms / HOUR) * HOUR;
const key = (r: DatasetRow) => `${r.marketId}|${r.horizon}`;
const byKey = (rows: readonly DatasetRow[]) => new Map(rows.map((r) => [key(r), r]));

Deno.test("buildDataset() reads each source as stored before the instant and counts what it leaves out", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    // Market 6's prices were backfilled (price_history only, no bid or ask), its category read.
    await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
    const build = await buildDataset(db.sql, { horizons: parseHorizons("1h,24h,7d") });
    // Markets 9 and 19 resolved 50-50.
    assert.deepEqual(build.excluded, {
      voided: 2,
      notBinary: 0,
      unknownWinner: 0,
      noPriceBeforeInstant: 0,
    });
    assert.equal(build.rows.length, (MARKETS - 2) * 3);
    const rows = byKey(build.rows);
    for (const i of [1, 4, 6]) {
      const m = seedMarket(i, SEED.spreadDays);
      for (const [horizon, ms] of [["1h", HOUR], ["24h", 24 * HOUR]] as const) {
        const row = rows.get(`${m.marketId}|${horizon}`)!;
        const instant = m.end - ms;
        assert.equal(row.instant, instant);
        assert.equal(row.label, m.yesWins ? 1 : 0);
        // The latest 30-minute snapshot stamped at least a minute before the instant.
        const stamp = Math.floor((instant - MINUTE) / (30 * MINUTE)) * 30 * MINUTE;
        const p = Number(seedPrice(i, stamp));
        const expected = i % 5 === 0
          ? p
          : (Number((p - 0.01).toFixed(3)) + Number((p + 0.01).toFixed(3))) / 2;
        assert.equal(row.price, expected, `${m.marketId} ${horizon}`);
        assert.equal(row.features.priceAgeHours, (instant - stamp) / HOUR);
        // The fee changed from 0.04 to 0.05 three days before the end.
        assert.equal(row.features.feeRate, 0.05);
        assert.equal(row.features.feeExponent, 1);
        assert.equal(row.features.feesEnabled, 1);
        assert.equal(row.features.timeToEndHours, ms / HOUR, "the end date as of the instant");
        assert.equal(
          row.domain,
          i === 6 ? "politics" : m.marketId.endsWith("1") ? "crypto" : "other",
        );
        assert.equal(Number.isNaN(row.features.spread), i === 6, "no spread from price history");
        assert.equal(row.negRiskGroupSize, m.group === null ? 1 : 4);
        // Trades every 8 hours (+ i seconds) on both tokens, whole seconds before the instant.
        let trades = 0;
        for (
          let t = Math.ceil((m.end - 9 * 24 * HOUR) / (8 * HOUR)) * 8 * HOUR;
          t < m.end;
          t += 8 * HOUR
        ) {
          const ts = t + (i % 60) * 1000;
          if (ts >= hourCeil(instant - 24 * HOUR) && ts + 1000 <= instant) trades += 2;
        }
        assert.equal(row.features.trades24h, trades);
      }
      assert.equal(rows.get(`${m.marketId}|7d`)!.features.feeRate, 0.04);
    }
  });
});

Deno.test("buildDataset() rows do not change with data dated after their instant, and do with data before it", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
    const horizons = parseHorizons("24h");
    const before = await buildDataset(db.sql, { horizons });
    assert.equal(before.rows.length, MARKETS - 2);
    // A market's prices are read by its own row and by its group's rows: write after them all.
    for (const row of before.rows) {
      const group = before.rows.filter((r) => r.eventId === row.eventId);
      await writeAfter(db.sql, row, Math.max(...group.map((r) => r.instant)));
    }
    await addLateGroupMember(db.sql, before.rows.filter((r) => r.eventId === "0xgroup0"));
    const after = await buildDataset(db.sql, { horizons });
    assert.ok(after.rows.some((r) => r.marketId === "late"), "the late member is a row itself");
    const changed = byKey(after.rows);
    for (const row of before.rows) assert.deepEqual(changed.get(key(row)), row, key(row));

    // The same kinds of change, dated before the instant, show.
    const target = before.rows.find((r) => r.negRiskGroupSize === 1)!;
    const m = seedMarket(Number(target.marketId.slice(1)), SEED.spreadDays);
    await db.sql`
      update price_snapshot_data set price = 999000, best_bid = null, best_ask = null
      where token_key = (select token_key from token_keys where token_id = ${m.yes})
        and ts <= ${new Date(target.instant - 2 * HOUR)}`;
    await insertTrades(db.sql, [trade(m.yes, target.instant - 2 * HOUR, "0.5")]);
    await recordMarketMetadata(db.sql, [{
      marketId: m.marketId,
      fields: { feeRate: "0.07" },
      rules: null,
    }], { at: new Date(target.instant - HOUR), source: "gamma" });
    const moved = byKey((await buildDataset(db.sql, { horizons })).rows).get(key(target))!;
    assert.notEqual(moved.features.momentum24h, target.features.momentum24h);
    assert.equal(moved.features.trades24h, target.features.trades24h + 1);
    assert.equal(moved.features.feeRate, 0.07);
  });
});

Deno.test("buildDataset() counts a window's trades from its first whole hour to the last second before the instant", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, { markets: 2, historyDays: 9, spreadDays: 3 });
    const horizons = parseHorizons("24h");
    const m = seedMarket(1, 3);
    const instant = m.end - 24 * HOUR;
    const rowOf = async () =>
      (await buildDataset(db.sql, { horizons })).rows.find((r) => r.marketId === m.marketId)!;
    const before = await rowOf();
    const dayFrom = hourCeil(instant - 24 * HOUR);
    const weekFrom = hourCeil(instant - 7 * 24 * HOUR);
    // The last whole second over by the instant, and the start of its hour (unfinished).
    const last = Math.floor(instant / 1000) * 1000 - 1000;
    const lastHour = Math.floor(last / HOUR) * HOUR;
    assert.ok(
      dayFrom > instant - 24 * HOUR && lastHour > dayFrom,
      "the seed's instant is off the hour",
    );
    const planted: [number, string, "day" | "week" | "none"][] = [
      [weekFrom - 1000, "0.11", "none"],
      [weekFrom, "0.12", "week"],
      [dayFrom - 1000, "0.13", "week"],
      [dayFrom, "0.14", "day"],
      [lastHour - 1000, "0.15", "day"],
      [lastHour, "0.16", "day"],
      [last, "0.17", "day"],
      [last + 1000, "0.18", "none"],
    ];
    await insertTrades(db.sql, planted.map(([ms, price]) => trade(m.no, ms, price)));
    const after = await rowOf();
    const counted = (window: "day" | "week") =>
      planted.filter(([, , w]) => w === window || (window === "week" && w === "day"));
    const usd = (list: typeof planted) => list.reduce((sum, [, p]) => sum + Number(p) * 1000, 0);
    assert.equal(after.features.trades24h - before.features.trades24h, counted("day").length);
    assert.equal(after.features.trades7d - before.features.trades7d, counted("week").length);
    assert.ok(
      Math.abs(
        Math.expm1(after.features.logNotional24h) - Math.expm1(before.features.logNotional24h) -
          usd(counted("day")),
      ) < 1e-6,
    );
    assert.ok(
      Math.abs(
        Math.expm1(after.features.logNotional7d) - Math.expm1(before.features.logNotional7d) -
          usd(counted("week")),
      ) < 1e-6,
    );
  });
});

Deno.test("buildDataset() reaches back across a gap of two days in each series", async () => {
  // Each lookup asks within an hour before its cut, then a day, then without a bound: a gap of
  // two days (prices every 30 minutes, books every 6 hours) must still give the latest row
  // before it.
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
    const gaps = [1, 6].map((i) => {
      const m = seedMarket(i, SEED.spreadDays);
      const instant = m.end - 24 * HOUR;
      return { i, m, instant, gapFrom: instant - 48 * HOUR };
    });
    for (const { m, instant, gapFrom } of gaps) {
      const [from, to] = [new Date(gapFrom), new Date(instant)];
      const key = db.sql`(select token_key from token_keys where token_id = ${m.yes})`;
      await db.sql`delete from price_snapshot_data
        where token_key = ${key} and ts > ${from} and ts <= ${to}`;
      await db.sql`delete from price_history
        where token_id = ${m.yes} and ts > ${from} and ts <= ${to}`;
      await db.sql`delete from book_snapshot_data
        where token_key = ${key} and ts > ${from} and ts <= ${to}`;
    }
    const rows = byKey((await buildDataset(db.sql, { horizons: parseHorizons("24h") })).rows);
    for (const { i, m, instant, gapFrom } of gaps) {
      const row = rows.get(`${m.marketId}|24h`);
      assert.ok(row !== undefined, `${m.marketId} has a row`);
      const price = Math.floor(gapFrom / (30 * MINUTE)) * 30 * MINUTE;
      const book = Math.floor(gapFrom / (6 * HOUR)) * 6 * HOUR;
      assert.equal(row.features.priceAgeHours, (instant - price) / HOUR, `m${i} price`);
      assert.equal(row.features.bookAgeHours, (instant - book) / HOUR, `m${i} book`);
    }
  });
});

Deno.test("buildDataset() gives the same rows when its lookups go in slices of nearby instants (as on TimescaleDB)", async () => {
  // On a hypertable each query is bounded by its slice's span of stamps; the answers, their
  // order and the unbounded ask across a gap must not change.
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
    const m = seedMarket(1, SEED.spreadDays);
    const [from, to] = [new Date(m.end - 72 * HOUR), new Date(m.end - 24 * HOUR)];
    const token = db.sql`(select token_key from token_keys where token_id = ${m.yes})`;
    await db
      .sql`delete from price_snapshot_data where token_key = ${token} and ts > ${from} and ts <= ${to}`;
    await db
      .sql`delete from book_snapshot_data where token_key = ${token} and ts > ${from} and ts <= ${to}`;
    // The same gap in the backfilled points of market 6.
    const b = seedMarket(6, SEED.spreadDays);
    await db.sql`delete from price_history where token_id = ${b.yes}
      and ts > ${new Date(b.end - 72 * HOUR)} and ts <= ${new Date(b.end - 24 * HOUR)}`;
    const horizons = parseHorizons("1h,24h,7d");
    const whole = await buildDataset(db.sql, { horizons });
    let queries = 0;
    const counted = new Proxy(db.sql, {
      // Each lookup query runs in a transaction of its own (JIT off, `withoutJit`).
      get: (target, name) =>
        name === "begin"
          ? (...args: Parameters<Sql["begin"]>) => (queries++, target.begin(...args))
          : Reflect.get(target, name),
    });
    const progress: number[] = [];
    const sliced = await buildFromSource(postgresSource(counted, { sliceLookups: 16 }), {
      horizons,
      batchRows: 25,
      onProgress: ({ built, total }) => {
        assert.equal(total, whole.markets * horizons.length);
        progress.push(built);
      },
    });
    // One report a batch, each more than the last, the last all of them.
    assert.equal(progress.length, Math.ceil(whole.markets * horizons.length / 25));
    assert.ok(progress.every((n, i) => i === 0 || n > progress[i - 1]!), `${progress}`);
    assert.equal(progress.at(-1), whole.markets * horizons.length);
    assert.ok(whole.rows.length >= 50, `${whole.rows.length} rows`);
    assert.deepEqual(sliced.excluded, whole.excluded);
    assert.deepEqual(sliced.rows, whole.rows);
    // 60 market-horizons: ~500 price lookups in slices of 16, rows in slices of 2.
    assert.ok(queries > 60, `${queries} queries`);
    for (const id of [m.marketId, b.marketId]) {
      const gapped = byKey(whole.rows).get(`${id}|24h`)!;
      assert.ok(gapped.features.priceAgeHours >= 48, `${id}: ${gapped.features.priceAgeHours} h`);
    }
    // One slice of every lookup: the unanswered ones asked again (`older`) then span the seed's
    // month, and each answer must come from below its own cut, not the slice's least (the
    // members priced last before their own end answer above other lookups' cuts).
    const oneSlice = await buildFromSource(postgresSource(db.sql, { sliceLookups: 1_000_000 }), {
      horizons,
      batchRows: 1_000_000,
    });
    assert.deepEqual(oneSlice.rows, whole.rows);
  });
});

Deno.test("buildDataset() plans its lookups without JIT, however many a query holds", async () => {
  // Past jit_above_cost (a batch in large neg-risk groups) PostgreSQL would compile each plan
  // first, at more cost than the index probes save. Here every plan is past it (cost 0), and
  // auto_explain sends each plan to the client, where JIT shows as a "JIT:" section.
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    const plans: string[] = [];
    const forced = postgres(db.url!, {
      max: 4,
      onnotice: (n) => plans.push(String(n.message)),
      connection: {
        jit: "on",
        jit_above_cost: "0",
        client_min_messages: "log",
        session_preload_libraries: "auto_explain",
        "auto_explain.log_min_duration": "0",
      } as Record<string, string>,
    });
    try {
      await forced`select count(*) from price_snapshot_data`;
      assert.ok(
        plans.some((p) => p.includes("\nJIT:")),
        "JIT runs on this server unless turned off",
      );
      plans.length = 0;
      const build = await buildDataset(forced, { horizons: parseHorizons("1h,24h,7d") });
      assert.ok(build.rows.length >= 50, `${build.rows.length} rows`);
      const lookups = plans.filter((p) => /price_snapshot_data d|book_snapshot_data d/.test(p));
      assert.ok(lookups.length >= 2, `${lookups.length} lookup plans seen`);
      // The driver's own query of array types, on each new connection, is not the build's.
      const compiled = plans.filter((p) => p.includes("\nJIT:") && !p.includes("pg_catalog"));
      assert.deepEqual(compiled.map((p) => p.slice(0, 300)), []);
    } finally {
      await forced.end();
    }
  });
});

/** The features a `price` build reads (the rest are unknown there). */
const PRICE_READS = [
  "horizonHours",
  "priceAgeHours",
  "spread",
  "timeToEndHours",
  "feeRate",
  "feeExponent",
  "feesEnabled",
  "groupPriceSum",
  "groupPricedShare",
];

Deno.test("buildDataset() reading the price alone gives the full build's price, domain, group and metadata", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
    const horizons = parseHorizons("1h,24h,7d");
    const full = await buildDataset(db.sql, { horizons });
    const price = await buildDataset(db.sql, { horizons, reads: "price" });
    assert.deepEqual(price.excluded, full.excluded);
    assert.equal(price.rows.length, full.rows.length);
    const fullRows = byKey(full.rows);
    for (const row of price.rows) {
      const { features, ...rest } = fullRows.get(key(row))!;
      assert.deepEqual({ ...row, features: {} }, { ...rest, features: {} }, key(row));
      for (const [name, value] of Object.entries(features)) {
        if (PRICE_READS.includes(name)) assert.equal(row.features[name], value, name);
        else assert.ok(Number.isNaN(row.features[name]), `${key(row)} ${name} is not read`);
      }
    }
    // The full build knows what the price build leaves unknown.
    assert.ok(full.rows.every((r) => Number.isFinite(r.features.trades24h)));
    assert.ok(full.rows.some((r) => Number.isFinite(r.features.momentum24h)));
  });
});

Deno.test("buildDataset() gives the same rows on the embedded database as on the server", async () => {
  // The default install (PGlite) runs the forecasts task through the same lookups.
  const build = async (backend: "server" | "embedded") => {
    const db = await createTestDatabase(backend);
    try {
      await seedDataset(db.sql, { ...SEED, markets: 8 });
      await moveToPriceHistory(db.sql, 6, SEED.spreadDays);
      return await buildDataset(db.sql, { horizons: parseHorizons("1h,24h,7d") });
    } finally {
      await db.dispose();
    }
  };
  const [server, embedded] = [await build("server"), await build("embedded")];
  assert.ok(server.rows.length >= 18, `${server.rows.length} rows`);
  assert.deepEqual(embedded.excluded, server.excluded);
  assert.deepEqual(embedded.rows, server.rows);
});

Deno.test("parseHorizons() takes whole minutes, hours and days and names a bad one", () => {
  assert.deepEqual(parseHorizons("1h, 24h,7d,90m").map((h) => h.ms), [
    HOUR,
    24 * HOUR,
    7 * 24 * HOUR,
    90 * MINUTE,
  ]);
  for (const bad of ["", "1w", "0h", "1.5h", "h", "24h,24h", "-1d"]) {
    assert.throws(() => parseHorizons(bad), RangeError, bad);
  }
  assert.throws(() => parseHorizons("1h,2x"), /Not a horizon: "2x"/);
});

/**
 * Writes, for one row's market, data dated after `t` (the latest instant that reads it) or inside a
 * source's lag before it:
 * prices (changed and new, one 30 s before the instant; snapshots and backfilled points), a book
 * 4 minutes before and one after,
 * trades in the instant's unfinished second and after, a metadata change 1 ms after.
 */
async function writeAfter(sql: Sql, row: DatasetRow, t: number): Promise<void> {
  const m = seedMarket(Number(row.marketId.slice(1)), SEED.spreadDays);
  await sql`
    update price_snapshot_data set price = 1000, best_bid = 1000, best_ask = 2000
    where token_key = (select token_key from token_keys where token_id = ${m.yes})
      and ts > ${new Date(t - MINUTE)}`;
  await sql`
    insert into price_history (token_id, ts, fidelity_minutes, price, source)
    select ${m.yes}, ts, 1, 0.001, 'resolved_backfill'
    from unnest(${[t - 30_000, t, t + 1].map((ts) => new Date(ts).toISOString())}::timestamptz[])
      as u(ts)`;
  await insertPriceSnapshots(
    sql,
    [t - 30_000, t, t + 1].map((ts) => ({
      ts: new Date(ts),
      tokenId: m.yes,
      price: "0.999",
      bestBid: "0.99",
      bestAsk: "0.999",
      lastTradePrice: "0.999",
      volume24h: null,
      liquidity: null,
    })),
  );
  await insertBookSnapshots(
    sql,
    [t - 4 * MINUTE, t + MINUTE].map((ts) => ({
      ts: new Date(ts),
      tokenId: m.yes,
      conditionId: m.conditionId,
      exchangeTs: new Date(ts),
      bestBid: "0.1",
      bestAsk: "0.9",
      mid: "0.5",
      spread: "0.8",
      bidSize: "5000",
      askSize: "5000",
      tickSize: "0.001",
      hash: "late",
      bids: [{ price: "0.1", size: "5000" }],
      asks: [{ price: "0.9", size: "5000" }],
    })),
  );
  const second = Math.floor(t / 1000) * 1000;
  await insertTrades(sql, [trade(m.yes, second, "0.9"), trade(m.no, t + HOUR, "0.1")]);
  await recordMarketMetadata(sql, [{
    marketId: m.marketId,
    fields: {
      feeRate: "0.2",
      feeType: "sports_fees_v2",
      endDate: new Date(t + 99 * HOUR).toISOString(),
    },
    rules: null,
  }], { at: new Date(t + 1), source: "gamma" });
}

/** A member of the rows' group listed after their instants, priced and resolved after them. */
async function addLateGroupMember(sql: Sql, rows: readonly DatasetRow[]): Promise<void> {
  const row = rows[0]!;
  const group = seedMarket(Number(row.marketId.slice(1)), SEED.spreadDays).group;
  assert.equal(rows.length, 4);
  const listed = Math.max(...rows.map((r) => r.instant)) + MINUTE;
  await upsertMarkets(sql, [{
    marketId: "late",
    conditionId: "0xlate",
    questionId: null,
    eventId: row.eventId,
    slug: null,
    question: "Late?",
    outcomes: ["Yes", "No"],
    negRisk: true,
    negRiskMarketId: group,
    groupItemTitle: null,
    tickSize: "0.001",
    minOrderSize: "5",
    active: false,
    closed: true,
    archived: false,
    acceptingOrders: false,
    enableOrderBook: true,
    volume: null,
    liquidity: null,
    startDate: new Date(listed),
    endDate: new Date(listed + 48 * HOUR),
    closedTime: new Date(listed + 48 * HOUR),
  }]);
  await upsertTokens(sql, [
    {
      tokenId: "late-yes",
      conditionId: "0xlate",
      marketId: "late",
      outcome: "Yes",
      outcomeIndex: 0,
    },
    { tokenId: "late-no", conditionId: "0xlate", marketId: "late", outcome: "No", outcomeIndex: 1 },
  ]);
  await insertPriceSnapshots(sql, [{
    ts: new Date(listed),
    tokenId: "late-yes",
    price: "0.3",
    bestBid: null,
    bestAsk: null,
    lastTradePrice: null,
    volume24h: null,
    liquidity: null,
  }]);
  await upsertResolutions(sql, [{
    conditionId: "0xlate",
    marketId: "late",
    status: "resolved",
    winnerTokenId: "late-yes",
    winnerOutcome: "Yes",
    finalPrices: ["1", "0"],
    resolvedAt: new Date(listed + 48 * HOUR),
    source: "gamma",
    strength: 2,
    evidence: {},
  }]);
}

function trade(tokenId: string, ms: number, price: string) {
  return {
    ts: new Date(ms),
    tokenId,
    tradeKey: "x#0",
    conditionId: null,
    receivedAt: new Date(ms),
    price,
    size: "1000",
    side: "BUY" as const,
    feeRateBps: null,
    txHash: `0xlate${ms}${tokenId}`,
    source: "ws" as const,
  };
}

Deno.test("the answers' µs stamps are the stored ones, from 1970 to 2106, as extract gives them", async () => {
  // US goes through float8 (date_part) for speed; its rounding must give every count back.
  await withDatabase("server", async (db) => {
    const edges = [
      "1970-01-01 00:00:00.000001+00",
      "1999-12-31 23:59:59.999999+00",
      "2026-11-20 13:45:07.499999+00",
      "2026-11-20 13:45:07.500001+00",
      "2038-01-19 03:14:07.999999+00",
      "2106-02-07 06:28:15.999999+00",
      "1960-06-30 12:00:00.000001+00",
    ];
    const [row] = await db.sql<{ bad: number; n: number }[]>`
      with s as (
        select unnest(${edges}::timestamptz[]) as ts
        union all
        select timestamptz '1970-01-01 00:00:00+00'
          + (floor(random() * 4294967296000000)::int8 || ' microseconds')::interval
        from generate_series(1, 200000))
      select count(*)::int as n, count(*) filter (
        where ${db.sql.unsafe(US("ts"))} <> (extract(epoch from ts) * 1000000)::int8)::int as bad
      from s`;
    assert.equal(row!.n, 200_000 + edges.length);
    assert.equal(row!.bad, 0);
  });
});
