/**
 * Backfill test harness: a paused simulator with a few seconds of trades, a fresh schema with
 * the simulator's open markets in the catalog, the simulator's trade log (read once from its
 * Data API before anything runs) and helpers to write part of it as "live" websocket rows.
 */
import { marketRow } from "./_collector_env.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { migrate } from "../db/migrate.ts";
import { insertTrades } from "../db/trades.ts";
import type { Queryable } from "../db/client.ts";
import { createHttpClient, type HttpClient } from "../polymarket/http.ts";
import {
  type Budget,
  createRateLimiter,
  DEFAULT_BUDGETS,
  type EndpointFamily,
} from "../polymarket/rate_limiter.ts";
import { silentLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";
import { createTestDatabase } from "./_db.ts";

/** One trade of the simulator's log. */
export interface LoggedTrade {
  tokenId: string;
  conditionId: string;
  /** Unix seconds (the Data API's precision). */
  second: number;
  price: string;
  size: string;
  side: "BUY" | "SELL";
  txHash: string;
}

/** Starts everything; `dispose` stops it. */
export async function setupBackfill(options: { markets?: number; tradeMs?: number } = {}) {
  const sim = await startSimulator({ markets: 10, seed: 11, lifecycleRate: 0, tickMs: 50 });
  await sleep(options.tradeMs ?? 2500);
  sim.control.pause();
  // Every request is sent in a later second than the last trade, so the "now" point that
  // /prices-history appends is never inside a window.
  await sleep(1000);
  const db = await createTestDatabase("server");
  await migrate(db.sql, { log: silentLogger(), timescale: "off" });
  const markets = sim.universe.markets.filter((m) => m.status === "open")
    .slice(0, options.markets ?? 6);
  await storeCatalog(db.sql, markets);
  const log: LoggedTrade[] = [];
  for (const m of markets) {
    const res = await fetch(`${sim.url}/trades?market=${m.conditionId}&limit=10000`);
    const rows = await res.json() as {
      asset: string;
      timestamp: number;
      price: number;
      size: number;
      side: "BUY" | "SELL";
      transactionHash: string;
    }[];
    for (const r of rows) {
      log.push({
        tokenId: r.asset,
        conditionId: m.conditionId,
        second: r.timestamp,
        price: String(r.price),
        size: String(r.size),
        side: r.side,
        txHash: r.transactionHash,
      });
    }
  }
  const seconds = log.map((t) => t.second);
  const firstSecond = Math.min(...seconds);
  const lastSecond = Math.max(...seconds);
  const http = (budgets: Partial<Record<EndpointFamily, Budget>> = {}) =>
    simulatorHttp(sim.url, budgets);
  return {
    sim,
    db,
    markets,
    log,
    firstSecond,
    lastSecond,
    http,
    dispose: async () => {
      await sim.close();
      await db.dispose();
    },
  };
}

/** A backfill HTTP client against the simulator with its own limiter and a request count. */
export function simulatorHttp(
  url: string,
  budgets: Partial<Record<EndpointFamily, Budget>> = {},
): { client: HttpClient; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const inner = createHttpClient({
    baseUrls: { gamma: url, clob: url, dataApi: url },
    limiter: createRateLimiter({ budgets: { ...DEFAULT_BUDGETS, ...budgets } }),
    log: silentLogger(),
    backoffBaseMs: 10,
  });
  const client: HttpClient = {
    getJson: (family, path, query, signal) => {
      counts.set(family, (counts.get(family) ?? 0) + 1);
      return inner.getJson(family, path, query, signal);
    },
    postJson: (family, path, body, signal) => inner.postJson(family, path, body, signal),
  };
  return { client, counts };
}

/** A simulator market as the catalog needs it. */
export interface SimMarket {
  readonly id: string;
  readonly conditionId: string;
  readonly questionId: string;
  readonly eventIndex: number;
  readonly slug: string;
  readonly question: string;
  readonly tokenIds: readonly string[];
}

/** Puts simulator markets and their tokens in the catalog (what the backfill selects from). */
export async function storeCatalog(sql: Queryable, markets: readonly SimMarket[]): Promise<void> {
  await upsertMarkets(
    sql,
    markets.map((m) =>
      marketRow({ marketId: m.id, conditionId: m.conditionId }, {
        questionId: m.questionId,
        eventId: String(m.eventIndex),
        slug: m.slug,
        question: m.question,
      })
    ),
  );
  await upsertTokens(
    sql,
    markets.flatMap((m) =>
      m.tokenIds.map((tokenId, i) => ({
        tokenId,
        conditionId: m.conditionId,
        marketId: m.id,
        outcome: i === 0 ? "Yes" : "No",
        outcomeIndex: i,
      }))
    ),
  );
}

/** Writes trades as the websocket listener would (source "ws", millisecond timestamps). */
export async function insertLive(sql: Queryable, trades: readonly LoggedTrade[]): Promise<number> {
  return await insertTrades(
    sql,
    trades.map((t) => ({
      ts: new Date(t.second * 1000 + 500),
      tokenId: t.tokenId,
      tradeKey: `ws:${t.txHash}#0`,
      conditionId: t.conditionId,
      receivedAt: new Date(t.second * 1000 + 600),
      price: t.price,
      size: t.size,
      side: t.side,
      feeRateBps: null,
      txHash: t.txHash,
      source: "ws",
    })),
  );
}

/** Distinct one-minute buckets with trades per token in [from, to) seconds (what /prices-history serves). */
export function expectedPricePoints(
  log: readonly LoggedTrade[],
  range: { from: number; to: number },
): number {
  const buckets = new Set<string>();
  for (const t of log) {
    if (t.second >= range.from && t.second < range.to) {
      buckets.add(`${t.tokenId}|${Math.floor(t.second / 60)}`);
    }
  }
  return buckets.size;
}
