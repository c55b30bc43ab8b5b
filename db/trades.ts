/**
 * Trades and top-of-book quotes from the websocket (and backfilled trades), written in bulk
 * and idempotently. A trade's key is its identity (db/trade_identity.ts): the same fill from
 * the websocket and from the Data API gets the same (token, second, trade_key), so storing it
 * twice is impossible; the second sighting only records its receive time on the stored row.
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
import { keyOrdinal, tradeKey } from "./trade_identity.ts";

export interface TradeRow {
  /** Venue time as the source gives it (ms from the websocket, seconds from the Data API). */
  ts: Date;
  tokenId: string;
  /**
   * Identity of this fill, `hash#ordinal` (docs/schema.md, "Trade identity"). Only the
   * ordinal is taken from here: `insertTrades` derives the hash from the row's own fields.
   */
  tradeKey: string;
  conditionId: string | null;
  /** When this source received it (stored as `received_at` or `backfill_received_at`). */
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

/** The origin of `trade_hours`' hours (migration 0025): whole UTC hours. */
const TRADE_HOUR_ORIGIN = "2000-01-01T00:00:00Z";

/** What one write did: rows added, and stored rows a second source saw again. */
export interface TradeWrite {
  inserted: number;
  merged: number;
}

/** The row as stored: `ts` cut to the second, the key re-derived from the fields. */
function stored(r: TradeRow) {
  const ms = r.ts.getTime();
  const identity = {
    tokenId: r.tokenId,
    timestamp: ms,
    price: r.price,
    size: r.size,
    side: r.side,
    transactionHash: r.txHash,
  };
  const live = r.source === "ws";
  return {
    ...r,
    second: iso(new Date(Math.floor(ms / 1000) * 1000)),
    key: tradeKey(identity, keyOrdinal(r.tradeKey)),
    exchangeTs: live ? iso(r.ts) : null,
    liveAt: live ? iso(r.receivedAt) : null,
    backfillAt: live ? null : iso(r.receivedAt),
  };
}

/**
 * Inserts trades; a fill already stored (by any source) is not inserted again, but the
 * receive time of a source that had not seen it yet is recorded on it. Each token's hourly
 * totals (`trade_hours`) grow by what was inserted.
 */
export async function writeTrades(sql: Queryable, rows: readonly TradeRow[]): Promise<TradeWrite> {
  const out: TradeWrite = { inserted: 0, merged: 0 };
  for (let start = 0; start < rows.length; start += BATCH) {
    const b = rows.slice(start, start + BATCH).map(stored);
    // The hours' totals (migration 0025) take what this insert stored, in the same statement:
    // a fill another writer stored first is skipped here and counted there, once. Hours in
    // key order, so that two writers lock the rows they share in the same order.
    const [{ inserted }] = await sql<{ inserted: number }[]>`
      with stored as (
        insert into trades (ts, token_id, trade_key, condition_id, received_at, price, size,
                            side, fee_rate_bps, tx_hash, source, exchange_ts,
                            backfill_received_at)
        select * from unnest(
          ${col(b, (r) => r.second)}::timestamptz[], ${col(b, (r) => r.tokenId)}::text[],
          ${col(b, (r) => r.key)}::text[], ${col(b, (r) => r.conditionId)}::text[],
          ${col(b, (r) => r.liveAt)}::timestamptz[], ${col(b, (r) => r.price)}::numeric[],
          ${col(b, (r) => r.size)}::numeric[], ${col(b, (r) => r.side)}::text[],
          ${col(b, (r) => r.feeRateBps)}::numeric[], ${col(b, (r) => r.txHash)}::text[],
          ${col(b, (r) => r.source)}::text[], ${col(b, (r) => r.exchangeTs)}::timestamptz[],
          ${col(b, (r) => r.backfillAt)}::timestamptz[])
        on conflict (token_id, ts, trade_key) do nothing
        returning token_id, ts, price, size),
      hours as (
        insert into trade_hours as h (token_id, hour, trades, notional)
        select token_id, date_bin('1 hour', ts, ${TRADE_HOUR_ORIGIN}::timestamptz), count(*),
          sum(price::numeric(38, 6) * size::numeric(38, 6))
        from stored group by 1, 2 order by 1, 2
        on conflict (token_id, hour) do update
          set trades = h.trades + excluded.trades, notional = h.notional + excluded.notional)
      select count(*)::int as inserted from stored`;
    out.inserted += inserted;
    if (inserted === b.length) continue;
    // A separate UPDATE rather than ON CONFLICT DO UPDATE: it touches only rows a new source
    // saw (a replay changes nothing), and runs the same on hypertables and plain tables.
    const merged = await sql`
      update trades t set
        received_at = coalesce(t.received_at, u.live_at),
        exchange_ts = coalesce(t.exchange_ts, u.exchange_ts),
        backfill_received_at = coalesce(t.backfill_received_at, u.backfill_at)
      from unnest(
        ${col(b, (r) => r.second)}::timestamptz[], ${col(b, (r) => r.tokenId)}::text[],
        ${col(b, (r) => r.key)}::text[], ${col(b, (r) => r.liveAt)}::timestamptz[],
        ${col(b, (r) => r.exchangeTs)}::timestamptz[], ${col(b, (r) => r.backfillAt)}::timestamptz[]
      ) as u(ts, token_id, trade_key, live_at, exchange_ts, backfill_at)
      where t.token_id = u.token_id and t.ts = u.ts and t.trade_key = u.trade_key
        and ((t.received_at is null and u.live_at is not null)
             or (t.backfill_received_at is null and u.backfill_at is not null))`;
    out.merged += merged.count;
  }
  return out;
}

/** Inserts trades (see {@link writeTrades}); returns the number of new rows. */
export async function insertTrades(sql: Queryable, rows: readonly TradeRow[]): Promise<number> {
  return (await writeTrades(sql, rows)).inserted;
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
    order by ts, exchange_ts, trade_key`;
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
