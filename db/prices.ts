/**
 * Minute price snapshots: one row per token per minute, stored compactly in price_snapshot_data
 * (int4 token key, prices and sizes as millionths; see db/_micro.ts) and read back through the
 * price_snapshots view. The default writer sends each batch as
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
import { copyInto, type CopyProgress } from "./_copy.ts";
import { CopyBuffer } from "./_copy_buffer.ts";
import { tokenKeys } from "./_keys.ts";
import { INT4_MAX, INT8_MAX, microNumber, microText, scaledAmount } from "./_micro.ts";

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

/**
 * Batches written at once for a large snapshot batch. A COPY batch counts until the server
 * holds its rows: its COMMIT may still be finishing while the next one streams.
 */
export const PRICE_WRITE_CONCURRENCY = 3;

/**
 * How snapshots are sent: "unnest" (default) works everywhere; "copy" is faster but needs a
 * PostgreSQL server (COPY through PGlite's socket kills the process), so the caller picks it
 * from `db.backend`.
 */
export type PriceWriteMethod = "unnest" | "copy";

const COLUMNS = [
  "ts",
  "token_key",
  "price",
  "best_bid",
  "best_ask",
  "last_trade_price",
  "volume_24h",
  "liquidity",
  "exact",
  "volume_24h_scale",
  "liquidity_scale",
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
  // so batches go one at a time there, each finished before the next is encoded.
  const inTransaction = "savepoint" in sql;
  const limit = copy && inTransaction ? 1 : options.concurrency ?? PRICE_WRITE_CONCURRENCY;
  // On the pool, COPY batches are pipelined: the next batch's token keys are looked up while
  // the server still reads this one's rows (its COPY text is made as it is sent), and the next
  // COPY starts on a connection of its own as soon as the server holds them, while this one's
  // COMMIT waits for its WAL flush. Done one after the other, encoding and COMMIT left the
  // server idle for about a third of a one-stream write (50,000 rows: some 35 ms of encoding
  // and 30 ms of COMMIT next to 150 ms of COPY).
  const pipelined = copy && !inTransaction;
  const writes = new Set<Promise<void>>();
  const streams = new Set<Promise<void>>();
  let inserted = 0;
  try {
    let batch = await keyedAt(sql, rows, 0, batchRows);
    for (let start = 0; batch !== null; start += batchRows) {
      const sent = Promise.withResolvers<void>();
      const copied = Promise.withResolvers<void>();
      const progress = pipelined ? { onSent: sent.resolve, onCopied: copied.resolve } : {};
      const write: Promise<void> =
        (copy ? copyBatch(sql, batch, progress) : insertBatch(sql, encodeBatch(batch)))
          .then((n) => {
            inserted += n;
            writes.delete(write);
          });
      writes.add(write);
      const stream: Promise<void> = (pipelined ? Promise.race([copied.promise, write]) : write)
        .then(() => {
          streams.delete(stream);
        });
      stream.catch(() => {}); // its failure is the write's, awaited below
      streams.add(stream);
      if (pipelined) await Promise.race([sent.promise, write]);
      batch = await keyedAt(sql, rows, start + batchRows, batchRows);
      if (streams.size >= limit) await Promise.race(streams);
    }
    await Promise.all(writes);
  } finally {
    // Whatever failed, no batch is still being written once this returns.
    await Promise.allSettled(writes);
  }
  return inserted;
}

/** A batch of rows and the token key of each. */
interface KeyedBatch {
  rows: readonly PriceSnapshotRow[];
  keys: number[];
}

/** The batch of `rows` from `start` with its token keys, or null past the last row. */
async function keyedAt(
  sql: Queryable,
  rows: readonly PriceSnapshotRow[],
  start: number,
  batchRows: number,
): Promise<KeyedBatch | null> {
  if (start >= rows.length) return null;
  const batch = rows.slice(start, start + batchRows);
  return { rows: batch, keys: await tokenKeys(sql, batch.map((r) => r.tokenId)) };
}

/** A batch in the stored encoding (db/_micro.ts), column by column. */
interface EncodedBatch {
  ts: Date[];
  key: number[];
  /** price, best_bid, best_ask, last_trade_price, volume_24h, liquidity: micro text or null. */
  values: (number | string | null)[][];
  exact: (string | null)[];
  /** volume_24h_scale, liquidity_scale: null (millionths) or the scale of a finer amount. */
  scales: (number | null)[][];
}

const NAMES = ["price", "best_bid", "best_ask", "last_trade_price", "volume_24h", "liquidity"];
const MAXES = [INT4_MAX, INT4_MAX, INT4_MAX, INT4_MAX, INT8_MAX, INT8_MAX];
const MAX_NUMBERS = MAXES.map(Number);

/** The row's decimal columns, in `NAMES` order, into `into` (no array per row). */
function decimalsOf(r: PriceSnapshotRow, into: (string | null)[]): void {
  into[0] = r.price;
  into[1] = r.bestBid;
  into[2] = r.bestAsk;
  into[3] = r.lastTradePrice;
  into[4] = r.volume24h;
  into[5] = r.liquidity;
}

/**
 * The stored form of each decimal column's value (db/_micro.ts): millionths, else (volume and
 * liquidity) a finer amount's count with its scale, else null (the value goes to `exact`).
 * Both writers encode every row through one of these; it keeps each column's last result,
 * because rows repeat values (the tokens of a market share volume and liquidity; quiet prices
 * repeat).
 */
class StoredValues {
  readonly #lastIn: (string | null)[] = [null, null, null, null, null, null];
  /** The stored form of each column's last value: a count (number or text), or null. */
  readonly stored: (number | string | null)[] = [null, null, null, null, null, null];
  /** The scale of each column's last stored count: null for millionths. */
  readonly scale: (number | null)[] = [null, null, null, null, null, null];

  /** Encodes value `v` of column `c` into `stored[c]` and `scale[c]`. */
  set(c: number, v: string): void {
    if (v === this.#lastIn[c]) return;
    const fast = microNumber(v, MAX_NUMBERS[c]!);
    let stored: number | string | null = fast === undefined ? microText(v, MAXES[c]!) : fast;
    let scale: number | null = null;
    if (stored === null && c >= 4) [stored, scale] = scaledAmount(v) ?? [null, null];
    this.#lastIn[c] = v;
    this.stored[c] = stored;
    this.scale[c] = scale;
  }
}

/**
 * Encodes a batch as column arrays for the unnest statement. This runs for every row the
 * prices collector writes that COPY refused, so it avoids per-row objects.
 */
function encodeBatch({ rows, keys }: KeyedBatch): EncodedBatch {
  const n = rows.length;
  const values = Array.from({ length: 6 }, () => new Array<number | string | null>(n));
  const exact = new Array<string | null>(n);
  const scales = [new Array<number | null>(n).fill(null), new Array<number | null>(n).fill(null)];
  const ts = new Array<Date>(n);
  const enc = new StoredValues();
  const row: (string | null)[] = new Array(6);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    ts[i] = r.ts;
    decimalsOf(r, row);
    let misfit = false;
    for (let c = 0; c < 6; c++) {
      const v = row[c]!;
      if (v === null) {
        values[c]![i] = null;
        continue;
      }
      enc.set(c, v);
      values[c]![i] = enc.stored[c]!;
      if (c >= 4) scales[c - 4]![i] = enc.scale[c]!;
      if (enc.stored[c] === null) misfit = true;
    }
    exact[i] = misfit ? exactOf(row, enc.stored) : null;
  }
  return { ts, key: keys, values, exact, scales };
}

async function insertBatch(sql: Queryable, b: EncodedBatch): Promise<number> {
  const v = b.values.map((c) => arrayLiteral(c));
  const result = await sql`
    insert into price_snapshot_data (ts, token_key, price, best_bid, best_ask, last_trade_price,
                                     volume_24h, liquidity, exact, volume_24h_scale,
                                     liquidity_scale)
    select * from unnest(
      ${col(b.ts, iso)}::timestamptz[], ${arrayLiteral(b.key)}::integer[],
      ${v[0]!}::integer[], ${v[1]!}::integer[], ${v[2]!}::integer[], ${v[3]!}::integer[],
      ${v[4]!}::bigint[], ${v[5]!}::bigint[], ${arrayLiteral(b.exact)}::jsonb[],
      ${arrayLiteral(b.scales[0]!)}::smallint[], ${arrayLiteral(b.scales[1]!)}::smallint[])
    on conflict (token_key, ts) do nothing`;
  return result.count;
}

/**
 * Optimistic COPY straight into price_snapshot_data. COPY takes the bulk-insert path (rows are
 * buffered and written a page at a time), which INSERT ... ON CONFLICT cannot: in
 * bench/writer_bench.ts, against psql \copy with as many streams, it runs at 0.96-1.01x on one
 * stream and 1.22-1.25x on three on a quiet two-core host (0.71-0.73x and 0.97-1.08x before the
 * batches were pipelined and their text written as bytes; unnest and COPY into a staging table
 * plus INSERT ... SELECT ... ON CONFLICT were well below, measured when psql had one stream to
 * the writer's three). COPY has no ON CONFLICT, but it runs in its own transaction: if any
 * row of the batch already exists it fails, inserts nothing, and the batch is re-sent through
 * the idempotent unnest statement. New minutes (the normal case) take the fast path; a replay
 * costs one failed COPY per batch (its dead tuples are left to vacuum).
 */
async function copyBatch(
  sql: Queryable,
  batch: KeyedBatch,
  progress: CopyProgress,
): Promise<number> {
  try {
    await copyInto(sql, "price_snapshot_data", COLUMNS, copyChunks(batch), progress);
    return batch.rows.length;
  } catch {
    // Most likely a row that already exists; anything else fails again here, with its cause.
    return await insertBatch(sql, encodeBatch(batch));
  }
}

/**
 * COPY text of `batch` in the stored encoding, written as bytes straight from the rows (this
 * is the writer's busiest loop; see db/_copy_buffer.ts). Each minute's text is made once.
 */
function* copyChunks({ rows, keys }: KeyedBatch): Generator<Uint8Array> {
  const out = new CopyBuffer();
  let lastMs = NaN;
  let lastIso = "";
  const values: (string | null)[] = new Array(6);
  const enc = new StoredValues();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const ms = r.ts.getTime();
    if (ms !== lastMs) [lastMs, lastIso] = [ms, r.ts.toISOString()];
    out.ascii(lastIso);
    out.tab();
    out.uint(keys[i]!);
    decimalsOf(r, values);
    let misfit = false;
    for (let c = 0; c < 6; c++) {
      out.tab();
      const v = values[c]!;
      if (v === null) {
        out.nil();
        continue;
      }
      enc.set(c, v);
      const stored = enc.stored[c];
      if (stored === null) {
        out.nil();
        misfit = true;
      } else if (typeof stored === "number") out.uint(stored);
      else out.ascii(stored);
    }
    out.tab();
    if (misfit) out.field(exactOf(values, enc.stored));
    else out.nil();
    for (let c = 4; c < 6; c++) {
      out.tab();
      const scale = values[c] === null ? null : enc.scale[c];
      if (scale === null) out.nil();
      else out.uint(scale);
    }
    out.line();
    if (out.full) yield out.take();
  }
  if (out.length > 0) yield out.take();
}

/** The `exact` jsonb text of a row: its non-null values that have no stored form. */
function exactOf(values: readonly (string | null)[], stored: readonly unknown[]): string {
  const misfits: Record<string, string> = {};
  for (let c = 0; c < 6; c++) {
    if (values[c] !== null && stored[c] === null) misfits[NAMES[c]!] = values[c]!;
  }
  return JSON.stringify(misfits);
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
