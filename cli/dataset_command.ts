/**
 * `pmcollect dataset --horizons 1h,24h,7d --out DIR [--since ISO] [--until ISO]
 * [--from-export DIR]`: the point-in-time dataset (one row per resolved binary market and
 * horizon, features only from data stored before the instant; docs/models.md, "Datasets"),
 * built from the database or, with `--from-export`, by DuckDB over a `pmcollect export` folder,
 * written to `DIR/dataset.parquet`, with one summary line: rows, markets, what was left out and
 * why, and the build rate. A long build logs a `dataset_progress` line every 5 s (market-horizons
 * built, of how many, the rate so far and the seconds left at it).
 *
 * @example
 * ```sh
 * pmcollect dataset --horizons 1h,24h,7d --out /srv/datasets/2026-12
 * pmcollect dataset --horizons 24h --from-export /srv/parquet --since 2026-01-01 --out /tmp/ds
 * ```
 */
import { join } from "node:path";
import { openConfiguredDatabase } from "./_connect.ts";
import { DATASET_OPTIONS, UsageError } from "./command_line.ts";
import { parseInstant, requireOrder } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import { outFolderProblem } from "../export/out_folder.ts";
import type { Config } from "../runtime/config.ts";
import { type Logger, printText } from "../runtime/log.ts";
import {
  buildDataset,
  type DatasetBuild,
  type ParsedHorizon,
  parseHorizons,
} from "../models/dataset.ts";
import { buildDatasetFromExport, ExportFolderError } from "../models/dataset_parquet.ts";
import { writeDatasetParquet } from "../models/dataset_file.ts";

export interface DatasetArgs {
  readonly horizons: readonly ParsedHorizon[];
  readonly out: string;
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly fromExport: string | undefined;
}

/** @throws {UsageError} for a missing or bad `--horizons`, `--out`, `--since`, `--until`. */
export function parseDatasetArgs(args: readonly string[]): DatasetArgs {
  const v = parseOwnOptions(args, { options: DATASET_OPTIONS }).values;
  if (v.horizons === undefined) throw new UsageError("--horizons is required, e.g. 1h,24h,7d");
  let horizons: ParsedHorizon[];
  try {
    horizons = parseHorizons(v.horizons);
  } catch (err) {
    throw new UsageError(`--horizons: ${(err as Error).message}`, { cause: err });
  }
  if (v.out === undefined || v.out === "") throw new UsageError("--out DIR is required");
  const since = v.since === undefined ? undefined : parseInstant("since", v.since);
  const until = v.until === undefined ? undefined : parseInstant("until", v.until);
  requireOrder(since, until);
  if (v["from-export"] === "") throw new UsageError("--from-export needs a folder");
  return { horizons, out: v.out, since, until, fromExport: v["from-export"] };
}

/** Runs the command; returns the exit code (2 bad options, 1 the build failed). */
export async function runDatasetCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("dataset", parseDatasetArgs, context.args);
  if (args === null) return 2;
  const problem = await outFolderProblem(args.out, { create: true });
  if (problem !== null) {
    printText("stderr", `pmcollect dataset: cannot write to --out ${args.out}: ${problem}`);
    return 2;
  }
  const options = {
    horizons: args.horizons,
    since: args.since,
    until: args.until,
    signal,
    onProgress: progressLog(log),
  };
  const started = performance.now();
  let build: DatasetBuild;
  if (args.fromExport !== undefined) {
    try {
      build = await buildDatasetFromExport(args.fromExport, options);
    } catch (err) {
      if (!(err instanceof ExportFolderError)) throw err;
      printText("stderr", `pmcollect dataset: ${err.message}`);
      return 1;
    }
  } else {
    const db = await openConfiguredDatabase(config, { log, signal, poolSize: 3 });
    try {
      build = await buildDataset(db.sql, options);
    } finally {
      await db.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const file = join(args.out, "dataset.parquet");
  await writeDatasetParquet(build.rows, file);
  write(summaryLine(build, {
    seconds,
    source: args.fromExport ?? "the database",
    file,
    horizons: args.horizons.length,
  }));
  return 0;
}

/**
 * A build's progress reports as `dataset_progress` log lines, one at most every `everyMs` (none
 * for a build that ends sooner): built, total, the rate so far (market-horizons/s) and the
 * seconds left at that rate.
 */
export function progressLog(
  log: Logger,
  options: { everyMs?: number; now?: () => number } = {},
): (progress: { readonly built: number; readonly total: number }) => void {
  const now = options.now ?? (() => performance.now());
  const every = options.everyMs ?? 5_000;
  const started = now();
  let last = started;
  return ({ built, total }) => {
    const t = now();
    if (t - last < every) return;
    last = t;
    const perSecond = built / ((t - started) / 1000);
    log.info("dataset_progress", {
      built,
      total,
      perSecond: Math.round(perSecond),
      etaS: Math.round((total - built) / perSecond),
    });
  };
}

/** "dataset: 5,400 rows …" (see the module header). */
export function summaryLine(
  build: DatasetBuild,
  run: { seconds: number; source: string; file: string; horizons: number },
): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const e = build.excluded;
  const built = build.markets * run.horizons;
  return `dataset: ${n(build.rows.length)} rows from ${n(build.markets)} resolved binary markets ` +
    `× ${run.horizons} horizons; left out: ${n(e.voided)} markets voided or 50-50, ` +
    `${n(e.notBinary)} not binary, ${n(e.unknownWinner)} with a winner that is neither token, ` +
    `${n(e.noPriceBeforeInstant)} market-horizons with no price before the instant; ` +
    `built from ${run.source} in ${run.seconds.toFixed(1)} s ` +
    `(${n(Math.round(built / Math.max(run.seconds, 1e-3)))} market-horizons/s); wrote ${run.file}`;
}
