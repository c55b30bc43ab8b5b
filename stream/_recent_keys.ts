/**
 * `RecentKeys`: remembers the keys seen in the last `ttlMs`, at most `capacity` of them, so
 * that copies of one message arriving close together are told apart from new ones in bounded
 * memory. The recorder uses it for `new_market`, which the venue broadcasts on every websocket
 * connection (424 copies of each listing at venue size): the copies share the market id and
 * the venue timestamp, and arrive within the spread of the connections' delivery (seconds at
 * worst), so a few minutes of memory is plenty and nothing needs to outlive the process.
 *
 * Keys are kept in a `Map` in insertion order, which is the order of `at` as long as `at` does
 * not go back (receive times): expired keys are dropped from the front, and past `capacity`
 * the oldest key is dropped whatever its age. A key forgotten that way and seen again counts
 * as new: the bound is on memory, never on correctness of what is first.
 *
 * @example
 * ```ts
 * import { RecentKeys } from "./_recent_keys.ts";
 * const seen = new RecentKeys({ capacity: 4096, ttlMs: 600_000 });
 * seen.firstSeen("1031769|1766790415550", Date.now()); // true
 * seen.firstSeen("1031769|1766790415550", Date.now()); // false: a copy
 * ```
 */
export interface RecentKeysOptions {
  /** Keys held at most (the oldest goes first). */
  readonly capacity: number;
  /** How long a key is remembered after it was first seen (ms, in the clock of `at`). */
  readonly ttlMs: number;
}

export class RecentKeys {
  readonly #capacity: number;
  readonly #ttlMs: number;
  /** Key → when it was first seen, oldest first. */
  readonly #seen = new Map<string, number>();

  constructor(options: RecentKeysOptions) {
    if (!(options.capacity >= 1)) throw new RangeError("capacity must be at least 1");
    if (!(options.ttlMs > 0)) throw new RangeError("ttlMs must be positive");
    this.#capacity = options.capacity;
    this.#ttlMs = options.ttlMs;
  }

  /** Keys currently remembered (never more than `capacity`). */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * True the first time `key` is seen within the memory (and remembers it from `at`); false
   * for a copy seen again while it is still remembered.
   */
  firstSeen(key: string, at: number): boolean {
    this.#expire(at);
    const first = this.#seen.get(key);
    if (first !== undefined && at - first <= this.#ttlMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, at);
    if (this.#seen.size > this.#capacity) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
    return true;
  }

  /** Drops the keys first seen more than `ttlMs` before `at`, from the oldest. */
  #expire(at: number): void {
    for (const [key, first] of this.#seen) {
      if (at - first <= this.#ttlMs) return;
      this.#seen.delete(key);
    }
  }
}

/**
 * How long a `new_market` (market, timestamp) is remembered: its copies on the other
 * connections arrive within the spread of their delivery (event-loop stalls of 1.5 s measured).
 */
const LISTING_MEMORY_MS = 10 * 60_000;
/** Listings remembered at most (far more than the venue lists in `LISTING_MEMORY_MS`). */
const LISTING_MEMORY_KEYS = 4096;

/**
 * Tells the first copy of a `new_market` broadcast from the other connections' copies (same
 * market id, same venue timestamp). The recorder stores one row per listing with it, and the
 * trades listener records the listing's metadata once instead of once per connection (465
 * statements per listing at venue size, which held the whole pool for seconds).
 */
export class ListingCopies {
  readonly #keys = new RecentKeys({ capacity: LISTING_MEMORY_KEYS, ttlMs: LISTING_MEMORY_MS });

  /** True for the first copy of this listing, false for a copy already seen. */
  first(listing: { marketId: string; timestamp: number; receivedAt: number }): boolean {
    return this.#keys.firstSeen(`${listing.marketId}|${listing.timestamp}`, listing.receivedAt);
  }
}
