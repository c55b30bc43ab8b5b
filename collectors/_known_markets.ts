/**
 * What one collector made of each Gamma market it stored, by the market's fingerprint
 * (`polymarket/gamma_unchanged.ts`): a walk passes it as `known`, so a market byte-identical
 * to last time comes back unparsed and the collector reuses `value` instead of redoing its
 * work. A market is recorded only once it is stored, so a page that failed is parsed and
 * stored again by the next walk. Every `fullEvery`-th walk starts empty and reprocesses every
 * market: it bounds the memory held for markets that left the universe and re-asserts Gamma's
 * values over anything else that wrote the same rows.
 *
 * @example
 * ```ts
 * import { KnownMarketRecord } from "./_known_markets.ts";
 * const known = new KnownMarketRecord<string>({ fullEvery: 12 });
 * known.startWalk();
 * known.record("1", 42, "what the collector made of market 1");
 * known.printOf("1"); // 42
 * ```
 */
import type { KnownMarkets } from "../polymarket/gamma_unchanged.ts";

export class KnownMarketRecord<T> implements KnownMarkets {
  readonly #entries = new Map<string, { print: number; value: T }>();
  readonly #fullEvery: number;
  #walks = 0;

  constructor(options: { readonly fullEvery: number }) {
    if (!Number.isInteger(options.fullEvery) || options.fullEvery < 1) {
      throw new RangeError(`fullEvery must be a positive integer, got ${options.fullEvery}`);
    }
    this.#fullEvery = options.fullEvery;
  }

  /** Markets held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Called before each walk; every `fullEvery`-th walk (the first included) starts empty. */
  startWalk(): void {
    if (this.#walks % this.#fullEvery === 0) this.#entries.clear();
    this.#walks += 1;
  }

  printOf(id: string): number | undefined {
    return this.#entries.get(id)?.print;
  }

  /** What was recorded for `id` (defined whenever `printOf(id)` is). */
  get(id: string): T | undefined {
    return this.#entries.get(id)?.value;
  }

  /** Records market `id`, stored with fingerprint `print`. */
  record(id: string, print: number, value: T): void {
    this.#entries.set(id, { print, value });
  }

  /** Forgets `id`: the next walk parses and processes it again. */
  forget(id: string): void {
    this.#entries.delete(id);
  }
}
