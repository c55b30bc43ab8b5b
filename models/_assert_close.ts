/**
 * `assertClose(actual, expected, tolerance)`: the models' tests compare floats computed two
 * ways (by hand and by the code) and need an absolute tolerance that node:assert lacks.
 *
 * @example
 * ```ts
 * import { assertClose } from "./_assert_close.ts";
 * assertClose(0.1 + 0.2, 0.3);
 * ```
 */
import assert from "node:assert/strict";

/** Fails unless |actual − expected| ≤ tolerance (default 1e-12). */
export function assertClose(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}
