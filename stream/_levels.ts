/**
 * Level arithmetic shared by the stream modules, on decimal text.
 *
 * @example
 * ```ts
 * import { isZero } from "./_levels.ts";
 * isZero("0.000"); // true: a size that removes its level
 * ```
 */

/** "0", "0.0", "0.000" … */
export function isZero(size: string): boolean {
  for (let i = 0; i < size.length; i++) {
    const c = size.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}
