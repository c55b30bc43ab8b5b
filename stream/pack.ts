/**
 * The packed form of recorded level changes (`book_event_packs`, migration 0013): a run of one
 * token's plain level rows (kinds 1, 2 and 9) of one session and connection, as five columns of
 * unsigned LEB128 varints one after another: seq deltas and receive-time deltas in ms (zigzag)
 * from the pack's first row, then for every row its price delta (zigzag, from 0) times 8 plus
 * its tag (kind 1, 2, 9 as 0, 1, 2, times 2, plus side), its size and its ts_lag delta (zigzag,
 * from 0), in the stored units of `book_event_rows`. Consecutive rows of a token differ by
 * little, so most values take a byte or two; PostgreSQL compresses the bytes further (TOAST).
 * The database decodes with `book_event_unpack`; {@link decodePack} is the same in TypeScript.
 *
 * @example
 * ```ts
 * import { decodePack, encodePack } from "./pack.ts";
 * const rows = [{ seq: 7, atMs: 1_764_000_000_000, kind: 9, side: 0, price: 5200, size: 12050, lag: 40 }];
 * decodePack(encodePack(rows), { n: 1, firstSeq: 7, firstAtMs: 1_764_000_000_000 }); // rows again
 * ```
 */

/** One packable row: integers below 2^53 (sizes and seq ≥ 0, rows in seq order). */
export interface PackRow {
  readonly seq: number;
  /** Receive time, unix ms. */
  readonly atMs: number;
  readonly kind: number;
  readonly side: number;
  /** Stored price units (10^-4). */
  readonly price: number;
  /** Stored size units (hundredths). */
  readonly size: number;
  /** received_at − ts, ms. */
  readonly lag: number;
}

/** Level changes a pack holds at most: a reader decodes whole packs. */
export const PACK_ROWS = 2000;

/** The kinds a pack holds. */
export const PACKED_KINDS: readonly number[] = [1, 2, 9];

/**
 * Values in a pack are smaller than this in magnitude: zigzag and the tag make them 16× larger,
 * still an exact number.
 */
export const PACK_LIMIT = 2 ** 48;

/** Can `row` go into a pack? (Rows that cannot stay in `book_event_rows`.) */
export function packable(row: PackRow): boolean {
  return PACKED_KINDS.includes(row.kind) && (row.side === 0 || row.side === 1) &&
    [row.seq, row.atMs, row.price, row.size, row.lag].every((v) =>
      Number.isSafeInteger(v) && Math.abs(v) < PACK_LIMIT
    ) && row.size >= 0 && row.seq >= 0;
}

/** The packed bytes of `rows` (non-empty, packable, in increasing seq). */
export function encodePack(rows: readonly PackRow[]): Uint8Array {
  const out = new Bytes(rows.length * 10);
  for (let i = 1; i < rows.length; i++) out.varint(rows[i]!.seq - rows[i - 1]!.seq);
  for (let i = 1; i < rows.length; i++) out.varint(zigzag(rows[i]!.atMs - rows[i - 1]!.atMs));
  let price = 0;
  for (const r of rows) {
    out.varint(zigzag(r.price - price) * 8 + PACKED_KINDS.indexOf(r.kind) * 2 + r.side);
    price = r.price;
  }
  for (const r of rows) out.varint(r.size);
  let lag = 0;
  for (const r of rows) {
    out.varint(zigzag(r.lag - lag));
    lag = r.lag;
  }
  return out.bytes();
}

/** The rows of a pack (what `book_event_unpack` gives in SQL). */
export function decodePack(
  data: Uint8Array,
  head: { readonly n: number; readonly firstSeq: number; readonly firstAtMs: number },
): PackRow[] {
  const v = varints(data);
  const { n } = head;
  if (v.length !== 5 * n - 2) {
    throw new Error(`Cannot decode a pack of ${n} rows: it holds ${v.length} varints`);
  }
  const rows: PackRow[] = [];
  let seq = head.firstSeq, atMs = head.firstAtMs, price = 0, lag = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      seq += v[i - 1]!;
      atMs += unzigzag(v[n - 1 + i - 1]!);
    }
    const p = v[2 * n - 2 + i]!;
    const tag = p % 8;
    price += unzigzag(Math.floor(p / 8));
    lag += unzigzag(v[4 * n - 2 + i]!);
    rows.push({
      seq,
      atMs,
      kind: PACKED_KINDS[tag >> 1]!,
      side: tag & 1,
      price,
      size: v[3 * n - 2 + i]!,
      lag,
    });
  }
  return rows;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

function varints(data: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0, scale = 1;
  for (const b of data) {
    v += (b & 127) * scale;
    if (b < 128) {
      out.push(v);
      v = 0;
      scale = 1;
    } else scale *= 128;
  }
  if (scale !== 1) throw new Error("Cannot decode a pack: its last varint is cut off");
  return out;
}

/** A growing byte buffer of varints. */
class Bytes {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity: number) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  varint(v: number): void {
    if (this.#len + 8 > this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    while (v >= 128) {
      this.#buf[this.#len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
  }

  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
