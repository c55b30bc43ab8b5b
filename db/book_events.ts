/**
 * Rows of the recorded market channel (`book_event_rows`, migrations 0010 and 0011, read as
 * the view `book_events`): one row per level change, snapshot level, tick change, best
 * bid/ask, trade marker, listing or resolution, in arrival order (`session`, `seq`). A level
 * change whose mirror on the market's other token came in the same message is one row of kind
 * `pairedChange` standing for both (the mirror is `seq + 1` of the sibling in `token_pairs`).
 * Prices and sizes arrive as decimal text and are stored as counts of `PRICE_UNIT` and
 * `SIZE_UNIT` (the view gives micro counts), or verbatim in `exact` when they do not fit. Writes are idempotent: the primary key is (session, seq), so a
 * replayed spill file or batch inserts nothing twice.
 *
 * @example
 * ```ts
 * import { insertBookEvents } from "./book_events.ts";
 * await insertBookEvents(sql, rows, { method: "copy" });
 * ```
 */
import type { Queryable } from "./client.ts";
import { col } from "./_columns.ts";
import { copyField, copyInto } from "./_copy.ts";
import { tokenKeys } from "./_keys.ts";
import { INT8_MAX, microNumber, microText } from "./_micro.ts";

/** The span of receive time one pack lies within (`book_event_packs`, stream/packer.ts). */
export const PACK_WINDOW_MS = 6 * 3_600_000;

/** The start of the packing window holding `ms`. */
export function windowOf(ms: number): Date {
  return new Date(Math.floor(ms / PACK_WINDOW_MS) * PACK_WINDOW_MS);
}

/** Row kinds (docs/stream.md). */
export const KIND = {
  book: 0,
  bookLevel: 1,
  priceChange: 2,
  tickSizeChange: 3,
  bestBidAsk: 4,
  newMarket: 5,
  marketResolved: 6,
  trade: 7,
  segmentEnd: 8,
  /** A `price_change` level stored once for both tokens of a binary market (`mirrorTokenId`). */
  pairedChange: 9,
} as const;

/** One, in micro units: a level's price plus its mirror's. */
export const MICRO_ONE = 1_000_000;

/**
 * Units of `book_event_rows` (migration 0011), in micro units: prices (and the best ask of a
 * `best_bid_ask` row) count 10^-4, the venue's finest tick; level sizes count hundredths, the
 * venue's size precision. Small counts delta-encode in fewer bits than micro counts. A value
 * finer than its unit goes verbatim into `exact`. The view `book_events` gives micro counts.
 */
export const PRICE_UNIT = 100;
export const SIZE_UNIT = 10_000;

/** The stored count of a micro price, or null when it is finer than the unit (or too large). */
export function storedPrice(value: string): number | null {
  const micro = microNumber(value, INT4);
  return typeof micro === "number" && micro % PRICE_UNIT === 0 ? micro / PRICE_UNIT : null;
}

/** The stored count (decimal text) of a level size, or null when it is finer or too large. */
export function storedSize(value: string): string | null {
  const micro = microNumber(value, Number.MAX_SAFE_INTEGER);
  if (typeof micro === "number") {
    return micro % SIZE_UNIT === 0 ? String(micro / SIZE_UNIT) : null;
  }
  const text = microText(value, INT8_MAX);
  if (text === null || !text.endsWith("0000")) return null;
  return text.length === 4 ? "0" : text.slice(0, -4);
}

/** `side`: 0 = bid (BUY), 1 = ask (SELL). */
export type Side = 0 | 1;

/** One recorded row before encoding; prices and sizes are decimal text. */
export interface BookEventRow {
  readonly session: number;
  readonly seq: number;
  readonly conn: number;
  readonly tokenId: string;
  readonly kind: number;
  readonly side: Side | null;
  readonly price: string | null;
  readonly size: string | null;
  /** Venue timestamp, unix ms. */
  readonly ts: number;
  /** Local receive time, unix ms. */
  readonly receivedAt: number;
  /** Kind `pairedChange` only: the sibling token, whose row `seq + 1` is this one mirrored. */
  readonly mirrorTokenId?: string | null;
}

/** How a batch is sent: COPY (PostgreSQL server only) or one unnest statement (everywhere). */
export type WriteMethod = "copy" | "unnest";

const COLUMNS = [
  "session",
  "seq",
  "conn",
  "token_key",
  "kind",
  "side",
  "price",
  "size",
  "ts_lag",
  "received_at",
  "exact",
];
const INT4 = 2147483647;

interface Encoded {
  readonly key: number;
  /** Receive time minus venue time, ms. */
  readonly lag: number;
  /** The sibling's key of a paired row, else null. */
  readonly mirrorKey: number | null;
  readonly price: string | null;
  readonly size: string | null;
  readonly exact: string | null;
}

/**
 * Writes `rows` (any order; already stored rows are skipped). COPY is tried first; if any
 * row exists it inserts nothing and the batch goes through the idempotent statement.
 * Returns the number of rows sent.
 */
export async function insertBookEvents(
  sql: Queryable,
  rows: readonly BookEventRow[],
  options: { readonly method: WriteMethod },
): Promise<number> {
  if (rows.length === 0) return 0;
  const encoded = await encode(sql, rows);
  await insertPairs(sql, rows, encoded);
  // A replayed row may have been packed since (stream/packer.ts): then only the statement
  // below, which looks into the packs, can tell. Live rows come after every pack.
  const packed = await mayBePacked(sql, rows);
  if (options.method === "copy" && !packed) {
    try {
      await copyInto(sql, "book_event_rows", COLUMNS, copyLines(rows, encoded));
      return rows.length;
    } catch {
      // Most likely a replayed row; anything else fails again below, with its cause.
    }
  }
  await sql`
    insert into book_event_rows (${sql(COLUMNS)})
    select * from unnest(
      ${col(rows, (r) => r.session)}::int8[], ${col(rows, (r) => r.seq)}::int8[],
      ${col(rows, (r) => r.conn)}::int4[], ${col(encoded, (e) => e.key)}::int4[],
      ${col(rows, (r) => r.kind)}::int2[], ${col(rows, (r) => r.side)}::int2[],
      ${col(encoded, (e) => e.price)}::int4[], ${col(encoded, (e) => e.size)}::int8[],
      ${col(encoded, (e) => e.lag)}::int8[],
      ${col(rows, (r) => new Date(r.receivedAt).toISOString())}::timestamptz[],
      ${col(encoded, (e) => e.exact)}::jsonb[])
      as u(session, seq, conn, token_key, kind, side, price, size, ts_lag, received_at, exact)
    ${
    packed
      ? sql`where not exists (
          select 1 from book_event_packs p
          where p.session = u.session and p.token_key = u.token_key
            and p.first_seq <= u.seq and p.last_seq >= u.seq
            and exists (select 1 from book_event_unpack(p) x where x.seq = u.seq))`
      : sql``
  }
    on conflict do nothing`;
  return rows.length;
}

/**
 * Might one of `rows` be packed already? Only when a pack starts in or after the packing window
 * of the oldest of them (stream/packer.ts): never for live rows, whose window is still open.
 */
async function mayBePacked(sql: Queryable, rows: readonly BookEventRow[]): Promise<boolean> {
  let oldest = Infinity;
  for (const r of rows) oldest = Math.min(oldest, r.receivedAt);
  const [hit] = await sql`
    select 1 from book_event_packs where first_at >= ${windowOf(oldest)} limit 1`;
  return hit !== undefined;
}

async function encode(sql: Queryable, rows: readonly BookEventRow[]): Promise<Encoded[]> {
  const unique = new Set<string>();
  for (const r of rows) {
    unique.add(r.tokenId);
    if (r.mirrorTokenId != null) unique.add(r.mirrorTokenId);
  }
  const ids = [...unique];
  const keys = await tokenKeys(sql, ids);
  const keyOf = new Map(ids.map((id, i) => [id, keys[i]!]));
  return rows.map((r) => {
    let exact: Record<string, string> | null = null;
    let price: string | null = null;
    let size: string | null = null;
    if (r.price !== null) {
      const stored = storedPrice(r.price);
      if (stored !== null) price = String(stored);
      else (exact ??= {}).price = r.price;
    }
    if (r.size !== null) {
      // A best_bid_ask row's size column holds its best ask, a price.
      if (r.kind === KIND.bestBidAsk) {
        const stored = storedPrice(r.size);
        size = stored === null ? null : String(stored);
      } else size = storedSize(r.size);
      if (size === null) (exact ??= {}).size = r.size;
    }
    return {
      key: keyOf.get(r.tokenId)!,
      lag: r.receivedAt - r.ts,
      mirrorKey: r.mirrorTokenId == null ? null : keyOf.get(r.mirrorTokenId)!,
      price,
      size,
      exact: exact === null ? null : JSON.stringify(exact),
    };
  });
}

/**
 * Records the sibling pairs that the batch's paired rows stand for, both ways round, before
 * the rows themselves: the view `book_events` and the readers find a mirror through them.
 */
async function insertPairs(
  sql: Queryable,
  rows: readonly BookEventRow[],
  encoded: readonly Encoded[],
): Promise<void> {
  const pairs = new Map<number, number>();
  for (let i = 0; i < rows.length; i++) {
    const mirror = encoded[i]!.mirrorKey;
    if (mirror === null) continue;
    pairs.set(encoded[i]!.key, mirror);
    pairs.set(mirror, encoded[i]!.key);
  }
  if (pairs.size === 0) return;
  await sql`
    insert into token_pairs (token_key, sibling_key)
    select * from unnest(${`{${[...pairs.keys()].join(",")}}`}::int4[],
                         ${`{${[...pairs.values()].join(",")}}`}::int4[])
    on conflict do nothing`;
}

/** COPY text in chunks of 2,000 lines; the ISO text of a repeated instant is made once. */
function* copyLines(rows: readonly BookEventRow[], enc: readonly Encoded[]): Generator<string> {
  let lastAt = NaN;
  let atText = "";
  let chunk = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const e = enc[i]!;
    if (r.receivedAt !== lastAt) atText = new Date(lastAt = r.receivedAt).toISOString();
    chunk += `${r.session}\t${r.seq}\t${r.conn}\t${e.key}\t${r.kind}\t${r.side ?? "\\N"}\t${
      e.price ?? "\\N"
    }\t${e.size ?? "\\N"}\t${e.lag}\t${atText}\t${copyField(e.exact)}\n`;
    if ((i + 1) % 2000 === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}

/** A token's full book right after row (session, seq); levels best first, decimal text. */
export interface BookCheckpoint {
  readonly tokenKey: number;
  readonly session: number;
  readonly seq: number;
  readonly receivedAt: Date;
  /** When the segment's snapshot arrived. */
  readonly since: Date;
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
}

/** Stores checkpoints (one already stored is skipped). */
export async function insertBookCheckpoints(
  sql: Queryable,
  checkpoints: readonly BookCheckpoint[],
): Promise<void> {
  for (const c of checkpoints) {
    const bp: string[] = [], bs: string[] = [], ap: string[] = [], as: string[] = [];
    let fits = true;
    for (const [levels, prices, sizes] of [[c.bids, bp, bs], [c.asks, ap, as]] as const) {
      for (const [p, s] of levels) {
        const price = microNumber(p, INT4);
        const size = microText(s, INT8_MAX);
        if (typeof price !== "number" || size === null) fits = false;
        else {
          prices.push(String(price));
          sizes.push(size);
        }
      }
    }
    const exact = fits ? null : JSON.stringify({ bids: c.bids, asks: c.asks });
    const array = (xs: string[]) => (fits ? `{${xs.join(",")}}` : null);
    await sql`
      insert into book_checkpoints (token_key, session, seq, received_at, since, bid_prices,
                                    bid_sizes, ask_prices, ask_sizes, exact)
      values (${c.tokenKey}, ${c.session}, ${c.seq}, ${c.receivedAt}, ${c.since},
              ${array(bp)}::int4[], ${array(bs)}::int8[], ${array(ap)}::int4[],
              ${array(as)}::int8[], ${exact}::jsonb)
      on conflict do nothing`;
  }
}
