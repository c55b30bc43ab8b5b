/**
 * Puts a finished folder in place of an older one by renames only: the old folder is first
 * moved aside (`_old-…`), the new one renamed into place, then the old one removed. Readers
 * see the old partition or the new one; a crash in between leaves the old one under `_old-…`
 * (engines skip names starting with `_`) and the next export of that partition replaces it.
 *
 * @example
 * ```ts
 * import { replaceFolder } from "./_replace_folder.ts";
 * await replaceFolder("out/trades/_tmp-x", "out/trades/date=2026-11-30");
 * ```
 */
import { basename, dirname, join } from "node:path";

/** Moves `from` to `to`, replacing whatever was at `to`. */
export async function replaceFolder(from: string, to: string): Promise<void> {
  const aside = join(dirname(to), `_old-${basename(to)}-${crypto.randomUUID().slice(0, 8)}`);
  let moved = false;
  try {
    await Deno.rename(to, aside);
    moved = true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  try {
    await Deno.rename(from, to);
  } catch (err) {
    if (moved) await Deno.rename(aside, to);
    throw err;
  }
  if (moved) await Deno.remove(aside, { recursive: true });
}
