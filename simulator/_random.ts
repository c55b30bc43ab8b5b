/**
 * A small seeded PRNG (mulberry32) so the simulated universe is reproducible by seed.
 *
 * @example
 * ```ts
 * import { Random } from "./_random.ts";
 * const r = new Random(42);
 * r.digits(77); // a 77-digit decimal token id, the same for every run with seed 42
 * ```
 */

/** Deterministic pseudo-random source; not for cryptography. */
export class Random {
  #state: number;

  /** Seeds the generator; equal seeds give equal sequences. */
  constructor(seed: number) {
    this.#state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` lowercase hex characters. */
  hex(n: number): string {
    let out = "";
    while (out.length < n) out += (this.int(0x1000000) | 0x1000000).toString(16).slice(1);
    return out.slice(0, n);
  }

  /** A decimal string of exactly `n` digits without a leading zero. */
  digits(n: number): string {
    let out = String(1 + this.int(9));
    while (out.length < n) out += String(this.int(1e9)).padStart(9, "0");
    return out.slice(0, n);
  }
}

/** Turns a counter into `n` hex characters that look random (for hashes of synthetic data). */
export function counterHex(counter: number, salt: number, n: number): string {
  const words = Math.ceil(n / 8);
  const parts = new Array<string>(words);
  let x = ((Math.imul(counter | 0, 0x9e3779b1) ^ Math.floor(counter / 4294967296) ^ salt) >>> 0) ||
    1;
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    parts[i] = x.toString(16).padStart(8, "0");
  }
  return parts.join("").slice(0, n);
}
