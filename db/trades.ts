/**
 * Trades and top-of-book quotes from the websocket (and backfilled trades), written in bulk
 * and idempotently: the natural key (token, ts, trade_key) makes a replayed batch a no-op.
 *
 * @example
 * ```ts
 * import { insertTrades } from "./trades.ts";
 * const inserted = await insertTrades(sql, rows);
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral, col, iso } from "./_columns.ts";
import { tokenKeys } from "./_keys.ts";
import { MicroRow } from "./_micro.ts";

export interface TradeRow {
  ts: Date;
  tokenId: string;
  /** Identity of this fill: see docs/schema.md ("trade keys"). */
  tradeKey: string;
  conditionId: string | null;
  receivedAt: Date | null;
  price: string;
  size: string;
  side: "BUY" | "SELL" | null;
  feeRateBps: string | null;
  txHash: string | null;
  source: "ws" | "data_api";
}

export interface QuoteRow {
  ts: Date;
  tokenId: string;
  bestBid: string | null;
  bestAsk: string | null;
}

const BATCH = 10_000;

/** Inserts trades, skipping keys already stored; returns the number of new rows. */
export async function insertTrades(sql: Queryable, rows: readonly TradeRow[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += BATCH) {
    const b = rows.slice(start, start + BATCH);
    const result = await sql`
      insert into trades (ts, token_id, trade_key, condition_id, received_at, price, size, side,
                          fee_rate_bps, tx_hash, source)
      select * from unnest(
        ${col(b, (r) => iso(r.ts))}::timestamptz[], ${col(b, (r) => r.tokenId)}::text[],
        ${col(b, (r) => r.tradeKey)}::text[], ${col(b, (r) => r.conditionId)}::text[],
        ${col(b, (r) => iso(r.receivedAt))}::timestamptz[], ${col(b, (r) => r.price)}::numeric[],
        ${col(b, (r) => r.size)}::numeric[], ${col(b, (r) => r.side)}::text[],
        ${col(b, (r) => r.feeRateBps)}::numeric[], ${col(b, (r) => r.txHash)}::text[],
        ${col(b, (r) => r.source)}::text[])
      on conflict (token_id, ts, trade_key) do nothing`;
    inserted += result.count;
  }
  return inserted;
}

/**
 * Inserts quote rows, keeping the first one stored for a (token, ts). Stored compactly in
 * quote_data (int4 token key, prices as millionths; see db/_micro.ts), read through `quotes`.
 */
export async function insertQuotes(sql: Queryable, rows: readonly QuoteRow[]): Promise<number> {
  let inserted = 0;
  const enc = new MicroRow();
  for (let start = 0; start < rows.length; start += BATCH) {
    const b = rows.slice(start, start + BATCH);
    const keys = await tokenKeys(sql, b.map((r) => r.tokenId));
    const bids = new Array<string | null>(b.length), asks = new Array<string | null>(b.length);
    const exact = new Array<string | null>(b.length);
    for (let i = 0; i < b.length; i++) {
      enc.reset();
      bids[i] = enc.price("best_bid", b[i]!.bestBid);
      asks[i] = enc.price("best_ask", b[i]!.bestAsk);
      exact[i] = enc.exactJson();
    }
    const result = await sql`
      insert into quote_data (ts, token_key, best_bid, best_ask, exact)
      select * from unnest(
        ${col(b, (r) => iso(r.ts))}::timestamptz[], ${arrayLiteral(keys)}::integer[],
        ${arrayLiteral(bids)}::integer[], ${arrayLiteral(asks)}::integer[],
        ${arrayLiteral(exact)}::jsonb[])
      on conflict (token_key, ts) do nothing`;
    inserted += result.count;
  }
  return inserted;
}

export interface StoredTrade {
  ts: Date;
  tradeKey: string;
  price: string;
  size: string;
  side: string | null;
  txHash: string | null;
  source: string;
}

/** Trades of one token in [from, to), oldest first. */
export async function tradesInRange(
  sql: Queryable,
  tokenId: string,
  range: { from: Date; to: Date },
): Promise<StoredTrade[]> {
  const rows = await sql<
    {
      ts: Date;
      trade_key: string;
      price: string;
      size: string;
      side: string | null;
      tx_hash: string | null;
      source: string;
    }[]
  >`
    select ts, trade_key, price, size, side, tx_hash, source from trades
    where token_id = ${tokenId} and ts >= ${range.from} and ts < ${range.to}
    order by ts, trade_key`;
  return rows.map((r) => ({
    ts: r.ts,
    tradeKey: r.trade_key,
    price: r.price,
    size: r.size,
    side: r.side,
    txHash: r.tx_hash,
    source: r.source,
  }));
}

export interface VolumeBar {
  bucket: Date;
  trades: number;
  volume: string;
  notional: string;
  vwap: string | null;
}

/** Hourly trade count, volume, notional and VWAP of one token in [from, to). */
export async function tradeVolume(
  sql: Queryable,
  tokenId: string,
  range: { from: Date; to: Date },
): Promise<VolumeBar[]> {
  const rows = await sql<
    { bucket: Date; trades: string; volume: string; notional: string; vwap: string | null }[]
  >`
    select bucket, trades, volume, notional, vwap from trade_volume_1h
    where token_id = ${tokenId} and bucket >= ${range.from} and bucket < ${range.to}
    order by bucket`;
  return rows.map((r) => ({ ...r, trades: Number(r.trades) }));
}
