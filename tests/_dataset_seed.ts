/**
 * A migrated database of resolved markets for the dataset tests and benchmark, written through
 * the collectors' own writers: per market a YES price snapshot every `priceStepMinutes` over the
 * `historyDays` (15) days before its end, a YES book every 6 hours, a trade on both tokens every
 * `tradeStepMinutes` (8 hours), a metadata version at listing and a fee change 3 days before the
 * end; every fourth market's neighbours share a neg-risk group of 4; every tenth market resolves
 * 50-50 (ambiguous).
 * Values are derived from the market's index, so a seed is reproducible.
 */
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { upsertResolutions } from "../db/resolutions.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { insertTrades, type TradeRow } from "../db/trades.ts";
import { recordMarketMetadata } from "../db/market_metadata.ts";
import { silentLogger } from "../runtime/log.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition, type Partition } from "../export/partition.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Ends are spread over the 30 days before this instant. */
export const SEED_END = Date.parse("2026-11-20T00:00:00Z");

export interface SeedOptions {
  readonly markets: number;
  /** Minutes between a token's price snapshots (default 30). */
  readonly priceStepMinutes?: number;
  /** Days of series before each end (default 15). */
  readonly historyDays?: number;
  /** Ends are spread over this many days before SEED_END (default 30). */
  readonly spreadDays?: number;
  /** Minutes between a market's trades, each on both tokens (default 480: every 8 hours). */
  readonly tradeStepMinutes?: number;
}

/** Market `i`'s ids and end (the seed's own view, for assertions). */
export function seedMarket(i: number, spreadDays = 30) {
  // Off the minute and the second, so that instants fall inside a trade's second.
  const end = SEED_END - (i % spreadDays) * DAY - (i * 7 % 1440) * MINUTE - (i * 7919 % 60_000);
  return {
    marketId: `m${i}`,
    conditionId: `0xc${i}`,
    yes: `${9_000_000 + i * 2}`,
    no: `${9_000_000 + i * 2 + 1}`,
    end,
    group: i % 8 < 4 ? `0xgroup${Math.floor(i / 4)}` : null,
    voided: i % 10 === 9,
    yesWins: i % 3 !== 0,
  };
}

/** The market's YES price at minute `m` of its life (deterministic, in (0.02, 0.98)). */
export function seedPrice(i: number, ms: number): string {
  const x = Math.sin(i * 12.9898 + ms / HOUR / 17) * 0.45 + 0.5;
  return (Math.round(x * 1000) / 1000).toFixed(3);
}

/** Migrates (plain) and writes the markets. */
export async function seedDataset(sql: Sql, options: SeedOptions): Promise<void> {
  await migrate(sql, { log: silentLogger(), timescale: "off" });
  const step = (options.priceStepMinutes ?? 30) * MINUTE;
  const tradeStep = (options.tradeStepMinutes ?? 480) * MINUTE;
  const all = Array.from({ length: options.markets }, (_, i) => i);
  for (let from = 0; from < all.length; from += 200) {
    const chunk = all.slice(from, from + 200).map((i) => seedMarket(i, options.spreadDays));
    await upsertMarkets(sql, chunk.map((m) => marketRow(m)));
    await upsertTokens(
      sql,
      chunk.flatMap((m) => [
        {
          tokenId: m.yes,
          conditionId: m.conditionId,
          marketId: m.marketId,
          outcome: "Yes",
          outcomeIndex: 0,
        },
        {
          tokenId: m.no,
          conditionId: m.conditionId,
          marketId: m.marketId,
          outcome: "No",
          outcomeIndex: 1,
        },
      ]),
    );
    await upsertResolutions(
      sql,
      chunk.map((m) => ({
        conditionId: m.conditionId,
        marketId: m.marketId,
        status: m.voided ? "ambiguous" : "resolved",
        winnerTokenId: m.voided ? null : m.yesWins ? m.yes : m.no,
        winnerOutcome: m.voided ? null : m.yesWins ? "Yes" : "No",
        finalPrices: m.voided ? ["0.5", "0.5"] : m.yesWins ? ["1", "0"] : ["0", "1"],
        resolvedAt: new Date(m.end),
        source: "gamma",
        strength: 2,
        evidence: {},
      })),
    );
    const prices: PriceSnapshotRow[] = [];
    const books: BookSnapshotRow[] = [];
    const trades: TradeRow[] = [];
    for (const [k, m] of chunk.entries()) {
      const i = from + k;
      const start = m.end - (options.historyDays ?? 15) * DAY;
      for (let t = Math.ceil(start / step) * step; t < m.end; t += step) {
        const p = seedPrice(i, t);
        const spread = i % 5 === 0 ? null : "0.02";
        prices.push({
          ts: new Date(t),
          tokenId: m.yes,
          price: p,
          bestBid: spread === null ? null : (Number(p) - 0.01).toFixed(3),
          bestAsk: spread === null ? null : (Number(p) + 0.01).toFixed(3),
          lastTradePrice: p,
          volume24h: "1000",
          liquidity: "500",
        });
      }
      for (let t = Math.ceil(start / (6 * HOUR)) * 6 * HOUR; t < m.end; t += 6 * HOUR) {
        const p = Number(seedPrice(i, t));
        books.push(book(m.yes, m.conditionId, t, p, i));
      }
      for (let t = Math.ceil(start / tradeStep) * tradeStep; t < m.end; t += tradeStep) {
        for (const token of [m.yes, m.no]) {
          trades.push({
            ts: new Date(t + (i % 60) * 1000),
            tokenId: token,
            tradeKey: "x#0",
            conditionId: m.conditionId,
            receivedAt: new Date(t),
            price: seedPrice(i, t),
            size: `${10 + (Math.floor(t / HOUR) + i) % 90}.5`,
            side: "BUY",
            feeRateBps: null,
            txHash: `0x${i.toString(16)}${t.toString(16)}${token === m.yes ? "a" : "b"}`,
            source: "ws",
          });
        }
      }
    }
    await insertPriceSnapshots(sql, prices);
    await insertBookSnapshots(sql, books);
    await insertTrades(sql, trades);
    for (const m of chunk) {
      const listed = m.end - 20 * DAY;
      await recordMetadata(sql, m, listed, "0.04");
      await recordMetadata(sql, m, m.end - 3 * DAY, "0.05");
    }
  }
}

function marketRow(m: ReturnType<typeof seedMarket>) {
  return {
    marketId: m.marketId,
    conditionId: m.conditionId,
    questionId: null,
    eventId: m.group ?? `e${m.marketId}`,
    slug: null,
    question: `Question ${m.marketId}?`,
    outcomes: ["Yes", "No"],
    negRisk: m.group !== null,
    negRiskMarketId: m.group,
    groupItemTitle: null,
    tickSize: "0.001",
    minOrderSize: "5",
    active: true,
    closed: true,
    archived: false,
    acceptingOrders: false,
    enableOrderBook: true,
    volume: "1000",
    liquidity: "500",
    startDate: new Date(m.end - 20 * DAY),
    endDate: new Date(m.end),
    closedTime: new Date(m.end),
  };
}

function book(token: string, condition: string, t: number, p: number, i: number): BookSnapshotRow {
  const bid = (p - 0.01).toFixed(3), ask = (p + 0.01).toFixed(3);
  const size = `${100 + (i % 7) * 10}`;
  return {
    ts: new Date(t),
    tokenId: token,
    conditionId: condition,
    exchangeTs: new Date(t),
    bestBid: bid,
    bestAsk: ask,
    mid: p.toFixed(4),
    spread: "0.02",
    bidSize: `${Number(size) + 50}`,
    askSize: size,
    tickSize: "0.001",
    hash: `h${t}`,
    bids: [{ price: bid, size }, { price: (p - 0.02).toFixed(3), size: "50" }],
    asks: [{ price: ask, size }],
  };
}

async function recordMetadata(
  sql: Sql,
  m: ReturnType<typeof seedMarket>,
  at: number,
  feeRate: string,
): Promise<void> {
  await recordMarketMetadata(sql, [{
    marketId: m.marketId,
    fields: {
      feesEnabled: true,
      feeRate,
      feeExponent: "1",
      feeType: m.marketId.endsWith("1") ? "crypto_fees" : null,
      endDate: new Date(m.end).toISOString(),
      negRiskMarketId: m.group,
    },
    rules: null,
  }], { at: new Date(at), source: "gamma" });
}

/** Exports what the dataset reads: the catalog whole and the series by day (export's own code). */
export async function exportDatasetTables(sql: Sql, out: string): Promise<void> {
  const partitions: Partition[] = ["markets", "tokens", "resolutions", "market_metadata_history"]
    .map((table) => ({ table, timeColumn: null, day: null }));
  for (const table of ["price_snapshots", "price_history", "book_snapshots", "trades"]) {
    const days = await sql<{ day: string }[]>`
      select distinct to_char(ts at time zone 'UTC', 'YYYY-MM-DD') as day
      from ${sql(table)} order by 1`;
    partitions.push(...days.map((d) => dayPartition(table, "ts", d.day)));
  }
  const signal = new AbortController().signal;
  for (const partition of partitions) {
    await exportPartition(sql, partition, {
      out,
      program: "test",
      signal,
      now: () => new Date("2030-01-01T00:00:00Z"),
    });
  }
}

/**
 * Makes market `i` look backfilled by `backfill --resolved`: its YES snapshots move to
 * `price_history` (fidelity 30, and a decoy at fidelity 720 with price 0.999 on the same stamps,
 * which the smallest fidelity must beat), and its category is set to "Politics".
 */
export async function moveToPriceHistory(sql: Sql, i: number, spreadDays: number): Promise<void> {
  const m = seedMarket(i, spreadDays);
  await sql`
    insert into price_history (token_id, ts, fidelity_minutes, price, source)
    select token_id, ts, f.fidelity, case when f.fidelity = 30 then price else 0.999 end,
      'resolved_backfill'
    from price_snapshots, (values (30), (720)) as f(fidelity) where token_id = ${m.yes}`;
  await sql`
    delete from price_snapshot_data
    where token_key = (select token_key from token_keys where token_id = ${m.yes})`;
  await sql`update markets set category = 'Politics' where market_id = ${m.marketId}`;
}
