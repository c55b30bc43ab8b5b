/**
 * Leaving unchanged Gamma markets unparsed. A full-universe walk reads every market again
 * (the prices collector every minute, the markets collector every five), and validating a
 * 1,000-market page with zod costs hundreds of milliseconds while most of its markets are
 * byte-for-byte what the previous walk read. A caller that still holds what it made of a
 * market passes {@link KnownMarkets}: each element's fingerprint (a 53-bit hash of the parsed
 * JSON value) is compared with the one the caller recorded, and a match is reported by id in
 * `unchanged` instead of being validated again. Everything else is validated as before and
 * comes with its fingerprint, for the caller to record once it has stored the market.
 *
 * The skip is sound because validation is a pure function of the element: the same text gives
 * the same `GammaMarket`, which the caller already processed. An element without a string `id`
 * is always validated (and rejected there).
 *
 * @example
 * ```ts
 * import { fingerprintJson } from "./gamma_unchanged.ts";
 * fingerprintJson({ id: "1", question: "Q?" }) === fingerprintJson({ id: "1", question: "Q?" }); // true
 * ```
 */
import type { MarketId } from "./ids.ts";
import { type Batch, describeIssues, type Reject } from "./batch.ts";
import { type GammaMarket, gammaMarketSchema } from "./gamma_schema.ts";

/** What a caller already holds: the fingerprint it recorded for market `id`, if any. */
export interface KnownMarkets {
  /** The fingerprint recorded for `id` when the caller stored it, or undefined. */
  printOf(id: string): number | undefined;
}

/** The markets of one page the caller already holds, byte-identical to last time. */
export interface UnchangedMarkets {
  /** Ids, in page order. */
  readonly unchanged: MarketId[];
  /** The fingerprint of each validated item, aligned with `items`. */
  readonly prints: number[];
}

/**
 * A 53-bit fingerprint of a parsed JSON value: two independent 32-bit multiplicative hashes
 * fed with a walk of the value (type tags, object keys in order, string code units, number
 * bits), combined. Equal JSON text gives an equal fingerprint; a collision between two
 * different versions of one market has a chance of about 2⁻⁵³. The walk allocates nothing (a
 * `JSON.stringify` per market would add a copy of every page to the collector's garbage).
 */
export function fingerprintJson(value: unknown): number {
  hashA = 0x2f6b_1c3d;
  hashB = 0x6a09_e667;
  feedValue(value, 0);
  return finish();
}

/** The fingerprint of a string on its own (the same mixing as {@link fingerprintJson}). */
export function fingerprintText(text: string): number {
  hashA = 0x2f6b_1c3d;
  hashB = 0x6a09_e667;
  feedString(text);
  return finish();
}

// The running state of one synchronous fingerprint (no call can interleave with another).
let hashA = 0;
let hashB = 0;
const numberBits = new Float64Array(1);
const numberWords = new Uint32Array(numberBits.buffer);
/** Deeper than any Gamma market: a cycle or absurd nesting stops the walk there. */
const MAX_DEPTH = 64;

function feed(code: number): void {
  hashA = Math.imul(hashA ^ code, 0x9e37_79b1);
  hashB = Math.imul(hashB ^ code, 0x85eb_ca6b);
  hashB ^= hashB >>> 15;
}

function feedString(text: string): void {
  feed(0x1_0001);
  for (let i = 0; i < text.length; i++) feed(text.charCodeAt(i));
  feed(text.length);
}

function feedValue(value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) return feed(0x1_0009);
  if (typeof value === "string") return feedString(value);
  if (typeof value === "number") {
    numberBits[0] = value;
    feed(0x1_0002);
    feed(numberWords[0]!);
    return feed(numberWords[1]!);
  }
  if (typeof value === "boolean") return feed(value ? 0x1_0003 : 0x1_0004);
  if (value === null) return feed(0x1_0005);
  if (Array.isArray(value)) {
    feed(0x1_0006);
    for (let i = 0; i < value.length; i++) feedValue(value[i], depth + 1);
    return feed(value.length);
  }
  if (typeof value === "object") {
    feed(0x1_0007);
    const record = value as Record<string, unknown>;
    for (const key in record) {
      feedString(key);
      feedValue(record[key], depth + 1);
    }
    return feed(0x1_0008);
  }
  feed(0x1_000a);
}

function finish(): number {
  let a = hashA ^ (hashA >>> 16);
  a = Math.imul(a, 0x7feb_352d);
  a ^= a >>> 15;
  let b = hashB ^ (hashB >>> 13);
  b = Math.imul(b, 0xc2b2_ae35);
  b ^= b >>> 16;
  // 21 bits of one, 32 of the other: an exact integer below 2⁵³.
  return (a >>> 11) * 0x1_0000_0000 + (b >>> 0);
}

/** The `id` of a raw element as the schema would give it (a string), else null. */
export function rawMarketId(element: unknown): string | null {
  if (typeof element !== "object" || element === null) return null;
  const id = (element as { id?: unknown }).id;
  if (typeof id === "string") return id;
  return typeof id === "number" && Number.isSafeInteger(id) ? String(id) : null;
}

/** Elements fingerprinted (cheap) or validated (dear) between two yields to the event loop. */
const SLICE_WORK = 100;
/** A fingerprint costs about this fraction of a validation. */
const PRINT_WORK = 0.2;

/**
 * Validates the elements of one markets page that `known` does not hold unchanged, yielding a
 * macrotask every {@link SLICE_WORK} units of work (as `parseBatchYielding` does); throws the
 * signal's reason once it aborts.
 */
export async function parseMarketsSkipping(
  list: readonly unknown[],
  known: KnownMarkets,
  options: { readonly signal: AbortSignal; readonly yieldNow?: () => Promise<void> },
): Promise<Batch<GammaMarket> & UnchangedMarkets> {
  const yieldNow = options.yieldNow ?? macrotask;
  const items: GammaMarket[] = [];
  const prints: number[] = [];
  const unchanged: MarketId[] = [];
  const rejects: Reject[] = [];
  let work = 0;
  for (let i = 0; i < list.length; i++) {
    if (work >= SLICE_WORK) {
      work = 0;
      await yieldNow();
      options.signal.throwIfAborted();
    }
    const element = list[i];
    const id = rawMarketId(element);
    const print = fingerprintJson(element);
    work += PRINT_WORK;
    if (id !== null && known.printOf(id) === print) {
      // Byte-identical to a market the caller validated and stored: its id is a valid one.
      unchanged.push(id as MarketId);
      continue;
    }
    work += 1;
    const r = gammaMarketSchema.safeParse(element);
    if (r.success) {
      items.push(r.data);
      prints.push(print);
    } else {
      rejects.push({ path: `markets[${i}]`, reason: describeIssues(r.error), raw: element });
    }
  }
  return { items, prints, unchanged, rejects };
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
