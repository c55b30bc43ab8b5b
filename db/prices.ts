/**
 * Minute price snapshots: one row per token per minute, written as one bulk statement of
 * column arrays (works on every backend, including PGlite where COPY cannot be used).
 *
 * @example
 * ```ts
 * import { insertPriceSnapshots } from "./prices.ts";
 * await insertPriceSnapshots(sql, [{ ts, tokenId, price: "0.52", ... }]);
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral, col, iso } from "./_columns.ts";

export interface PriceSnapshotRow {
  /** The minute the snapshot belongs to. */
  ts: Date;
  tokenId: string;
  price: string | null;
  bestBid: string | null;
  bestAsk: string | null;
  lastTradePrice: string | null;
  volume24h: string | null;
  liquidity: string | null;
}

/** Rows per statement: big enough to amortise round trips, small enough not to stall. */
export const PRICE_BATCH_ROWS = 20_000;

/**
 * Inserts snapshots; a (token, minute) already stored is left as it is, so a replayed batch
 * changes nothing. Returns the number of new rows.
 */
export async function insertPriceSnapshots(
  sql: Queryable,
  rows: readonly PriceSnapshotRow[],
  options: { concurrency?: number } = {},
): Promise<number> {
  // Several statements in flight use several server backends (on a pool) while the next
  // batch's arrays are encoded here; on one connection they simply queue.
  const inFlight = new Set<Promise<void>>();
  const limit = options.concurrency ?? PRICE_WRITE_CONCURRENCY;
  let inserted = 0;
  for (let start = 0; start < rows.length; start += PRICE_BATCH_ROWS) {
    const batch = rows.slice(start, start + PRICE_BATCH_ROWS);
    const write = insertBatch(sql, batch).then((n) => {
      inserted += n;
      inFlight.delete(write);
    });
    inFlight.add(write);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return inserted;
}

/** Statements in flight at once for a large snapshot batch. */
export const PRICE_WRITE_CONCURRENCY = 3;

async function insertBatch(sql: Queryable, batch: readonly PriceSnapshotRow[]): Promise<number> {
  const result = await sql`
    insert into price_snapshots (ts, token_id, price, best_bid, best_ask, last_trade_price,
                                 volume_24h, liquidity)
    select * from unnest(
      ${col(batch, (r) => iso(r.ts))}::timestamptz[], ${col(batch, (r) => r.tokenId)}::text[],
      ${col(batch, (r) => r.price)}::numeric[], ${col(batch, (r) => r.bestBid)}::numeric[],
      ${col(batch, (r) => r.bestAsk)}::numeric[],
      ${col(batch, (r) => r.lastTradePrice)}::numeric[],
      ${col(batch, (r) => r.volume24h)}::numeric[], ${col(batch, (r) => r.liquidity)}::numeric[])
    on conflict (token_id, ts) do nothing`;
  return result.count;
}

export interface LatestPrice {
  tokenId: string;
  ts: Date;
  price: string | null;
  bestBid: string | null;
  bestAsk: string | null;
}

/** The newest snapshot of each given token within `lookback` (default 1 day). */
export async function latestPrices(
  sql: Queryable,
  tokenIds: readonly string[],
  options: { lookbackMs?: number } = {},
): Promise<LatestPrice[]> {
  const since = new Date(Date.now() - (options.lookbackMs ?? 86_400_000));
  const rows = await sql<
    {
      token_id: string;
      ts: Date;
      price: string | null;
      best_bid: string | null;
      best_ask: string | null;
    }[]
  >`
    select t.token_id, p.ts, p.price, p.best_bid, p.best_ask
    from unnest(${arrayLiteral(tokenIds)}::text[]) as t(token_id)
    cross join lateral (
      select ts, price, best_bid, best_ask from price_snapshots s
      where s.token_id = t.token_id and s.ts >= ${since}
      order by s.ts desc limit 1) p
    order by t.token_id`;
  return rows.map((r) => ({
    tokenId: r.token_id,
    ts: r.ts,
    price: r.price,
    bestBid: r.best_bid,
    bestAsk: r.best_ask,
  }));
}

export interface OhlcBar {
  bucket: Date;
  open: string;
  high: string;
  low: string;
  close: string;
  samples: number;
}

/** Hourly or daily OHLC bars of one token in [from, to), from the aggregate of that name. */
export async function priceOhlc(
  sql: Queryable,
  tokenId: string,
  range: { from: Date; to: Date; interval: "1h" | "1d" },
): Promise<OhlcBar[]> {
  const view = range.interval === "1h" ? "price_ohlc_1h" : "price_ohlc_1d";
  const rows = await sql<
    { bucket: Date; open: string; high: string; low: string; close: string; samples: string }[]
  >`
    select bucket, open, high, low, close, samples from ${sql(view)}
    where token_id = ${tokenId} and bucket >= ${range.from} and bucket < ${range.to}
    order by bucket`;
  return rows.map((r) => ({ ...r, samples: Number(r.samples) }));
}
