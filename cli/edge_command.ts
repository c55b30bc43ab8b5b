/**
 * `pmcollect edge --event ID [--at ISO-TIME] [--json] [--convert-fee-bips N]`: the best plan
 * per channel from the stored books of one event (the latest, or the latest at or before
 * `--at`), priced exactly by `edge/`, plus book alarms. Paper only: nothing is sent anywhere.
 * With `--json`, one JSON array: one object per channel evaluated, then one per data alarm.
 *
 * @example
 * ```sh
 * pmcollect edge --event 903193 --json --convert-fee-bips 0
 * ```
 */
import { parseArgs } from "node:util";
import { openConfiguredDatabase } from "./_connect.ts";
import { readEdgeInputs } from "./_edge_inputs.ts";
import { EDGE_OPTIONS, UsageError } from "./command_line.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Queryable } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { evaluateEvent } from "../edge/evaluate.ts";
import { loadSolver } from "../edge/lp.ts";
import { parseRules } from "../edge/legs.ts";
import { POLYMARKET_RULES } from "../edge/market.ts";
import { channelJson } from "../edge/plan.ts";

export interface EdgeArgs {
  readonly eventId: string;
  readonly at: Date | null;
  readonly json: boolean;
  readonly convertFeeBips: number | null;
}

/** Parses the options `parseCommandLine` handed on. @throws {UsageError} */
export function parseEdgeArgs(args: readonly string[]): EdgeArgs {
  let values;
  try {
    values = parseArgs({ args: [...args], options: EDGE_OPTIONS, strict: true }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (values.event === undefined || values.event === "") {
    throw new UsageError("edge needs --event ID");
  }
  const at = values.at === undefined ? null : new Date(Date.parse(values.at));
  if (at !== null && Number.isNaN(at.getTime())) {
    throw new UsageError(`--at must be an ISO time, got "${values.at}"`);
  }
  const bipsText = values["convert-fee-bips"];
  const bips = bipsText === undefined ? null : Number(bipsText);
  if (bips !== null && (!Number.isInteger(bips) || bips < 0 || bips > 10_000)) {
    throw new UsageError(`--convert-fee-bips must be a whole number 0…10000, got "${bipsText}"`);
  }
  return { eventId: values.event, at, json: values.json === true, convertFeeBips: bips };
}

/** Prints the plans; 0 when the event was found, 1 when it is unknown, 2 on bad usage. */
export async function runEdgeCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[]; readonly now?: () => Date },
): Promise<number> {
  const { log, signal } = context;
  let args: EdgeArgs;
  try {
    args = parseEdgeArgs(context.args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    printText("stderr", `pmcollect edge: ${err.message}`);
    return 2;
  }
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 1 });
  try {
    return await printEdge(db.sql, args, context);
  } finally {
    await db.close();
  }
}

/** Evaluates and prints one event on an open database; 0, or 1 when the event is unknown. */
export async function printEdge(
  sql: Queryable,
  args: EdgeArgs,
  context: Pick<CommandContext, "log" | "write"> & { readonly now?: () => Date },
): Promise<number> {
  const { log, write } = context;
  const asOf = args.at ?? (context.now?.() ?? new Date());
  const inputs = await readEdgeInputs(sql, {
    eventId: args.eventId,
    at: asOf,
    convertFeeBips: args.convertFeeBips,
  });
  if (!inputs.found) {
    write(args.json ? "[]" : `event ${args.eventId}: not found`);
    return 1;
  }
  const solver = await loadSolver();
  const { results, alarms } = evaluateEvent({
    groups: inputs.group === null ? [] : [inputs.group],
    implications: [],
    markets: inputs.markets,
  }, { rules: parseRules(POLYMARKET_RULES), asOf: asOf.toISOString(), solver });
  const books = {
    booksFrom: inputs.booksFrom?.toISOString() ?? null,
    booksTo: inputs.booksTo?.toISOString() ?? null,
  };
  for (const alarm of alarms) log.warn("edge_data_alarm", { ...alarm });
  const objects = [
    ...results.map((result) => ({ ...channelJson(result), ...books })),
    ...alarms.map((alarm) => ({
      channel: "data_alarm",
      subject: alarm.marketId,
      complete: true,
      reason: `${alarm.kind}: ${alarm.detail}`,
      profit: null,
      shares: null,
      cost: null,
      payoff: null,
      legs: [],
      ...books,
    })),
  ];
  if (args.json) {
    write(JSON.stringify(objects));
    return 0;
  }
  write(
    `event ${args.eventId} as of ${asOf.toISOString()}, books ${books.booksFrom} … ${books.booksTo}`,
  );
  if (inputs.group === null) write("not a neg-risk event: no channel applies");
  for (const object of objects) write(describe(object));
  return 0;
}

/** One channel as text: the headline, then one line per leg. */
function describe(object: ReturnType<typeof channelJson>): string {
  const o = object as Record<string, unknown> & { legs: Record<string, unknown>[] };
  if (o.profit === null) return `${o.channel} ${o.subject}: no plan (${o.reason})`;
  const lines = [
    `${o.channel} ${o.subject}: profit ${o.profit} on ${o.shares} shares, cost ${o.cost}, ` +
    `payoff ${o.payoff}, capital ${o.capitalLocked} locked until ${o.lockedUntil}` +
    (o.annualisedReturn === null ? "" : `, annualised ${o.annualisedReturn}`),
    `  path: ${o.path}`,
  ];
  for (const leg of o.legs) {
    lines.push(
      `  BUY ${leg.shares} ${leg.outcome} ${leg.token} avg ${leg.avgPrice} fees ${leg.fees} cost ${leg.cost}`,
    );
  }
  return lines.join("\n");
}
