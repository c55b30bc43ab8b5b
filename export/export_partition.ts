/**
 * Exports one partition (a table's UTC day, or a whole table) as ZSTD Parquet: rows are read
 * with a cursor inside one REPEATABLE READ transaction (so files and checksum see the same
 * snapshot, memory stays bounded by the batch and part sizes), staged as text in an in-memory
 * DuckDB, cast to their Parquet types and written as `part-NNNNN.parquet`; each part's row
 * count is read back from the file. The finished folder, with its manifest, replaces the old
 * one by rename, so a crash leaves either the old partition or the new one, never a mix.
 * A day that is not over yet (day_complete.ts) is refused with a DayInProgressError before
 * anything is read or written. Folders and files are created with the default modes, so they
 * follow the umask (0755 and 0644 under umask 022).
 *
 * @example
 * ```ts
 * import { exportPartition } from "./export_partition.ts";
 * const p = { table: "trades", timeColumn: "ts", day: "2026-11-30" };
 * await exportPartition(sql, p, { out: "./export", program: "pmcollect 0.1.0", signal });
 * ```
 */
import { join } from "node:path";
import type { Sql } from "../db/client.ts";
import { type DuckAppender, type DuckDb, duckString, openDuckDb, quoteIdent } from "./_duckdb.ts";
import {
  castExpression,
  type ExportColumn,
  partitionType,
  readColumns,
  textExpression,
} from "./columns.ts";
import { hashFile, type Manifest, readManifest, writeManifest } from "./manifest.ts";
import {
  CHECKSUM_ALGORITHM,
  type Partition,
  partitionChecksum,
  partitionFolder,
  partitionSource,
  rowFilter,
  useCanonicalText,
  wideDecimalFit,
} from "./partition.ts";
import { replaceFolder } from "./_replace_folder.ts";
import { DayInProgressError, isDayComplete } from "./day_complete.ts";
import { PACK_WINDOW_MS } from "../db/book_events.ts";

export interface ExportOptions {
  /** Root folder; the partition goes to `<out>/<table>/<date=…|all>/`. */
  readonly out: string;
  /** Recorded in the manifest, e.g. "pmcollect 0.1.0 (abc1234)". */
  readonly program: string;
  readonly signal: AbortSignal;
  /** Rows per Parquet file (default 1,000,000). */
  readonly partRows?: number;
  /** Text staged per Parquet file, in UTF-16 code units (default 128 Mi): bounds memory. */
  readonly partChars?: number;
  /** Rows per cursor batch (default 10,000). */
  readonly batchRows?: number;
  /** The clock (default: the system's): whether the day is over, and the manifest's times. */
  readonly now?: () => Date;
}

/**
 * The database holds fewer rows of a partition than its existing export (retention dropped
 * them and a late row came in): the export is kept, nothing is replaced.
 */
export class ExportWouldShrinkError extends Error {
  readonly exported: number;
  readonly stored: number;
  constructor(partition: Partition, exported: number, stored: number) {
    super(
      `Cannot export ${partition.table} ${partition.day ?? "(whole table)"} again: its export ` +
        `holds ${exported} rows and the database only ${stored} now (rows dropped by ` +
        `retention); the export is kept and the newer rows stay in the database`,
    );
    this.name = "ExportWouldShrinkError";
    this.exported = exported;
    this.stored = stored;
  }
}

/**
 * Writes the partition and returns its manifest (rows 0 = nothing written, nothing replaced).
 * @throws {ExportWouldShrinkError} when an existing export of the partition holds more rows.
 */
export async function exportPartition(
  sql: Sql,
  partition: Partition,
  options: ExportOptions,
): Promise<Manifest> {
  // Read before the snapshot begins: the rows read are those of this instant or later.
  const snapshotAt = options.now?.() ?? new Date();
  if (partition.day !== null && !isDayComplete(partition.day, snapshotAt)) {
    throw new DayInProgressError(partition.table, partition.day);
  }
  const columns = await readColumns(sql, partition.table);
  const tableDir = join(options.out, partition.table);
  await Deno.mkdir(tableDir, { recursive: true });
  // Not Deno.makeTempDir (always 0700): mkdir's default mode, so the folder follows the umask
  // like the files in it.
  const staging = join(tableDir, `_tmp-${crypto.randomUUID().slice(0, 13)}`);
  await Deno.mkdir(staging);
  const duck = await openDuckDb();
  try {
    const manifest = await sql.begin("isolation level repeatable read read only", async (tx) => {
      await useCanonicalText(tx);
      const sums = await partitionChecksum(tx, partition);
      const fit = await wideDecimalFit(tx, partition, columns);
      const types = columns.map((c) => partitionType(c, fit.get(c.name) ?? true));
      const files = sums.rows === 0
        ? []
        : await writeParts(tx as unknown as Sql, { partition, columns, types, duck, staging }, {
          ...options,
          rows: sums.rows,
        });
      return {
        table: partition.table,
        day: partition.day,
        timeColumn: partition.timeColumn,
        rows: sums.rows,
        checksum: sums.checksum,
        checksumAlgorithm: CHECKSUM_ALGORITHM,
        columns: columns.map((c, i) => ({
          name: c.name,
          pgType: c.pgType,
          parquetType: types[i]!,
        })),
        files,
        ...(FILE_ORDER[partition.table] === undefined
          ? {}
          : { order: [...FILE_ORDER[partition.table]!] }),
        program: options.program,
        exportedAt: (options.now?.() ?? new Date()).toISOString(),
        snapshotAt: snapshotAt.toISOString(),
      } satisfies Manifest;
    });
    if (manifest.rows === 0) return manifest;
    const target = join(tableDir, partitionFolder(partition));
    // A day retention dropped, then exported again for a late row, would replace the export
    // of every dropped row with one of the late row alone: those rows would then be nowhere.
    const previous = await readManifest(target);
    if (previous !== null && previous.rows > manifest.rows) {
      throw new ExportWouldShrinkError(partition, previous.rows, manifest.rows);
    }
    await writeManifest(staging, manifest);
    await replaceFolder(staging, target);
    return manifest;
  } finally {
    duck.close();
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Tables whose files are each sorted, and by what: the recorded stream in arrival order, so a
 * replay can stream files one after another without sorting a day (stream/replay_parquet.ts).
 */
export const FILE_ORDER: Readonly<Record<string, readonly string[]>> = {
  book_events: ["session", "seq"],
  book_event_rows: ["session", "seq"],
};

interface Target {
  readonly partition: Partition;
  readonly columns: readonly ExportColumn[];
  readonly types: readonly string[];
  readonly duck: DuckDb;
  readonly staging: string;
}

async function writeParts(
  tx: Sql,
  target: Target,
  options: ExportOptions & { rows: number },
): Promise<Manifest["files"]> {
  const { partition, columns, types, duck, staging } = target;
  const partRows = options.partRows ?? 1_000_000;
  const partChars = options.partChars ?? 128 * 2 ** 20;
  const staged = columns.map((_, i) => `c${i}`);
  await duck.run(`create table staged (${staged.map((c) => `${c} VARCHAR`).join(", ")})`);
  const select = columns.map((c, i) => `${textExpression(c, quoteIdent)} as c${i}`).join(", ");
  const copySelect = columns.map((c, i) =>
    `${castExpression(staged[i]!, types[i]!)} as ${quoteIdent(c.name)}`
  ).join(", ");
  const order = FILE_ORDER[partition.table]?.map(quoteIdent);
  const { where, params } = rowFilter(partition);
  // No ORDER BY: sorting a day of a large table would spill to the disk we are freeing. A table
  // whose files are sorted is read a packing window (6 hours, stream/packer.ts) at a time
  // instead, each window's last file closed at the window's end: TimescaleDB gives a chunk's
  // rows back token by token, so one cursor over a day would spread every window over every
  // file of the day, and a replay would have to merge all of them; cut by the window, the files
  // of different windows do not overlap, and each pack is unpacked once.
  const windows = order === undefined || params.length === 0 ? [params] : windowsOf(params);
  const batches = async function* () {
    for (const window of windows) {
      const query = tx.unsafe(
        `select ${select} from ${partitionSource(partition)} t ${where}`,
        window,
      );
      yield* query.cursor(options.batchRows ?? 10_000);
      yield null;
    }
  };

  const files: Manifest["files"] = [];
  let appender: DuckAppender | null = await duck.appender("staged");
  let inPart = 0;
  let charsInPart = 0;
  const flush = async () => {
    const closing = appender!;
    appender = null;
    closing.flushSync();
    closing.closeSync();
    const name = `part-${String(files.length).padStart(5, "0")}.parquet`;
    const path = join(staging, name);
    await duck.run(
      `copy (select ${copySelect} from staged ${
        order === undefined ? "" : `order by ${order.join(", ")}`
      })
       to ${duckString(path)} (format parquet, compression zstd)`,
    );
    const [counted] = await duck.rows(
      `select count(*)::bigint as n from read_parquet(${duckString(path)})`,
    );
    const rows = Number(counted?.n);
    if (rows !== inPart) {
      throw new Error(`Cannot export ${name}: wrote ${inPart} rows, file holds ${rows}`);
    }
    files.push({ name, rows, ...(await hashFile(path)), ...(await keyRange(duck, path, order)) });
    await duck.run("delete from staged");
    appender = await duck.appender("staged");
    inPart = 0;
    charsInPart = 0;
  };
  try {
    for await (const batch of batches()) {
      if (options.signal.aborted) throw options.signal.reason;
      if (batch === null) {
        // The end of a window (or of the day).
        if (inPart > 0 && windows.length > 1) await flush();
        continue;
      }
      for (const row of batch as Record<string, string | null>[]) {
        for (const c of staged) {
          const v = row[c];
          if (v === null || v === undefined) appender!.appendNull();
          else {
            appender!.appendVarchar(v);
            charsInPart += v.length;
          }
        }
        appender!.endRow();
        inPart += 1;
      }
      if (inPart >= partRows || charsInPart >= partChars) await flush();
    }
    if (inPart > 0) await flush();
  } finally {
    appender?.closeSync();
  }
  const written = files.reduce((n, f) => n + f.rows, 0);
  if (written !== options.rows) {
    throw new Error(
      `Cannot export ${partition.table} ${partitionFolder(partition)}: ` +
        `checksum counted ${options.rows} rows, cursor returned ${written}`,
    );
  }
  return files;
}

/** `[from, to)` cut into packing windows. */
function windowsOf([from, to]: readonly Date[]): Date[][] {
  const hours: Date[][] = [];
  for (let t = from!.getTime(); t < to!.getTime(); t += PACK_WINDOW_MS) {
    hours.push([new Date(t), new Date(Math.min(t + PACK_WINDOW_MS, to!.getTime()))]);
  }
  return hours;
}

/** The first and last key of a sorted file (nothing when the table has no file order). */
async function keyRange(
  duck: DuckDb,
  path: string,
  order: readonly string[] | undefined,
): Promise<{ first?: string[]; last?: string[] }> {
  if (order === undefined) return {};
  const key = async (direction: "asc" | "desc") => {
    const [row] = await duck.rows(
      `select ${order.map((c, i) => `${c}::varchar as k${i}`).join(", ")}
       from read_parquet(${duckString(path)})
       order by ${order.map((c) => `${c} ${direction}`).join(", ")} limit 1`,
    );
    return order.map((_, i) => String(row![`k${i}`]));
  };
  return { first: await key("asc"), last: await key("desc") };
}
