/**
 * `pmcollect edge (--event ID | --relation KEY) [--at ISO-TIME] [--json] [--convert-fee-bips N]
 * [--rest-max-age-ms N]`: the best plan per channel on the books at the instant (now, or
 * `--at`), priced exactly by `edge/` with each market's fee schedule in force at that instant,
 * plus book alarms. Which markets may be traded and on which book is `tradability/at.ts`'s
 * answer: a closed, resolved or not-accepting market is never priced; a book is the recorded
 * stream's, or a REST snapshot at most `--rest-max-age-ms` old (default 360,000: the snapshot
 * cadence plus a minute), labelled as such. An event's neg-risk group is priced only when the relation registry's
 * partition is confirmed and complete; every confirmed implication chain inside the event is
 * priced pair by pair (`--relation` prices one confirmed relation across events). Paper only:
 * nothing is sent anywhere. With `--json`, one JSON array: one object per channel evaluated,
 * then one per data alarm.
 *
 * @example
 * ```sh
 * pmcollect edge --event 903193 --json --convert-fee-bips 0
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { readEventEdge, readRelationEdge } from "./_edge_subjects.ts";
import { EDGE_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Queryable } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { evaluateEvent } from "../edge/evaluate.ts";
import { loadSolver } from "../edge/lp.ts";
import { parseRules } from "../edge/legs.ts";
import { POLYMARKET_RULES } from "../edge/market.ts";
import { channelJson } from "../edge/plan.ts";
import { evaluateImplication } from "../edge/ladder.ts";

export interface EdgeArgs {
  /** `--event ID`, or null with `--relation`. */
  readonly eventId: string | null;
  /** `--relation KEY`: one confirmed relation, across events. */
  readonly relation: string | null;
  readonly at: Date | null;
  readonly json: boolean;
  readonly convertFeeBips: number | null;
  /** The oldest REST snapshot that may stand in for a book the stream does not cover. */
  readonly restMaxAgeMs: number;
}

/** `--rest-max-age-ms` by default: the REST books cadence (5 minutes) plus a minute. */
export const REST_MAX_AGE_MS = 360_000;

/** Parses the options `parseCommandLine` handed on. @throws {UsageError} */
export function parseEdgeArgs(args: readonly string[]): EdgeArgs {
  const { values } = parseOwnOptions(args, { options: EDGE_OPTIONS });
  const event = values.event === "" ? undefined : values.event;
  const relation = values.relation === "" ? undefined : values.relation;
  if ((event === undefined) === (relation === undefined)) {
    throw new UsageError("edge needs --event ID or --relation KEY (one of them)");
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
  const ageText = values["rest-max-age-ms"];
  const restMaxAgeMs = ageText === undefined ? REST_MAX_AGE_MS : Number(ageText);
  if (!Number.isInteger(restMaxAgeMs) || restMaxAgeMs < 0) {
    throw new UsageError(`--rest-max-age-ms must be a whole number ≥ 0, got "${ageText}"`);
  }
  return {
    eventId: event ?? null,
    relation: relation ?? null,
    at,
    json: values.json === true,
    convertFeeBips: bips,
    restMaxAgeMs,
  };
}

/** Prints the plans; 0 when the event was found, 1 when it is unknown, 2 on bad usage. */
export async function runEdgeCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[]; readonly now?: () => Date },
): Promise<number> {
  const { log, signal } = context;
  const args = parseOrReport("edge", parseEdgeArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 1 });
  try {
    return await printEdge(db.sql, args, context);
  } finally {
    await db.close();
  }
}

/** Evaluates and prints one event (or relation); 0, or 1 when it is unknown. */
export async function printEdge(
  sql: Queryable,
  args: EdgeArgs,
  context: Pick<CommandContext, "log" | "write"> & { readonly now?: () => Date },
): Promise<number> {
  const { log, write } = context;
  const asOf = args.at ?? (context.now?.() ?? new Date());
  const subject = args.relation === null ? `event ${args.eventId}` : `relation ${args.relation}`;
  const instant = { at: asOf, maxRestAgeMs: args.restMaxAgeMs };
  const inputs = args.relation === null
    ? await readEventEdge(sql, args.eventId!, instant)
    : await readRelationEdge(sql, args.relation, instant);
  if (inputs === null) {
    const hint = args.relation === null
      ? ""
      : " (relations come from the registry: pmcollect relations refreshes it)";
    write(args.json ? "[]" : `${subject}: not found${hint}`);
    return 1;
  }
  const solver = await loadSolver();
  const evaluation = { rules: parseRules(POLYMARKET_RULES), asOf: asOf.toISOString(), solver };
  const groups = inputs.group === null ? [] : [{
    groupId: inputs.group.groupId,
    complete: inputs.group.complete,
    convertFeeBips: args.convertFeeBips,
    markets: inputs.group.markets,
  }];
  const { results, alarms } = evaluateEvent({
    groups,
    implications: [],
    markets: inputs.markets,
  }, evaluation);
  const books = {
    booksFrom: inputs.booksFrom?.toISOString() ?? null,
    booksTo: inputs.booksTo?.toISOString() ?? null,
    books: inputs.books.map((b) => ({
      token: b.tokenId,
      source: b.source,
      since: b.since?.toISOString() ?? null,
      ageMs: b.ageMs,
      ...(b.reason === null ? {} : { note: b.reason }),
    })),
  };
  for (const alarm of alarms) log.warn("edge_data_alarm", { ...alarm });
  const why = inputs.group?.reason;
  const objects = [
    ...results.map((result) => ({
      ...channelJson(result),
      ...(result.complete || why == null ? {} : { reason: `${result.reason}: ${why}` }),
      relation: inputs.group?.relationKey ?? null,
      ...books,
    })),
    ...inputs.pairs.map((pair) => ({
      ...channelJson(
        pair.input === null
          ? {
            channel: "implication",
            subject: pair.subject,
            complete: true,
            plan: null,
            reason: pair.reason!,
          }
          : evaluateImplication(pair.input, evaluation),
      ),
      relation: pair.relationKey,
      ...books,
    })),
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
  const sources = [...new Set(inputs.books.map((b) => b.source))].join(", ") || "none";
  write(
    `${subject} as of ${asOf.toISOString()}, books ${books.booksFrom} … ${books.booksTo} ` +
      `(${sources})`,
  );
  if (inputs.group === null && inputs.pairs.length === 0) {
    write("no neg-risk group and no confirmed implication: no channel applies");
  }
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
