/**
 * What every subcommand does with the options `parseCommandLine` handed on in `args`: parse
 * them strictly (node:util's errors become a UsageError), and on bad usage print
 * `pmcollect <command>: <message>` to stderr so the command exits with code 2.
 *
 * @example
 * ```ts
 * import { parseOwnOptions, parseOrReport } from "./_own_options.ts";
 * const values = parseOwnOptions(args, { options: EDGE_OPTIONS }).values; // in parseEdgeArgs
 * const args = parseOrReport("edge", parseEdgeArgs, context.args); // in runEdgeCommand
 * if (args === null) return 2;
 * ```
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { printText } from "../runtime/log.ts";
import { UsageError } from "./command_line.ts";

/** `parseArgs` in strict mode. @throws {UsageError} for an unknown option or a missing value. */
export function parseOwnOptions<T extends Omit<ParseArgsConfig, "args">>(
  args: readonly string[],
  config: T,
) {
  try {
    return parseArgs({ ...config, args: [...args], strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * `parse(args)`, or null once a UsageError has been printed as `pmcollect <command>: …` (the
 * caller returns exit code 2). Any other error is rethrown.
 */
export function parseOrReport<T>(
  command: string,
  parse: (args: readonly string[]) => T,
  args: readonly string[],
): T | null {
  try {
    return parse(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    printText("stderr", `pmcollect ${command}: ${err.message}`);
    return null;
  }
}
