/**
 * argv → one command plus setting overrides. Every SETTINGS key is accepted as
 * `--<flagName(key)> value` and returned under its environment-variable name, so
 * `loadConfig(env, flags)` can let flags win. `--only` is PMCOLLECT_COLLECTORS.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * parseCommandLine(["migrate", "--status"]); // { command: "migrate", status: true, ... }
 * parseCommandLine(["--prices-interval-s", "30"]).flags; // { PMCOLLECT_PRICES_INTERVAL_S: "30" }
 * ```
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";

export type CommandName =
  | "run"
  | "migrate"
  | "status"
  | "inspect"
  | "simulate"
  | "key"
  | "backfill"
  | "edge"
  | "export"
  | "relations"
  | "backtest"
  | "paper"
  | "report"
  | "book"
  | "replay"
  | "dataset"
  | "model"
  | "forecast"
  | "orders"
  | "positions"
  | "resume"
  | "kill"
  | "help"
  | "version";

export interface CommandLine {
  /** `help` carries the command whose page was asked for (if any) as `args[0]`. */
  readonly command: CommandName;
  /** Setting overrides keyed by environment-variable name. */
  readonly flags: Readonly<Record<string, string>>;
  /** `migrate --status`. */
  readonly status: boolean;
  /** Positional arguments after the command (`inspect FILE`), or raw args for `simulate`. */
  readonly args: readonly string[];
}

/**
 * Bad command-line usage; main.ts prints `pmcollect <command>: <message>` (or `pmcollect:
 * <message>` when no command was named) and exits with code 2.
 */
export class UsageError extends Error {
  /** The command whose usage was wrong, when known. */
  readonly command: string | undefined;
  constructor(message: string, options?: ErrorOptions & { readonly command?: string }) {
    super(message, options);
    this.name = "UsageError";
    this.command = options?.command;
  }
}

const COMMANDS: readonly CommandName[] = [
  "run",
  "migrate",
  "status",
  "inspect",
  "simulate",
  "key",
  "backfill",
  "edge",
  "export",
  "relations",
  "backtest",
  "paper",
  "report",
  "book",
  "replay",
  "dataset",
  "model",
  "forecast",
  "orders",
  "positions",
  "resume",
  "kill",
];
const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
const SETTING_OPTIONS: OptionsConfig = Object.fromEntries(
  SETTING_KEYS.map((key) => [flagName(key), { type: "string" }]),
);

/**
 * Parses argv strictly. `simulate` hands everything after it to the simulator untouched. A
 * leading `--` (what `deno task start -- …` passes on) is dropped.
 * @throws {UsageError} for an unknown flag, a missing value or an unknown command.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // `deno task start -- --migrate` passes the "--" through: drop a leading one.
  if (argv[0] === "--") argv = argv.slice(1);
  try {
    return parseArgv(argv);
  } catch (err) {
    if (!(err instanceof UsageError) || err.command !== undefined) throw err;
    const command = isCommand(argv[0] ?? "") ? argv[0] : undefined;
    throw new UsageError(err.message, { cause: err.cause, command });
  }
}

function parseArgv(argv: readonly string[]): CommandLine {
  argv = joinRetainDaysValue(argv);
  if (argv[0] === "simulate" || argv[0] === "key") {
    const own = argv.slice(1);
    const end = own.indexOf("--");
    const asked = (end < 0 ? own : own.slice(0, end)).some((a) => a === "--help" || a === "-h");
    if (asked) return helpLine(argv[0]);
    return { command: argv[0], flags: {}, status: false, args: own };
  }
  if (argv[0] === "relations") return relationsCommandLine(argv.slice(1));
  const { values, positionals, flags } = parseWithSettings(argv, {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
    migrate: { type: "boolean" },
    status: { type: "boolean" },
    only: { type: "string" },
    ...COMMAND_OPTIONS,
  });
  if (typeof values.only === "string") flags.PMCOLLECT_COLLECTORS = values.only;

  const [first, ...rest] = positionals;
  if (first === "help") {
    const [topic, ...extra] = rest;
    if (extra.length > 0) throw new UsageError("help takes one command: pmcollect help <command>");
    if (topic !== undefined && !isCommand(topic)) {
      throw new UsageError(`Unknown command "${topic}" (commands: ${COMMANDS.join(", ")})`);
    }
    return helpLine(topic);
  }
  if (values.help === true) {
    if (first !== undefined && !isCommand(first)) {
      throw new UsageError(`Unknown command "${first}" (commands: ${COMMANDS.join(", ")})`);
    }
    return helpLine(values.migrate === true ? "migrate" : first);
  }
  if (values.version === true) return { command: "version", flags, status: false, args: [] };
  if (first !== undefined && !isCommand(first)) {
    throw new UsageError(`Unknown command "${first}" (commands: ${COMMANDS.join(", ")})`);
  }
  const command = values.migrate === true ? "migrate" : (first ?? "run") as CommandName;
  if (values.migrate === true && first !== undefined && first !== "migrate") {
    throw new UsageError(`--migrate cannot be combined with the "${first}" command`);
  }
  if (values.status === true && command !== "migrate") {
    throw new UsageError("--status belongs to the migrate command: pmcollect migrate --status");
  }
  if (command === "inspect" && rest.length !== 1) {
    throw new UsageError("inspect takes one argument: a file path, or - for stdin");
  }
  if (command === "book" && rest.length !== 1) {
    throw new UsageError("book takes one argument: a token id");
  }
  if (command === "model" && rest.length !== 1) {
    throw new UsageError("model takes one action: fit or eval");
  }
  if (command !== "inspect" && command !== "book" && command !== "model" && rest.length > 0) {
    throw new UsageError(`Unexpected argument "${rest[0]}" for the ${command} command`);
  }
  const own = commandOptions(command, values);
  return { command, flags, status: values.status === true, args: [...rest, ...own] };
}

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** `pmcollect --help` (no topic) or `pmcollect <topic> --help`. */
function helpLine(topic: string | undefined): CommandLine {
  return { command: "help", flags: {}, status: false, args: topic === undefined ? [] : [topic] };
}

/** The options of `backfill` (parsed again, strictly, by cli/backfill_command.ts). */
export const BACKFILL_OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  markets: { type: "string" },
  events: { type: "string" },
  tag: { type: "string" },
  "gaps-only": { type: "boolean" },
  "dry-run": { type: "boolean" },
  resolved: { type: "boolean" },
  fidelity: { type: "string" },
} as const;

/** The options of `edge` (parsed again, strictly, by cli/edge_command.ts). */
export const EDGE_OPTIONS = {
  event: { type: "string" },
  relation: { type: "string" },
  at: { type: "string" },
  json: { type: "boolean" },
  "convert-fee-bips": { type: "string" },
  "rest-max-age-ms": { type: "string" },
} as const;

/** The options of `export` (parsed again, strictly, by cli/export_command.ts). */
export const EXPORT_OPTIONS = {
  out: { type: "string" },
  tables: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  "time-column": { type: "string" },
  "retain-days": { type: "string" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
} as const;

/**
 * `--retain-days -1` as `--retain-days=-1`: node:util calls a value starting with "-"
 * ambiguous; joined, it reaches export's own check ("a whole number of days ≥ 1", exit 2).
 */
function joinRetainDaysValue(argv: readonly string[]): readonly string[] {
  const i = argv.indexOf("--retain-days");
  const value = i < 0 ? undefined : argv[i + 1];
  if (value === undefined || !/^-[^-]/.test(value)) return argv;
  return [...argv.slice(0, i), `--retain-days=${value}`, ...argv.slice(i + 2)];
}

/** The options of `backtest` (parsed again, strictly, by cli/backtest_command.ts). */
export const BACKTEST_OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  events: { type: "string" },
  "from-file": { type: "string" },
} as const;

/** The options of `paper` (parsed again, strictly, by cli/paper_command.ts). */
export const PAPER_OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  events: { type: "string" },
  "latency-ms": { type: "string" },
  cash: { type: "string" },
} as const;

/** The options of `report` (parsed again, strictly, by cli/report_command.ts). */
export const REPORT_OPTIONS = {
  day: { type: "string" },
  html: { type: "string" },
  replayed: { type: "boolean" },
  schema: { type: "string" },
} as const;

/** The options of `book` (parsed again, strictly, by cli/book_command.ts). */
export const BOOK_OPTIONS = {
  at: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The options of `replay` (parsed again, strictly, by cli/replay_command.ts). */
export const REPLAY_OPTIONS = {
  tokens: { type: "string" },
  event: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  pace: { type: "string" },
  parquet: { type: "string" },
} as const;

/** The options of `dataset` (parsed again, strictly, by cli/dataset_command.ts). */
export const DATASET_OPTIONS = {
  horizons: { type: "string" },
  out: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  "from-export": { type: "string" },
} as const;

/** The options of `model fit` and `model eval` (parsed again by cli/model_command.ts). */
export const MODEL_OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
  horizons: { type: "string" },
  method: { type: "string" },
  "model-version": { type: "string" },
  html: { type: "string" },
} as const;

/** The options of `forecast` (parsed again by cli/forecast_command.ts). */
export const FORECAST_OPTIONS = {
  event: { type: "string" },
  market: { type: "string" },
  at: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The options of `orders` and `positions` (parsed again by cli/ledger_command.ts). */
export const LEDGER_OPTIONS = {
  all: { type: "boolean" },
  json: { type: "boolean" },
} as const;

/** The options of `resume` (parsed again by cli/ledger_command.ts). */
export const RESUME_OPTIONS = {
  by: { type: "string" },
  reason: { type: "string" },
} as const;

/** The options of `kill` (parsed again by cli/kill_command.ts). */
export const KILL_OPTIONS = RESUME_OPTIONS;

/** Options of one command (`backfill …`, `edge …`, `export …`, `status --quality`), in `args`. */
const COMMAND_OPTIONS = {
  ...BACKFILL_OPTIONS,
  ...EDGE_OPTIONS,
  ...EXPORT_OPTIONS,
  ...BACKTEST_OPTIONS,
  ...PAPER_OPTIONS,
  ...REPORT_OPTIONS,
  ...BOOK_OPTIONS,
  ...REPLAY_OPTIONS,
  ...DATASET_OPTIONS,
  ...MODEL_OPTIONS,
  ...FORECAST_OPTIONS,
  ...LEDGER_OPTIONS,
  ...RESUME_OPTIONS,
  quality: { type: "boolean" },
  live: { type: "boolean" },
} as const;

/** The commands each command option belongs to. */
function optionCommands(name: string): CommandName[] {
  if (name === "quality") return ["status"];
  if (name === "live") return ["run"];
  return [
    ...(name in BACKFILL_OPTIONS ? ["backfill" as const] : []),
    ...(name in EDGE_OPTIONS ? ["edge" as const] : []),
    ...(name in EXPORT_OPTIONS ? ["export" as const] : []),
    ...(name in BACKTEST_OPTIONS ? ["backtest" as const] : []),
    ...(name in PAPER_OPTIONS ? ["paper" as const] : []),
    ...(name in REPORT_OPTIONS ? ["report" as const] : []),
    ...(name in BOOK_OPTIONS ? ["book" as const] : []),
    ...(name in REPLAY_OPTIONS ? ["replay" as const] : []),
    ...(name in DATASET_OPTIONS ? ["dataset" as const] : []),
    ...(name in MODEL_OPTIONS ? ["model" as const] : []),
    ...(name in FORECAST_OPTIONS ? ["forecast" as const] : []),
    ...(name === "all" ? ["orders" as const] : []),
    ...(name === "json" ? ["orders" as const, "positions" as const] : []),
    ...(name in RESUME_OPTIONS ? ["resume" as const] : []),
    ...(name in KILL_OPTIONS ? ["kill" as const] : []),
  ];
}

function commandOptions(
  command: CommandName,
  values: Record<string, string | boolean | undefined>,
): string[] {
  const out: string[] = [];
  for (const name of Object.keys(COMMAND_OPTIONS)) {
    const value = values[name];
    if (value === undefined) continue;
    const owners = optionCommands(name);
    if (!owners.includes(command)) {
      throw new UsageError(`--${name} belongs to the ${owners.join(" or ")} command`);
    }
    out.push(`--${name}`, ...(typeof value === "string" ? [value] : []));
  }
  return out;
}

/** The options of `relations` (its `--status` takes a value, unlike `migrate --status`). */
export const RELATIONS_OPTIONS = {
  event: { type: "string" },
  type: { type: "string" },
  status: { type: "string" },
  json: { type: "boolean" },
  confirm: { type: "string" },
  reject: { type: "string" },
  note: { type: "string" },
  by: { type: "string" },
} as const;

/**
 * `relations [list|refresh|check|review] [options] [setting flags]`: setting flags become
 * `flags`; the subcommand and the relations options are handed on in `args` (parsed again by
 * cli/relations_command.ts).
 */
function relationsCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals, flags } = parseWithSettings(argv, {
    help: { type: "boolean", short: "h" },
    ...RELATIONS_OPTIONS,
  }, "relations");
  if (values.help === true) return helpLine("relations");
  const args = [...positionals];
  for (const name of Object.keys(RELATIONS_OPTIONS)) {
    const value = values[name];
    if (value !== undefined) args.push(`--${name}`, ...(typeof value === "string" ? [value] : []));
  }
  return { command: "relations", flags, status: false, args };
}

/**
 * Strict parseArgs over `options` plus every setting flag; the setting flags come back as
 * `flags`, keyed by environment-variable name.
 */
function parseWithSettings(argv: readonly string[], options: OptionsConfig, command?: string) {
  let parsed;
  try {
    const all = { ...options, ...SETTING_OPTIONS };
    parsed = parseArgs({ args: [...argv], options: all, strict: true, allowPositionals: true });
  } catch (err) {
    const named = command ?? (isCommand(argv[0] ?? "") ? argv[0] : undefined);
    throw new UsageError(describeParseError(err, named), { cause: err });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const flags: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const value = values[flagName(key)];
    if (typeof value === "string") flags[key] = value;
  }
  return { values, positionals: parsed.positionals, flags };
}

/** node:util's messages are long; keep the first sentence and point at --help. */
function describeParseError(err: unknown, command: string | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split(/\.\s/)[0]?.replace(/\.$/, "") ?? message;
  return `${first} (see pmcollect ${command === undefined ? "" : `${command} `}--help)`;
}
