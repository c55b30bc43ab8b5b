/**
 * A seeded uniform source (mulberry32) for the models' bootstrap and synthetic data, so every
 * interval and every synthetic history reproduces from its seed. Not for cryptography.
 *
 * @example
 * ```ts
 * import { seededUniform } from "./_random.ts";
 * const next = seededUniform(7);
 * const u = next(); // in [0, 1), the same for every run with seed 7
 * ```
 */

/** Returns a function that yields uniform floats in [0, 1), deterministic by `seed`. */
export function seededUniform(seed: number): () => number {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
