/**
 * A migrated database with prices, books, quotes and trades on two UTC days (the 26th and the
 * 30th of November 2026), written through the collectors' own writers, with awkward values:
 * a price with more than 6 decimals and Gamma's float noise in an amount (kept in the storage
 * tables' `exact` column), a size beyond int8 millionths, empty and deep books, long token ids.
 * Used by the export tests of the public views (tests/export_views_test.ts,
 * tests/export_duckdb_answers_test.ts).
 */
import { insertBookSnapshots } from "../db/books.ts";
import { insertPriceSnapshots } from "../db/prices.ts";
import { insertQuotes, insertTrades } from "../db/trades.ts";
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";

export const OLD_DAY = "2026-11-26";
export const KEPT_DAY = "2026-11-30";
/** Retention's clock in these tests: with 1 day kept, the cutoff is the 30th. */
export const RETENTION_NOW = new Date("2026-12-01T08:00:00Z");
export const TOKENS = [
  "71321045679252212594626385532706912750332728571942532289631379312455583992563",
  "52114319501245915516055106046884209969926127482827954674443846427813813222124",
] as const;
export const VIEWS = ["price_snapshots", "book_snapshots", "quotes"] as const;
export const SERIES = [...VIEWS, "trades"] as const;

/** Migrates (plain) and writes the rows: per token and day 5 or 3 rows of each table. */
export async function seedSeries(sql: Sql): Promise<void> {
  await migrate(sql, { log: silentLogger(), timescale: "off" });
  for (const day of [OLD_DAY, KEPT_DAY]) {
    const at = (minute: number) => new Date(Date.parse(`${day}T00:00:00Z`) + minute * 60_000);
    for (const [t, tokenId] of TOKENS.entries()) {
      const n = t === 0 ? 5 : 3;
      const minutes = Array.from({ length: n }, (_, i) => i * 7 + t);
      await insertPriceSnapshots(
        sql,
        minutes.map((m, i) => ({
          ts: at(m),
          tokenId,
          price: i === 1 ? "0.1234567" : `0.${50 + i}`,
          bestBid: `0.${40 + i}`,
          bestAsk: i === 2 ? null : `0.${60 + i}`,
          lastTradePrice: "0.5",
          volume24h: i === 0 ? "25072.141289999992" : `${1000 + i * 10}.25`,
          liquidity: i === 3 ? "99999999999999.999999" : "500",
        })),
      );
      await insertBookSnapshots(
        sql,
        minutes.map((m, i) => ({
          ts: at(m + 1),
          tokenId,
          conditionId: "0xc0ffee",
          exchangeTs: at(m),
          bestBid: i === 2 ? null : `0.${40 + i}`,
          bestAsk: i === 2 ? null : `0.${60 + i}`,
          mid: i === 2 ? null : `0.${50 + i}`,
          spread: i === 2 ? null : "0.2",
          bidSize: i === 2 ? "0" : `${10 + i}.5`,
          askSize: i === 2 ? "0" : "3",
          tickSize: "0.01",
          hash: `h${i}`,
          bids: i === 2 ? [] : [{ price: `0.${40 + i}`, size: `${10 + i}.5` }, {
            price: "0.3",
            size: "0",
          }].slice(0, 1 + (i % 2)),
          asks: i === 2 ? [] : [{ price: `0.${60 + i}`, size: "3" }],
        })),
      );
      await insertQuotes(
        sql,
        minutes.map((m, i) => ({
          ts: at(m + 2),
          tokenId,
          bestBid: i === 0 ? null : `0.${40 + i}`,
          bestAsk: i === 1 ? "0.6000001" : `0.${60 + i}`,
        })),
      );
      await insertTrades(
        sql,
        minutes.map((m, i) => ({
          ts: at(m + 3),
          tokenId,
          tradeKey: `k#${i}`,
          conditionId: "0xc0ffee",
          receivedAt: at(m + 3),
          price: i === 1 ? "0.123456789" : `0.${50 + i}`,
          size: i === 0 ? "12345678901234567890.5" : `${i + 1}.25`,
          side: i % 2 === 0 ? "BUY" : "SELL",
          feeRateBps: i === 0 ? null : "0",
          txHash: `0x${i}`,
          source: "ws",
        })),
      );
    }
  }
}
