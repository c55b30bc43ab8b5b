/**
 * pmcollect: the one entry point (`deno task start`; `deno compile` makes it the binary).
 * Parses argv, loads the configuration once, owns the root AbortController and the signal
 * handlers, and dispatches to one command in `cli/`.
 *
 * Exit codes:
 *   0    success, including a clean shutdown after SIGINT/SIGTERM
 *   1    runtime or migration failure (MigrationError, database unreachable, crash), or the
 *        graceful shutdown overran PMCOLLECT_SHUTDOWN_DEADLINE_S (hard exit)
 *   2    usage or configuration error (unknown flag or command, invalid setting)
 *   130  a second SIGINT while shutting down, 1 s or more after the first (immediate exit)
 *   143  a second SIGTERM while shutting down (immediate exit)
 *   `export` exits 1 when a partition failed (the partitions before it are complete).
 *   `inspect` returns its own 0/1/2: everything parsed / something rejected / unreadable.
 *
 * `--help` is the overview, `<command> --help` that command's page (cli/help.ts). `--version`
 * is cli/build_info.ts's VERSION with the commit: PMCOLLECT_BUILD_COMMIT when set, else
 * dist/build.json in a compiled binary (bundled by `deno task compile`), else the checkout's
 * `.git` when run from source.
 *
 * @example
 * ```sh
 * deno run -A main.ts --migrate
 * deno run -A main.ts run --only prices,trades --health-port 9464
 * ```
 */
import { type CommandLine, parseCommandLine, UsageError } from "./cli/command_line.ts";
import { helpPage } from "./cli/help.ts";
import { readBuildCommit, versionText } from "./cli/build_info.ts";
import { runMigrateCommand } from "./cli/migrate_command.ts";
import { runRunCommand } from "./cli/run_command.ts";
import { runStatusCommand } from "./cli/status_command.ts";
import { runBackfillCommand } from "./cli/backfill_command.ts";
import { runEdgeCommand } from "./cli/edge_command.ts";
import { runBacktestCommand } from "./cli/backtest_command.ts";
import { runPaperCommand } from "./cli/paper_command.ts";
import { runReportCommand } from "./cli/report_command.ts";
import { runExportCommand } from "./cli/export_command.ts";
import { runBookCommand } from "./cli/book_command.ts";
import { runReplayCommand } from "./cli/replay_command.ts";
import { runDatasetCommand } from "./cli/dataset_command.ts";
import { runModelCommand } from "./cli/model_command.ts";
import { runForecastCommand } from "./cli/forecast_command.ts";
import { runOrdersCommand, runPositionsCommand, runResumeCommand } from "./cli/ledger_command.ts";
import { runKillCommand } from "./cli/kill_command.ts";
import { readLines, runRelationsCommand } from "./cli/relations_command.ts";
import { runInspect } from "./polymarket/inspect.ts";
import { runKeyCommand } from "./keys/age_key.ts";
import { runSimulateCommand, SimulateUsageError } from "./simulator/cli.ts";
import { type Config, ConfigError, describeConfig, loadConfig } from "./runtime/config.ts";
import { createLogger, type Logger, printText } from "./runtime/log.ts";
import { installShutdown } from "./runtime/shutdown.ts";

/** Runs the command line `argv` with environment `env`; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  let commandLine: CommandLine;
  let config: Config;
  try {
    commandLine = parseCommandLine(argv);
    if (commandLine.command === "help") return print(helpPage(commandLine.args[0]));
    if (commandLine.command === "version") return print(versionText(readBuildCommit(env)));
    // The simulator never touches the database: only the settings it uses are read.
    const own = commandLine.command === "simulate" ? pick(env, SIMULATE_SETTINGS) : env;
    config = loadConfig(own, commandLine.flags);
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof ConfigError)) throw err;
    const command = err instanceof UsageError && err.command !== undefined ? ` ${err.command}` : "";
    printText("stderr", `pmcollect${command}: ${err.message}`);
    return 2;
  }
  // Commands that print results keep stdout for them and log to stderr.
  const logStream = ["run", "simulate"].includes(commandLine.command) ? "stdout" : "stderr";
  const log = createLogger({}, {
    level: config.logLevel,
    write: (line) => printText(logStream, line),
  });
  const root = new AbortController();
  const disposeShutdown = installShutdown({
    controller: root,
    log,
    deadlineMs: config.shutdownDeadlineMs,
  });
  try {
    const program = versionText(readBuildCommit(env));
    return await dispatch(commandLine, config, log, root.signal, program);
  } catch (err) {
    if (root.signal.aborted && err === root.signal.reason) {
      log.info("interrupted", { command: commandLine.command });
      return commandLine.command === "run" ? 0 : 1;
    }
    if (err instanceof ConfigError) {
      printText("stderr", `pmcollect: ${err.message}`);
      return 2;
    }
    log.error("command_failed", { command: commandLine.command, error: err });
    printText("stderr", `pmcollect: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    disposeShutdown();
  }
}

async function dispatch(
  commandLine: CommandLine,
  config: Config,
  log: Logger,
  signal: AbortSignal,
  program: string,
): Promise<number> {
  const write = (line: string) => printText("stdout", line);
  switch (commandLine.command) {
    case "run":
      log.info("config", describeConfig(config));
      return await runRunCommand(config, {
        log,
        signal,
        live: commandLine.args.includes("--live"),
      });
    case "migrate":
      log.info("config", describeConfig(config));
      return await runMigrateCommand(config, { log, signal, write, status: commandLine.status });
    case "status":
      return await runStatusCommand(config, {
        log,
        signal,
        write,
        quality: commandLine.args.includes("--quality"),
      });
    case "backfill":
      return await runBackfillCommand(config, { log, signal, write, args: commandLine.args });
    case "edge":
      return await runEdgeCommand(config, { log, signal, write, args: commandLine.args });
    case "backtest":
      return await runBacktestCommand(config, { log, signal, write, args: commandLine.args });
    case "paper":
      return await runPaperCommand(config, { log, signal, write, args: commandLine.args });
    case "report":
      return await runReportCommand(config, { log, signal, write, args: commandLine.args });
    case "export":
      return await runExportCommand(config, {
        log,
        signal,
        write,
        args: commandLine.args,
        program,
      });
    case "relations":
      return await runRelationsCommand(config, {
        log,
        signal,
        write,
        args: commandLine.args,
        lines: readLines(Deno.stdin.readable),
      });
    case "book":
      return await runBookCommand(config, { log, signal, write, args: commandLine.args });
    case "replay":
      return await runReplayCommand(config, { log, signal, write, args: commandLine.args });
    case "dataset":
      return await runDatasetCommand(config, { log, signal, write, args: commandLine.args });
    case "model":
      return await runModelCommand(config, { log, signal, write, args: commandLine.args });
    case "forecast":
      return await runForecastCommand(config, { log, signal, write, args: commandLine.args });
    case "orders":
      return await runOrdersCommand(config, { log, signal, write, args: commandLine.args });
    case "positions":
      return await runPositionsCommand(config, { log, signal, write, args: commandLine.args });
    case "resume":
      return await runResumeCommand(config, { log, signal, write, args: commandLine.args });
    case "kill":
      return await runKillCommand(config, { log, signal, write, args: commandLine.args });
    case "inspect": {
      const [file = "-"] = commandLine.args;
      let text: string;
      try {
        text = file === "-"
          ? await new Response(Deno.stdin.readable).text()
          : await Deno.readTextFile(file);
      } catch (err) {
        printText("stderr", `pmcollect: cannot read ${file}: ${(err as Error).message}`);
        return 2;
      }
      return runInspect(text, { write, receivedAt: Date.now() });
    }
    case "simulate":
      try {
        await runSimulateCommand([...commandLine.args], { signal, log, write });
        return 0;
      } catch (err) {
        if (!isParseArgsError(err) && !(err instanceof SimulateUsageError)) throw err;
        printText("stderr", `pmcollect simulate: ${err.message.replace(/\s*\n\s*/g, " ")}`);
        return 2;
      }
    case "key":
      return await runKeyCommand([...commandLine.args], {
        log: (line) => printText("stderr", line),
      });
    default:
      throw new TypeError(`Unhandled command ${commandLine.command}`);
  }
}

/** node:util parseArgs errors (unknown option, missing value) are usage errors. */
function isParseArgsError(err: unknown): err is TypeError {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof TypeError && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/** The settings `simulate` reads (log level, shutdown deadline). */
const SIMULATE_SETTINGS = ["PMCOLLECT_LOG_LEVEL", "PMCOLLECT_SHUTDOWN_DEADLINE_S"];

function pick(
  env: Readonly<Record<string, string>>,
  keys: readonly string[],
): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
}

function print(text: string): number {
  printText("stdout", text);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
