/**
 * Is a day's export a faithful copy of what the database holds now? True only when the
 * partition's manifest exists and parses, its files are all there with the recorded SHA-256,
 * and the database's row count and content checksum for that day (recomputed now, in the
 * caller's transaction, by the same `partitionChecksum` the export ran in its snapshot) equal
 * the manifest's: a day whose rows changed value at the same count is refused too, and the
 * reason says which. A manifest read before the day was over (day_complete.ts) is refused
 * whatever it holds: rows may have come after it. A day with no rows in the database (never exported, or dropped already)
 * has nothing to lose and verifies with 0 rows.
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
import { dayCompleteAt } from "./day_complete.ts";
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
  const current = await partitionChecksum(tx, partition);
  // Nothing left to lose: never exported, or dropped already (a day between kept days is
  // walked again by every later run, and must not read as changed since its export).
  if (current.rows === 0) return { ok: true, rows: 0 };
  const folder = join(out, partition.table, partitionFolder(partition));
  const manifest = await readManifest(folder);
  if (manifest === null) return { ok: false, reason: "not exported (no readable manifest)" };
  if (manifest.table !== partition.table || manifest.day !== partition.day) {
    return { ok: false, reason: "the manifest is for another partition" };
  }
  if (manifest.checksumAlgorithm !== CHECKSUM_ALGORITHM) {
    return { ok: false, reason: `unknown checksum algorithm ${manifest.checksumAlgorithm}` };
  }
  const problems = await verifyFiles(folder, manifest);
  if (problems.length > 0) return { ok: false, reason: `files: ${problems.join("; ")}` };
  // An export taken while the day was in progress (earlier versions wrote one for --until
  // beyond today) may lack rows that were written after it, at any count: never trust it.
  const taken = new Date(manifest.snapshotAt ?? manifest.exportedAt);
  if (partition.day !== null && !(taken >= dayCompleteAt(partition.day))) {
    return {
      ok: false,
      stale: true,
      reason:
        `exported while the day was in progress (at ${
          manifest.snapshotAt ?? manifest.exportedAt
        }): ` +
        `export the day again`,
    };
  }
  // The count alone misses a row whose value changed (an update, a re-backfilled price): the
  // checksum covers every column of every row, computed the same way as at export.
  if (current.rows !== manifest.rows) {
    return {
      ok: false,
      stale: true,
      reason: `database differs from the export: ${current.rows} rows now, ` +
        `${manifest.rows} exported: export the day again`,
    };
  }
  if (current.checksum !== manifest.checksum) {
    return {
      ok: false,
      stale: true,
      reason: `database differs from the export: the same ${current.rows} rows, but their ` +
        `content changed (checksum ${current.checksum} now, ${manifest.checksum} exported): ` +
        `export the day again`,
    };
  }
  return { ok: true, rows: current.rows };
}
