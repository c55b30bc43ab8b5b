/**
 * Is a day's export a faithful copy of what the database holds now? True only when the
 * partition's manifest exists and parses, its files are all there with the recorded SHA-256,
 * and the database's row count and checksum for that day (recomputed now, in the caller's
 * transaction) equal the manifest's. A day with no rows in the database needs no export.
 *
 * @example
 * ```ts
 * import { verifyDay } from "./verify_day.ts";
 * await sql.begin(async (tx) => verifyDay(tx, { table: "trades", timeColumn: "ts", day: "2026-11-01" }, "./export"));
 * // { ok: true, rows: 1234 } or { ok: false, reason: "not exported" }
 * ```
 */
import { join } from "node:path";
import type { Queryable } from "../db/client.ts";
import { readManifest, verifyFiles } from "./manifest.ts";
import {
  CHECKSUM_ALGORITHM,
  type Partition,
  partitionChecksum,
  partitionFolder,
  useCanonicalText,
} from "./partition.ts";

export type DayVerdict =
  | { readonly ok: true; readonly rows: number }
  | {
    readonly ok: false;
    readonly reason: string;
    /** The files are intact but the database changed since (late rows): export it again. */
    readonly stale?: true;
  };

/** Verifies one day partition; `tx` must be a transaction (canonical text settings are set). */
export async function verifyDay(
  tx: Queryable,
  partition: Partition,
  out: string,
): Promise<DayVerdict> {
  await useCanonicalText(tx);
  const folder = join(out, partition.table, partitionFolder(partition));
  const manifest = await readManifest(folder);
  const current = await partitionChecksum(tx, partition);
  if (manifest === null) {
    return current.rows === 0
      ? { ok: true, rows: 0 }
      : { ok: false, reason: "not exported (no readable manifest)" };
  }
  if (manifest.table !== partition.table || manifest.day !== partition.day) {
    return { ok: false, reason: "the manifest is for another partition" };
  }
  if (manifest.checksumAlgorithm !== CHECKSUM_ALGORITHM) {
    return { ok: false, reason: `unknown checksum algorithm ${manifest.checksumAlgorithm}` };
  }
  const problems = await verifyFiles(folder, manifest);
  if (problems.length > 0) return { ok: false, reason: `files: ${problems.join("; ")}` };
  if (current.rows !== manifest.rows || current.checksum !== manifest.checksum) {
    return {
      ok: false,
      stale: true,
      reason: `database differs from the export (${current.rows} rows now, ` +
        `${manifest.rows} exported): export the day again`,
    };
  }
  return { ok: true, rows: current.rows };
}
