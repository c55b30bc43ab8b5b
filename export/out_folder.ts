/**
 * Can the export write its folders under `--out`? Asked once, before the database is opened,
 * so that a folder the program cannot use is reported by name with the reason (and the command
 * exits with 2: the option's value is unusable and nothing was done) rather than as an error
 * of the first partition, or as Deno's permission hint for /proc, /sys and /dev (which Deno
 * refuses to write without --allow-all, a flag this program is never given).
 *
 * @example
 * ```ts
 * import { outFolderProblem } from "./out_folder.ts";
 * await outFolderProblem("/proc/x", { create: true });
 * // "a system folder (under /proc, /sys or /dev) that this program does not write to"
 * await outFolderProblem("/srv/parquet", { create: true }); // null: created and writable
 * ```
 */
import { dirname, join, resolve } from "node:path";

/**
 * Why `out` cannot take the export, or null. With `create` the folder is created if missing
 * and a probe folder is made and removed in it; without (dry run) nothing is changed: the
 * folder, or its closest existing parent, must be a folder.
 */
export async function outFolderProblem(
  out: string,
  options: { create: boolean },
): Promise<string | null> {
  try {
    if (!options.create) return await existingAncestorProblem(resolve(out));
    await Deno.mkdir(out, { recursive: true });
    const probe = join(out, `_probe-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.mkdir(probe);
    await Deno.remove(probe);
    return null;
  } catch (err) {
    return describe(err);
  }
}

async function existingAncestorProblem(path: string): Promise<string | null> {
  for (let p = path;; p = dirname(p)) {
    try {
      const info = await Deno.stat(p);
      if (info.isDirectory) return null;
      return p === path ? "a file, not a folder" : `${p} is a file, not a folder`;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || dirname(p) === p) throw err;
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Deno.errors.NotCapable) {
    return "a system folder (under /proc, /sys or /dev) that this program does not write to";
  }
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotFound) return "it does not exist and cannot be created";
  if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.AlreadyExists) {
    return "a file is in the way (not a folder)";
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\(os error \d+\).*$/s, "");
}
