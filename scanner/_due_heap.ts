/**
 * A binary min-heap of `(at, key)` entries: the scanner's open episodes by the earliest
 * instant something may be due for them (a leg going stale, a survival re-pricing), so an
 * event settles only the episodes whose instant passed instead of scanning every open one.
 *
 * @example
 * ```ts
 * import { DueHeap } from "./_due_heap.ts";
 * const heap = new DueHeap();
 * heap.push(250, "a");
 * heap.push(100, "b");
 * heap.peekAt(); // 100
 * heap.pop()?.key; // "b"
 * ```
 */

/** One scheduled check. */
export interface DueEntry {
  readonly at: number;
  readonly key: string;
}

export class DueHeap {
  readonly #items: DueEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The earliest instant, Infinity when empty. */
  peekAt(): number {
    return this.#items[0]?.at ?? Infinity;
  }

  push(at: number, key: string): void {
    const items = this.#items;
    items.push({ at, key });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest entry. */
  pop(): DueEntry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let least = i;
      if (l < items.length && items[l]!.at < items[least]!.at) least = l;
      if (r < items.length && items[r]!.at < items[least]!.at) least = r;
      if (least === i) break;
      [items[least], items[i]] = [items[i]!, items[least]!];
      i = least;
    }
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
