/**
 * The ledger's commands (issue 29; execution/ledger_report.ts, execution/trading_state.ts):
 *
 * - `pmcollect orders [--all] [--json]`: open orders and intents whose outcome is unknown
 *   (`--all`: every intent, filled, canceled and rejected too), with their booked fills.
 * - `pmcollect positions [--json]`: what is held, the cost basis, realized and unrealized P&L at
 *   the current best bid (recorded stream, else newest quote), fees, and the cash balance.
 * - `pmcollect resume [--by NAME] [--reason TEXT]`: clears a trading halt (the kill switch, a
 *   reconciliation difference) or reducing mode once a person has looked; prints what was
 *   halted and why.
 *
 * @example
 * ```sh
 * pmcollect positions --json
 * pmcollect resume --by alice
 * ```
 */
import { openConfiguredDatabase, schemaIsCurrent } from "./_connect.ts";
import { LEDGER_OPTIONS, RESUME_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import type { Sql } from "../db/client.ts";
import {
  type LedgerOrder,
  listLedgerOrders,
  listPositions,
  type PositionsReport,
} from "../execution/ledger_report.ts";
import { resumeTrading, tradingState } from "../execution/trading_state.ts";

type Context = CommandContext & { readonly args: readonly string[] };

/** Prints the ledger's orders; 0, or 2 on bad usage. */
export async function runOrdersCommand(config: Config, context: Context): Promise<number> {
  const args = parseOrReport("orders", (a) => parseFlags(a, ["all", "json"]), context.args);
  if (args === null) return 2;
  return await withLedgerDatabase(config, context, async (sql) => {
    const orders = await listLedgerOrders(sql, { openOnly: !args.all });
    for (const line of formatOrders(orders, args.json)) context.write(line);
    return 0;
  });
}

/** Prints the positions and P&L; 0, or 2 on bad usage. */
export async function runPositionsCommand(config: Config, context: Context): Promise<number> {
  const args = parseOrReport("positions", (a) => parseFlags(a, ["json"]), context.args);
  if (args === null) return 2;
  return await withLedgerDatabase(config, context, async (sql) => {
    const report = await listPositions(sql);
    for (const line of formatPositions(report, args.json)) context.write(line);
    return 0;
  });
}

/** Clears a trading halt; 0 when cleared, 1 when trading was not halted, 2 on bad usage. */
export async function runResumeCommand(config: Config, context: Context): Promise<number> {
  const args = parseOrReport("resume", (a) => {
    const parsed = parseOwnOptions(a, { options: RESUME_OPTIONS });
    const name = parsed.values.by ?? "cli";
    if (name.trim() === "") throw new UsageError("--by takes a name");
    return { by: name, reason: parsed.values.reason };
  }, context.args);
  if (args === null) return 2;
  const { by } = args;
  return await withLedgerDatabase(config, context, async (sql) => {
    const state = await tradingState(sql);
    if (!(await resumeTrading(sql, args))) {
      context.write("trading was not halted");
      return 1;
    }
    context.write(
      `trading resumed by ${by} (${state.mode} since ${state.since.toISOString()}: ${state.reason})`,
    );
    return 0;
  });
}

function parseFlags<K extends "all" | "json">(
  args: readonly string[],
  allowed: readonly K[],
): Record<K, boolean> {
  const options = Object.fromEntries(
    allowed.map((k) => [k, LEDGER_OPTIONS[k]]),
  ) as Record<K, { type: "boolean" }>;
  const parsed = parseOwnOptions(args, { options });
  const values = parsed.values as Partial<Record<K, boolean>>;
  return Object.fromEntries(allowed.map((k) => [k, values[k] === true])) as Record<K, boolean>;
}

async function withLedgerDatabase(
  config: Config,
  context: Context,
  fn: (sql: Sql) => Promise<number>,
): Promise<number> {
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 1 });
  try {
    if (!(await schemaIsCurrent(db.sql, context.write))) return 1;
    return await fn(db.sql);
  } finally {
    await db.close();
  }
}

/** The output lines of `orders`. */
export function formatOrders(orders: readonly LedgerOrder[], json: boolean): string[] {
  if (json) return [JSON.stringify(orders)];
  if (orders.length === 0) return ["no orders"];
  const lines = [
    "created                   client id        status     side  type price   size      filled   fees",
  ];
  for (const o of orders) {
    lines.push(
      [
        o.createdAt.padEnd(25),
        o.clientOrderId.padEnd(16),
        o.status.padEnd(10),
        o.side.padEnd(5),
        o.orderType.padEnd(4),
        o.price.padEnd(7),
        o.size.padEnd(9),
        o.filled.padEnd(8),
        o.fees,
      ].join(" ") + (o.error === null ? "" : `  (${o.error})`),
    );
  }
  return lines;
}

/** The output lines of `positions`. */
export function formatPositions(report: PositionsReport, json: boolean): string[] {
  if (json) return [JSON.stringify(report)];
  const lines = report.positions.length === 0 ? ["no positions"] : [
    "token                 size      cost      best bid (source)  unrealized  realized  fees     pnl",
  ];
  for (const p of report.positions) {
    const bid = p.bestBid === null ? "none" : `${p.bestBid} (${p.markSource})`;
    lines.push(
      [
        p.tokenId.padEnd(21),
        p.size.padEnd(9),
        p.cost.padEnd(9),
        bid.padEnd(18),
        (p.unrealized ?? "-").padEnd(11),
        p.realized.padEnd(9),
        p.fees.padEnd(8),
        p.pnl ?? "-",
      ].join(" "),
    );
  }
  lines.push(`cash ${report.cash}`);
  return lines;
}
