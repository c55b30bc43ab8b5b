/**
 * `pmcollect kill [--reason TEXT] [--by NAME]` (issue 30; execution/kill_switch.ts): halts
 * trading in the database, where it stays across restarts until `pmcollect resume`, then asks
 * the running process (its health port, `POST /kill`) to cancel every open order at once. When
 * no process answers there, a trading process still sees the stored halt at its next poll
 * (250 ms) and cancels then; the command says which happened.
 *
 * @example
 * ```sh
 * pmcollect kill --reason "books look wrong" --by alice
 * ```
 */
import { z } from "zod";
import { openConfiguredDatabase, schemaIsCurrent } from "./_connect.ts";
import { KILL_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import { haltTrading, tradingState } from "../execution/trading_state.ts";

type Context = CommandContext & { readonly args: readonly string[] };

/** How long the running process has to answer `POST /kill`. */
const KILL_REQUEST_TIMEOUT_MS = 3_000;

/** What `POST /kill` answers (execution/kill_switch.ts `KillOutcome`). */
const KILL_ANSWER = z.object({
  canceled: z.number(),
  notCanceled: z.number(),
  cancelError: z.string().nullable(),
  persisted: z.boolean(),
});

/** Halts trading and has the running process cancel; 0 halted, 1 failure, 2 bad usage. */
export async function runKillCommand(config: Config, context: Context): Promise<number> {
  const args = parseOrReport("kill", parseKillArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 1 });
  try {
    if (!(await schemaIsCurrent(db.sql, context.write))) return 1;
    await haltTrading(db.sql, args);
    const state = await tradingState(db.sql);
    context.write(`trading halted since ${state.since.toISOString()}: ${state.reason}`);
  } finally {
    await db.close();
  }
  context.write(await askRunningProcess(config.health.port, args, context.signal));
  return 0;
}

/** `--reason` (default "pmcollect kill") and `--by` (default "cli"). */
export function parseKillArgs(args: readonly string[]): { reason: string; by: string } {
  const values = parseOwnOptions(args, { options: KILL_OPTIONS }).values;
  const reason = values.reason ?? "pmcollect kill";
  const by = values.by ?? "cli";
  if (reason.trim() === "") throw new UsageError("--reason takes a text");
  if (by.trim() === "") throw new UsageError("--by takes a name");
  return { reason, by };
}

async function askRunningProcess(
  port: number,
  body: { reason: string; by: string },
  signal: AbortSignal,
): Promise<string> {
  const later = "a trading process sees the stored halt within 250 ms and cancels its orders";
  if (port === 0) return `the health port is off: ${later}`;
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/kill`, {
      method: "POST",
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(KILL_REQUEST_TIMEOUT_MS)]),
    });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return `no process answered on 127.0.0.1:${port} (${(err as Error).message}): ${later}`;
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return `the process on 127.0.0.1:${port} does not trade: nothing to cancel there`;
  }
  const answer = KILL_ANSWER.safeParse(await response.json().catch(() => null));
  if (!response.ok || !answer.success) {
    return `the process on 127.0.0.1:${port} answered HTTP ${response.status}: ${later}`;
  }
  const { canceled, notCanceled, cancelError } = answer.data;
  return cancelError === null
    ? `the running process canceled ${canceled} open orders (${notCanceled} not canceled)`
    : `the running process could not cancel (${cancelError}); it retries every 5 s while halted`;
}
