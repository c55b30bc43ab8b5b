/**
 * The manifest next to each exported partition (`_manifest.json`; engines skip files starting
 * with `_`): what was exported, from which rows, by which program, and the files with their
 * SHA-256, so retention can prove both the files and the database still hold the same rows.
 *
 * @example
 * ```ts
 * import { readManifest, verifyFiles } from "./manifest.ts";
 * const manifest = await readManifest("out/trades/date=2026-11-30");
 * if (manifest !== null) await verifyFiles("out/trades/date=2026-11-30", manifest); // [] = intact
 * ```
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";

export const MANIFEST_FILE = "_manifest.json";

const ManifestSchema = z.object({
  table: z.string(),
  day: z.string().nullable(),
  timeColumn: z.string().nullable(),
  rows: z.number().int().min(0),
  checksum: z.string().regex(/^-?\d+$/),
  checksumAlgorithm: z.string(),
  columns: z.array(z.object({ name: z.string(), pgType: z.string(), parquetType: z.string() })),
  files: z.array(z.object({
    name: z.string().regex(/^part-\d+\.parquet$/),
    rows: z.number().int().min(0),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** With `order`: the file's first and last key, as decimal text. */
    first: z.array(z.string()).optional(),
    last: z.array(z.string()).optional(),
  })),
  /** Columns each file is sorted by (the recorded stream: its arrival order). */
  order: z.array(z.string()).optional(),
  program: z.string(),
  exportedAt: z.string(),
  /**
   * When the rows were read (the snapshot began at or after it). A day partition is exported
   * only once its day is over (day_complete.ts); older manifests lack the field.
   */
  snapshotAt: z.string().optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;

/** The partition's manifest, or null when there is none or it does not parse. */
export async function readManifest(folder: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(folder, MANIFEST_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ManifestSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export async function writeManifest(folder: string, manifest: Manifest): Promise<void> {
  await Deno.writeTextFile(join(folder, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
}

/** SHA-256 (hex) and size of a file, read in a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * Problems with the partition's files (empty = intact): a file missing, of another size or
 * hash, a Parquet file the manifest does not list, or per-file rows not adding up.
 */
export async function verifyFiles(folder: string, manifest: Manifest): Promise<string[]> {
  const problems: string[] = [];
  const listed = new Set(manifest.files.map((f) => f.name));
  for await (const entry of Deno.readDir(folder)) {
    if (entry.name.endsWith(".parquet") && !listed.has(entry.name)) {
      problems.push(`${entry.name}: not in the manifest`);
    }
  }
  for (const file of manifest.files) {
    let actual;
    try {
      actual = await hashFile(join(folder, file.name));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      problems.push(`${file.name}: missing`);
      continue;
    }
    if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) {
      problems.push(`${file.name}: changed since export (sha256 differs)`);
    }
  }
  const sum = manifest.files.reduce((n, f) => n + f.rows, 0);
  if (sum !== manifest.rows) {
    problems.push(`files hold ${sum} rows, manifest says ${manifest.rows}`);
  }
  return problems;
}
