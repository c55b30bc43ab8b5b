/**
 * The recorder's own full book per token, kept only to write periodic checkpoints: a `book`
 * replaces a token's levels, a `price_change` level sets one ("0" deletes it), a
 * `tick_size_change` forgets the book until the next snapshot. Levels stay decimal text.
 * After `every` level changes since its snapshot or last checkpoint a token is due.
 *
 * @example
 * ```ts
 * import { CheckpointBooks } from "./_checkpoint_books.ts";
 * const books = new CheckpointBooks(2000);
 * books.replace("1", [["0.5", "10"]], []);
 * books.set("1", 0, "0.5", "0"); // false: not due yet
 * ```
 */

/** One token's levels, price text → size text. */
export interface Levels {
  readonly bids: Map<string, string>;
  readonly asks: Map<string, string>;
}

interface Held extends Levels {
  changes: number;
}

export class CheckpointBooks {
  readonly #every: number;
  readonly #books = new Map<string, Held>();

  constructor(every: number) {
    this.#every = every;
  }

  /** Tokens with a book held. */
  get size(): number {
    return this.#books.size;
  }

  /** A snapshot: the token's book is exactly these levels. */
  replace(
    tokenId: string,
    bids: readonly (readonly [string, string])[],
    asks: readonly (readonly [string, string])[],
  ): void {
    this.#books.set(tokenId, { bids: new Map(bids), asks: new Map(asks), changes: 0 });
  }

  /** One level change; true when the token is due for a checkpoint. */
  set(tokenId: string, side: 0 | 1, price: string, size: string): boolean {
    const book = this.#books.get(tokenId);
    if (book === undefined) return false;
    const levels = side === 0 ? book.bids : book.asks;
    if (isZero(size)) levels.delete(price);
    else levels.set(price, size);
    return ++book.changes >= this.#every;
  }

  /** The levels to checkpoint now (resets the count), or undefined with no book. */
  take(tokenId: string): Levels | undefined {
    const book = this.#books.get(tokenId);
    if (book !== undefined) book.changes = 0;
    return book;
  }

  /** The book is no longer known (tick change, unsubscribe). */
  forget(tokenId: string): void {
    this.#books.delete(tokenId);
  }
}

/** "0", "0.0", "0.000" … */
export function isZero(size: string): boolean {
  for (let i = 0; i < size.length; i++) {
    const c = size.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}
