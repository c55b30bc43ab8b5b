/**
 * `pmcollect model fit [--since ISO] [--until ISO] [--horizons LIST] [--method M]` and
 * `pmcollect model eval [--model-version N] [--since ISO] [--until ISO] [--html FILE]` (issue 28).
 *
 * fit: builds the point-in-time dataset (`models/dataset.ts`) of markets resolved in the
 * window, evaluates the method walk-forward by resolution time (`models/walk_forward.ts`),
 * prints the evaluation table, fits the deployable model on every row
 * (`models/deployable.ts`) and stores it as a new version (`models/store.ts`) with its
 * training window, horizons, features, parameters, the walk-forward evaluation and a hash.
 *
 * eval: takes the stored version (default the newest) and scores it on the markets resolved
 * after its training window (from `--since`, default the window's end) whose instant is after
 * the window too: a forward test no part of the model saw. With no such market it prints the walk-forward evaluation stored at fit
 * time and says so. `--html FILE` also writes the plots (`models/report_html.ts`).
 *
 * @example
 * ```sh
 * pmcollect model fit --since 2026-01-01 --horizons 24h,7d
 * pmcollect model eval --html eval.html
 * ```
 */
import postgres from "postgres";
import { openConfiguredDatabase } from "./_connect.ts";
import { MODEL_OPTIONS, UsageError } from "./command_line.ts";
import { parseInstant, requireOrder } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import {
  buildDataset,
  type DatasetBuild,
  type ParsedHorizon,
  parseHorizons,
} from "../models/dataset.ts";
import { MODEL_METHODS, type ModelMethod } from "../models/model.ts";
import { walkForward } from "../models/walk_forward.ts";
import { evaluateForecasts, formatEvaluation, type HorizonEvaluation } from "../models/evaluate.ts";
import { type DeployableModel, fitDeployable, predictDeployable } from "../models/deployable.ts";
import { getModel, insertModel, latestModel, type StoredModel } from "../models/store.ts";
import { evaluationHtml } from "../models/report_html.ts";
import type { Queryable } from "../db/client.ts";

export interface ModelArgs {
  readonly action: "fit" | "eval";
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly horizons: readonly ParsedHorizon[];
  readonly method: ModelMethod;
  readonly version: number | undefined;
  readonly html: string | undefined;
}

const DEFAULT_HORIZONS = "1h,24h,7d";

/** @throws {UsageError} for a missing action or a bad option. */
export function parseModelArgs(args: readonly string[]): ModelArgs {
  const { values: v, positionals } = parseOwnOptions(args, {
    options: MODEL_OPTIONS,
    allowPositionals: true,
  });
  const [action, ...extra] = positionals;
  if (action !== "fit" && action !== "eval") {
    throw new UsageError(
      `model takes fit or eval, got ${action === undefined ? "nothing" : `"${action}"`}`,
    );
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
  const only = (name: string, allowed: "fit" | "eval") => {
    if ((v as Record<string, unknown>)[name] !== undefined && action !== allowed) {
      throw new UsageError(`--${name} belongs to model ${allowed}`);
    }
  };
  only("horizons", "fit");
  only("method", "fit");
  only("model-version", "eval");
  only("html", "eval");
  let horizons: ParsedHorizon[];
  try {
    horizons = parseHorizons(v.horizons ?? DEFAULT_HORIZONS);
  } catch (err) {
    throw new UsageError(`--horizons: ${(err as Error).message}`, { cause: err });
  }
  const method = (v.method ?? "auto") as ModelMethod;
  if (!MODEL_METHODS.includes(method)) {
    throw new UsageError(`--method must be one of ${MODEL_METHODS.join(", ")}, got "${v.method}"`);
  }
  const version = v["model-version"] === undefined ? undefined : Number(v["model-version"]);
  if (version !== undefined && !(Number.isInteger(version) && version > 0)) {
    throw new UsageError(
      `--model-version must be a positive whole number, got "${v["model-version"]}"`,
    );
  }
  if (v.html === "") throw new UsageError("--html needs a file");
  const since = v.since === undefined ? undefined : parseInstant("since", v.since);
  const until = v.until === undefined ? undefined : parseInstant("until", v.until);
  requireOrder(since, until);
  return { action, since, until, horizons, method, version, html: v.html };
}

/** Runs the command; returns the exit code (2 bad options, 1 nothing to fit or no model). */
export async function runModelCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const args = parseOrReport("model", parseModelArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 3 });
  try {
    return args.action === "fit"
      ? await fit(db.sql, args, context)
      : await evaluate(db.sql, args, context);
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "42P01") {
      printText("stderr", `pmcollect model: ${err.message}; run pmcollect migrate first`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

async function fit(sql: Queryable, args: ModelArgs, context: CommandContext): Promise<number> {
  const build = await buildDataset(sql, {
    horizons: args.horizons,
    since: args.since,
    until: args.until,
    signal: context.signal,
  });
  context.write(sampleLine(build));
  if (build.rows.length === 0) {
    printText("stderr", "pmcollect model fit: no rows to fit in this window");
    return 1;
  }
  let evaluation: HorizonEvaluation[];
  try {
    const wf = walkForward(build.rows, { method: args.method });
    evaluation = evaluateForecasts(wf.predictions, {
      excluded: [...exclusions(build), `${wf.trainingOnly} first-block rows (training only)`],
    });
    context.write(`walk-forward ${args.method}: ${wf.predictions.length} out-of-sample rows`);
    context.write(formatEvaluation(evaluation));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    printText("stderr", `pmcollect model fit: cannot evaluate walk-forward: ${err.message}`);
    return 1;
  }
  const model = fitDeployable(build.rows, { method: args.method });
  const times = build.rows.map((r) => r.resolvedAt);
  const stored = await insertModel(sql, {
    method: args.method,
    trainFrom: new Date(times.reduce((a, b) => Math.min(a, b))),
    trainUntil: new Date(times.reduce((a, b) => Math.max(a, b))),
    horizons: args.horizons.map((h) => h.label),
    features: [...new Set(build.rows.flatMap((r) => Object.keys(r.features)))].sort(),
    params: model,
    metrics: { rows: build.rows.length, walkForward: evaluation },
  });
  context.write(
    `model: stored version ${stored.version} (${stored.method}, trained on markets resolved ${stored.trainFrom.toISOString()}..${stored.trainUntil.toISOString()}, hash ${
      stored.hash.slice(0, 12)
    })`,
  );
  return 0;
}

async function evaluate(sql: Queryable, args: ModelArgs, context: CommandContext): Promise<number> {
  const stored = args.version === undefined
    ? await latestModel(sql)
    : await getModel(sql, args.version);
  if (stored === undefined) {
    printText(
      "stderr",
      `pmcollect model eval: ${
        args.version === undefined
          ? "no model stored yet; run pmcollect model fit"
          : `no model version ${args.version}`
      }`,
    );
    return 1;
  }
  context.write(
    `model: version ${stored.version} (${stored.method}), trained on markets resolved ${stored.trainFrom.toISOString()}..${stored.trainUntil.toISOString()}`,
  );
  const since = args.since ?? new Date(stored.trainUntil.getTime() + 1);
  if (since <= stored.trainUntil) {
    printText("stderr", "pmcollect model eval: --since must be after the model's training window");
    return 2;
  }
  const build = await buildDataset(sql, {
    horizons: parseHorizons(stored.horizons.join(",")),
    since,
    until: args.until,
    signal: context.signal,
  });
  // A row whose instant falls inside the training window would be scored by a model fitted on
  // outcomes that were not known at that instant.
  const rows = build.rows.filter((r) => r.instant > stored.trainUntil.getTime());
  const early = build.rows.length - rows.length;
  let evaluation: HorizonEvaluation[];
  let title: string;
  if (rows.length === 0) {
    context.write(
      `no market resolved after the training window yet: the walk-forward evaluation stored at fit time follows`,
    );
    evaluation = (stored.metrics as { walkForward: HorizonEvaluation[] }).walkForward;
    title = `model ${stored.version} (${stored.method}): walk-forward at fit time`;
  } else {
    context.write(sampleLine(build));
    const probabilities = predictDeployable(stored.params as DeployableModel, rows);
    evaluation = evaluateForecasts(
      rows.map((row, i) => ({ row, probability: probabilities[i] })),
      {
        excluded: [
          ...exclusions(build),
          `${early} rows whose instant falls inside the training window`,
        ],
      },
    );
    title = `model ${stored.version} (${stored.method}): forward test from ${since.toISOString()}`;
  }
  context.write(formatEvaluation(evaluation));
  if (args.html !== undefined) {
    await Deno.writeTextFile(
      args.html,
      evaluationHtml(evaluation, { title, notes: [describe(stored)] }),
    );
    context.write(`wrote ${args.html}`);
  }
  return 0;
}

function exclusions(build: DatasetBuild): string[] {
  const e = build.excluded;
  return [
    `${e.voided} markets voided or 50-50`,
    `${e.notBinary} not binary`,
    `${e.unknownWinner} with an unknown winner`,
    `${e.noPriceBeforeInstant} market-horizons with no price before the instant`,
  ];
}

function sampleLine(build: DatasetBuild): string {
  return `dataset: ${build.rows.length} rows from ${build.markets} resolved binary markets; left out: ${
    exclusions(build).join(", ")
  }`;
}

function describe(stored: StoredModel): string {
  return `version ${stored.version}, ${stored.method}, horizons ${
    stored.horizons.join(", ")
  }, features ${stored.features.join(", ") || "none"}, hash ${stored.hash}`;
}
