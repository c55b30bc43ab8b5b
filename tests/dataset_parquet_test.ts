/**
 * The dataset built by DuckDB over a `pmcollect export` folder equals the one built from
 * PostgreSQL, row for row and value for value, on the same data (exported with the export's own
 * code), including prices with more than six decimals and a market left out for having no
 * price before its instant, and a market whose prices were backfilled into `price_history`,
 * and trades whose price or size rounds to millionths at a tie or is too large for the DuckDB
 * builder's DOUBLE shortcut (`_dataset_duck_sql.ts`, MICRO), so its exact path is compared too,
 * and a gap of two days in a market's prices and books (the DuckDB builder's near-cut passes
 * leave those lookups to its ASOF joins), and a book whose levels round at a tie or are too
 * large for the DuckDB builder's 64-bit notional (`SIDE_USD`).
 */
import assert from "node:assert/strict";
import { withDatabase } from "./_db.ts";
import {
  exportDatasetTables,
  moveToPriceHistory,
  seedDataset,
  seedMarket,
} from "./_dataset_seed.ts";
import { buildDataset, parseHorizons } from "../models/dataset.ts";
import { buildDatasetFromExport, ExportFolderError } from "../models/dataset_parquet.ts";
import { insertPriceSnapshots } from "../db/prices.ts";
import { insertBookSnapshots } from "../db/books.ts";
import { insertTrades, type TradeRow } from "../db/trades.ts";

const HOUR = 3_600_000;
const SEED = { markets: 12, historyDays: 4, spreadDays: 2 };

Deno.test("buildDatasetFromExport() gives the rows buildDataset() gives on the same data", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    const m0 = seedMarket(0, SEED.spreadDays);
    // A price that does not fit millionths (kept exact by the view), the latest before m0's 1h.
    await insertPriceSnapshots(db.sql, [{
      ts: new Date(m0.end - HOUR - 2 * 60_000),
      tokenId: m0.yes,
      price: "0.1234567",
      bestBid: null,
      bestAsk: null,
      lastTradePrice: null,
      volume24h: null,
      liquidity: null,
    }]);
    // A best bid of seven decimals whose 128-bit DECIMAL is a multiple of 2¹² (the DuckDB
    // builder's byte reader must still take it through its text), the latest before m2's 1h.
    const m2 = seedMarket(2, SEED.spreadDays);
    await insertPriceSnapshots(db.sql, [{
      ts: new Date(m2.end - HOUR - 2 * 60_000),
      tokenId: m2.yes,
      price: "0.5",
      bestBid: "0.1234568",
      bestAsk: "0.2",
      lastTradePrice: null,
      volume24h: null,
      liquidity: null,
    }]);
    // Inside m0's trade windows at every horizon: ties at the seventh decimal (0.5000005 and
    // 70000.0000005 round away from zero; a DOUBLE rounds the first down) and sizes beyond 10⁵.
    const trade = (minutes: number, price: string, size: string): TradeRow => ({
      ts: new Date(m0.end - 3 * HOUR - minutes * 60_000),
      tokenId: m0.no,
      tradeKey: "x#0",
      conditionId: m0.conditionId,
      receivedAt: null,
      price,
      size,
      side: "BUY",
      feeRateBps: null,
      txHash: `0xtie${minutes}`,
      source: "ws",
    });
    await insertTrades(db.sql, [
      trade(1, "0.5000005", "70000.0000005"),
      trade(2, "0.5", "250000.2500005"),
      trade(3, "0.0000005", "123456.5"),
    ]);
    // m0's latest book before its 1h instant: a bid at a tie of the seventh decimal (kept exact
    // by the view) and levels beyond 10¹² (the DuckDB builder's 128-bit path).
    await insertBookSnapshots(db.sql, [{
      ts: new Date(m0.end - HOUR - 10 * 60_000),
      tokenId: m0.yes,
      conditionId: m0.conditionId,
      exchangeTs: null,
      bestBid: "0.5000005",
      bestAsk: "0.6",
      mid: null,
      spread: null,
      bidSize: "0",
      askSize: "0",
      tickSize: "0.001",
      hash: "hbig",
      bids: [{ price: "0.5000005", size: "3.0000005" }, { price: "0.4", size: "1234567890123.5" }],
      asks: [{ price: "0.6", size: "2000000000000" }],
    }]);
    await moveToPriceHistory(db.sql, 4, SEED.spreadDays);
    // Market 3's prices are gone before its 1h instant: left out, counted.
    const m3 = seedMarket(3, SEED.spreadDays);
    await db.sql`
      delete from price_snapshot_data
      where token_key = (select token_key from token_keys where token_id = ${m3.yes})`;
    // A gap of two days in market 1's snapshots around its 24h instant: its lookups there reach
    // far behind their cut (the DuckDB builder's near-cut pass leaves them to its ASOF join).
    const m1 = seedMarket(1, SEED.spreadDays);
    await db.sql`
      delete from price_snapshot_data
      where token_key = (select token_key from token_keys where token_id = ${m1.yes})
        and ts > ${new Date(m1.end - 60 * HOUR)} and ts < ${new Date(m1.end - 12 * HOUR)}`;
    // And in its books (the DuckDB builder's near-cut book pass leaves those to BOOKS_ASOF_SQL).
    await db.sql`
      delete from book_snapshot_data
      where token_key = (select token_key from token_keys where token_id = ${m1.yes})
        and ts > ${new Date(m1.end - 60 * HOUR)} and ts < ${new Date(m1.end - 12 * HOUR)}`;
    const out = await Deno.makeTempDir({ prefix: "dataset_parquet_" });
    try {
      await exportDatasetTables(db.sql, out);
      const options = { horizons: parseHorizons("1h,24h,3d") };
      const fromDb = await buildDataset(db.sql, options);
      const fromExport = await buildDatasetFromExport(out, options);
      assert.equal(
        fromDb.rows.find((r) => r.marketId === "m0" && r.horizon === "1h")?.price,
        0.1234567,
      );
      assert.equal(
        fromDb.rows.find((r) => r.marketId === "m2" && r.horizon === "1h")?.features.spread,
        0.2 - 0.1234568,
      );
      assert.equal(fromDb.excluded.noPriceBeforeInstant, 3);
      const gap = fromDb.rows.find((r) => r.marketId === "m1" && r.horizon === "24h")!;
      assert.ok(gap.features.priceAgeHours > 30, "m1's 24h price comes from before the gap");
      assert.ok(gap.features.bookAgeHours > 30, "m1's 24h book comes from before the gap");
      assert.equal(fromDb.rows.filter((r) => r.domain === "politics").length, 3);
      assert.equal(fromDb.rows.length, (SEED.markets - 2) * 3);
      // 0.500001 × 70000.000001 + 0.5 × 250000.250001 + 0.000001 × 123456.5 on top of the seed's.
      const m0at1h = fromDb.rows.find((r) => r.marketId === "m0" && r.horizon === "1h")!;
      assert.ok(m0at1h.features.logNotional24h > Math.log1p(125_000));
      // Bids 0.500001 × 3.000001 + 0.4 × 1234567890123.5 = 493827156050.9000035… → .90; asks
      // 0.6 × 2·10¹².
      const bids = 493_827_156_050.9, asks = 1_200_000_000_000;
      assert.equal(m0at1h.features.logDepthUsd, Math.log1p(bids + asks));
      assert.equal(m0at1h.features.bookImbalance, (bids - asks) / (bids + asks));
      assert.deepEqual(fromExport, fromDb);
      // A batch at a time (a long history's memory is bounded by its batch): the same rows.
      assert.deepEqual(await buildDatasetFromExport(out, { ...options, batchRows: 7 }), fromDb);
      // Reading the price alone (what the forecasts of a calibration map read), both the same.
      const priceOnly = { ...options, reads: "price" as const };
      const priceFromDb = await buildDataset(db.sql, priceOnly);
      assert.deepEqual(await buildDatasetFromExport(out, priceOnly), priceFromDb);
      assert.equal(priceFromDb.rows.length, fromDb.rows.length);
      assert.equal(
        priceFromDb.rows.filter((r) => r.features.feeRate === 0.05).length,
        fromDb.rows.filter((r) => r.features.feeRate === 0.05).length,
        "the metadata as of each instant",
      );

      const since = new Date(m0.end - 1);
      const until = new Date(m0.end + 1);
      const one = await buildDatasetFromExport(out, { ...options, since, until });
      assert.deepEqual(one, await buildDataset(db.sql, { ...options, since, until }));
      assert.deepEqual([...new Set(one.rows.map((r) => r.marketId))], ["m0"]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("buildDatasetFromExport() reads a batch's days and still finds what is older", async () => {
  // Twenty days of history, ends over ten: a batch's cuts reach a week and a day back, so its
  // near passes read the days around them and not the history's first days.
  const seed = { markets: 24, historyDays: 20, spreadDays: 10, priceStepMinutes: 60 };
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, seed);
    const cut = async (i: number, table: string, from: number, to: number) => {
      const m = seedMarket(i, seed.spreadDays);
      await db.sql`
        delete from ${db.sql(table)}
        where token_key = (select token_key from token_keys where token_id = ${m.yes})
          and ts > ${new Date(m.end - from * HOUR)} and ts < ${new Date(m.end - to * HOUR)}`;
    };
    // m1: nothing from 12 days before its end until just before its 1h instant, then prices
    // again (the near days hold its token, but nothing at or before these cuts).
    await cut(1, "price_snapshot_data", 12 * 24, 1.05);
    await cut(1, "book_snapshot_data", 12 * 24, 1.05);
    // m4: nothing after 12 days before its end (its token is not in the near days at all).
    await cut(4, "price_snapshot_data", 12 * 24, -1);
    await cut(4, "book_snapshot_data", 12 * 24, -1);
    // m2: listed two days before its end (nothing at all before: no answer, not an older one).
    await cut(2, "price_snapshot_data", 30 * 24, 2 * 24);
    await cut(2, "book_snapshot_data", 30 * 24, 2 * 24);
    const out = await Deno.makeTempDir({ prefix: "dataset_parquet_" });
    try {
      await exportDatasetTables(db.sql, out);
      const options = { horizons: parseHorizons("1h,24h") };
      const fromDb = await buildDataset(db.sql, options);
      const m1 = fromDb.rows.find((r) => r.marketId === "m1" && r.horizon === "24h")!;
      assert.ok(m1.features.priceAgeHours > 11 * 24, "m1's price from before its gap");
      assert.ok(m1.features.bookAgeHours > 11 * 24, "m1's book from before its gap");
      const m4 = fromDb.rows.find((r) => r.marketId === "m4" && r.horizon === "1h")!;
      assert.ok(m4.features.priceAgeHours > 11 * 24, "m4's price from before its gap");
      const m2 = fromDb.rows.find((r) => r.marketId === "m2" && r.horizon === "24h")!;
      assert.ok(Number.isNaN(m2.features.momentum7d), "m2 had no price a week before");
      assert.deepEqual(await buildDatasetFromExport(out, options), fromDb);
      assert.deepEqual(await buildDatasetFromExport(out, { ...options, batchRows: 4 }), fromDb);
      const since = new Date(seedMarket(3, seed.spreadDays).end - 1);
      assert.deepEqual(
        await buildDatasetFromExport(out, { ...options, since }),
        await buildDataset(db.sql, { ...options, since }),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("buildDatasetFromExport() names a catalog table the folder lacks", async () => {
  const out = await Deno.makeTempDir({ prefix: "dataset_parquet_" });
  try {
    await assert.rejects(
      buildDatasetFromExport(out, { horizons: parseHorizons("1h") }),
      (err) => err instanceof ExportFolderError && /no markets\/all/.test(err.message),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
