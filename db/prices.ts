/**
 * Minute price snapshots: one row per token per minute. The default writer sends each batch as
 * one statement of column arrays, which works on every backend including PGlite; on a
 * PostgreSQL server `method: "copy"` streams batches with COPY instead (see below).
 *
 * @example
 * ```ts
 * import { insertPriceSnapshots } from "./prices.ts";
 * await insertPriceSnapshots(sql, [{ ts, tokenId, price: "0.52", ... }]);
 * await insertPriceSnapshots(db.sql, rows, {
 *   method: db.backend === "server" ? "copy" : "unnest",
 * });
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral, col, iso } from "./_columns.ts";
import { copyField, copyInto } from "./_copy.ts";

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

/** Rows per unnest statement: big enough to amortise round trips, small enough not to stall. */
export const PRICE_BATCH_ROWS = 20_000;

/** Rows per COPY: one batch is re-sent through unnest if any of its rows already exists. */
export const PRICE_COPY_BATCH_ROWS = 50_000;

/** Statements in flight at once for a large snapshot batch. */
export const PRICE_WRITE_CONCURRENCY = 3;

/**
 * How snapshots are sent: "unnest" (default) works everywhere; "copy" is faster but needs a
 * PostgreSQL server (COPY through PGlite's socket kills the process), so the caller picks it
 * from `db.backend`.
 */
export type PriceWriteMethod = "unnest" | "copy";

const COLUMNS = [
  "ts",
  "token_id",
  "price",
  "best_bid",
  "best_ask",
  "last_trade_price",
  "volume_24h",
  "liquidity",
] as const;

/**
 * Inserts snapshots; a (token, minute) already stored is left as it is, so a replayed batch
 * changes nothing. Returns the number of new rows.
 */
export async function insertPriceSnapshots(
  sql: Queryable,
  rows: readonly PriceSnapshotRow[],
  options: { concurrency?: number; method?: PriceWriteMethod } = {},
): Promise<number> {
  const copy = options.method === "copy";
  const batchRows = copy ? PRICE_COPY_BATCH_ROWS : PRICE_BATCH_ROWS;
  // Inside a transaction every batch shares one connection and each COPY its own savepoint,
  // so batches go one at a time there.
  const inTransaction = "savepoint" in sql;
  const limit = copy && inTransaction ? 1 : options.concurrency ?? PRICE_WRITE_CONCURRENCY;
  // Several statements in flight use several server backends (on a pool) while the next
  // batch is encoded here; on one connection they simply queue.
  const inFlight = new Set<Promise<void>>();
  let inserted = 0;
  for (let start = 0; start < rows.length; start += batchRows) {
    const batch = rows.slice(start, start + batchRows);
    const write = (copy ? copyBatch(sql, batch) : insertBatch(sql, batch)).then((n) => {
      inserted += n;
      inFlight.delete(write);
    });
    inFlight.add(write);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return inserted;
}

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

/**
 * Optimistic COPY straight into price_snapshots. COPY takes the bulk-insert path (rows are
 * buffered and written a page at a time), which INSERT ... ON CONFLICT cannot: in
 * bench/writer_bench.ts, against psql \copy with as many streams, it ran at 0.86x on one stream
 * and 1.05x on three (unnest and COPY into a staging table plus INSERT ... SELECT ... ON CONFLICT
 * were well below, measured when psql had one stream to the writer's three). COPY has no
 * ON CONFLICT, but it runs in its own transaction: if any row of the batch already exists it
 * fails, inserts nothing, and the batch is re-sent through the idempotent unnest statement.
 * New minutes (the normal case) take the fast path; a replay costs one failed COPY per batch
 * (its dead tuples are left to vacuum).
 */
async function copyBatch(sql: Queryable, batch: readonly PriceSnapshotRow[]): Promise<number> {
  try {
    await copyInto(sql, "price_snapshots", COLUMNS, copyLines(batch));
    return batch.length;
  } catch {
    // Most likely a row that already exists; anything else fails again here, with its cause.
    return await insertBatch(sql, batch);
  }
}

/** COPY text of `batch`, in chunks of 1,000 lines. */
function* copyLines(batch: readonly PriceSnapshotRow[]): Generator<string> {
  // A batch holds a few distinct minutes, so the ISO text of each is made once.
  let lastMs = NaN;
  let lastIso = "";
  for (let start = 0; start < batch.length; start += 1000) {
    let chunk = "";
    for (let i = start; i < Math.min(start + 1000, batch.length); i++) {
      const r = batch[i]!;
      const ms = r.ts.getTime();
      if (ms !== lastMs) [lastMs, lastIso] = [ms, r.ts.toISOString()];
      chunk += `${lastIso}\t${copyField(r.tokenId)}\t${copyField(r.price)}\t` +
        `${copyField(r.bestBid)}\t${copyField(r.bestAsk)}\t${copyField(r.lastTradePrice)}\t` +
        `${copyField(r.volume24h)}\t${copyField(r.liquidity)}\n`;
    }
    yield chunk;
  }
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
