/**
 * `pmcollect backfill`: fills recorded gaps (and, with `--since`, history before the first
 * live data) from CLOB `/prices-history` and the Data API, within its own share of the rate
 * budgets. `--dry-run` prints the requests per endpoint and the time they take; otherwise a
 * progress bar (terminal) or JSON progress lines (pipe) run until done or Ctrl-C, and a rerun
 * resumes from the checkpoints.
 *
 * @example
 * ```sh
 * pmcollect backfill --gaps-only --dry-run
 * pmcollect backfill --since 2026-01-01 --markets 0xabc…,12345
 * pmcollect backfill --resolved --since 2026-01-01 --dry-run
 * ```
 */
import { createVenueHttp, openConfiguredDatabase, schemaIsCurrent } from "./_connect.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { backfillBudgets, estimateBackfill } from "../backfill/estimate.ts";
import { planBackfill } from "../backfill/plan.ts";
import {
  createProgressReporter,
  formatDuration,
  type ProgressOutcome,
} from "../backfill/progress.ts";
import { type BackfillResult, runBackfill } from "../backfill/run.ts";
import { BACKFILL_OPTIONS, UsageError } from "./command_line.ts";
import type { CommandContext } from "./migrate_command.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import { runResolvedCommand } from "./_backfill_resolved.ts";

/** Data API trades still being indexed are left for the next run: `--until` defaults to now − 2 min. */
const SETTLE_MS = 120_000;
const CONCURRENCY = 4;
const PAGE_SIZE = 1000;
/** YYYY-MM-DD, optionally with a time and a zone; anything else is refused. */
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parsed `backfill` options. */
export interface BackfillArgs {
  since?: Date;
  until?: Date;
  markets: string[];
  events: string[];
  tag?: string;
  gapsOnly: boolean;
  dryRun: boolean;
  /** `--resolved`: closed markets, their resolutions and price histories (needs --since). */
  resolved: boolean;
  /** `--fidelity` in minutes (`--resolved` only; default 60). */
  fidelityMinutes: number;
}

/** Parses the options `parseCommandLine` handed on. @throws {UsageError} */
export function parseBackfillArgs(args: readonly string[]): BackfillArgs {
  const { values } = parseOwnOptions(args, { options: BACKFILL_OPTIONS });
  const date = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    // Date.parse alone takes "1" for 2001-01-01 (two million requests of history).
    const ms = ISO_DATE.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) {
      throw new UsageError(
        `--${name} must be an ISO date (2026-01-01 or 2026-01-01T12:00:00Z), got "${text}"`,
      );
    }
    return new Date(ms);
  };
  const list = (text: string | undefined) =>
    (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const parsed: BackfillArgs = {
    since: date("since", values.since),
    until: date("until", values.until),
    markets: list(values.markets),
    events: list(values.events),
    tag: values.tag,
    gapsOnly: values["gaps-only"] === true,
    dryRun: values["dry-run"] === true,
    resolved: values.resolved === true,
    fidelityMinutes: fidelity(values.fidelity),
  };
  if (parsed.since && parsed.until && parsed.since >= parsed.until) {
    throw new UsageError("--since must be before --until");
  }
  if (values.fidelity !== undefined && !parsed.resolved) {
    throw new UsageError("--fidelity goes with --resolved");
  }
  if (parsed.resolved) {
    if (parsed.since === undefined) throw new UsageError("--resolved needs --since");
    const other = parsed.gapsOnly
      ? "--gaps-only"
      : parsed.markets.length > 0
      ? "--markets"
      : parsed.events.length > 0
      ? "--events"
      : parsed.tag !== undefined
      ? "--tag"
      : null;
    if (other !== null) throw new UsageError(`--resolved cannot be combined with ${other}`);
  }
  return parsed;
}

function fidelity(text: string | undefined): number {
  if (text === undefined) return 60;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 1440)) {
    throw new UsageError(`--fidelity must be whole minutes from 1 to 1440, got "${text}"`);
  }
  return n;
}

/** Runs the command; returns the exit code (2 for bad options). */
export async function runBackfillCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("backfill", parseBackfillArgs, context.args);
  if (args === null) return 2;
  if (args.resolved && args.since !== undefined) {
    return await runResolvedCommand(config, context, { ...args, since: args.since });
  }
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    if (!await schemaIsCurrent(db.sql, write)) return 1;
    const budgets = backfillBudgets(config.api.rateFraction);
    const http = createVenueHttp(config, { log, budgets });
    const now = new Date();
    const plan = await planBackfill(db.sql, {
      ...args,
      until: args.until ?? new Date(now.getTime() - SETTLE_MS),
      http,
      signal,
      now,
    });
    const estimate = estimateBackfill(plan, {
      budgets,
      concurrency: CONCURRENCY,
      pageSize: PAGE_SIZE,
    });
    const { prices, trades, alreadyDone } = estimate.windows;
    write(
      `windows: ${prices} price, ${trades} trade (${alreadyDone} already done); gaps: ${plan.gaps.length}`,
    );
    if (plan.unknownMarkets.length > 0) {
      write(`not in the catalog (skipped): ${plan.unknownMarkets.join(", ")}`);
    }
    if (plan.unknownEvents.length > 0) {
      write(`events with no market in the catalog (skipped): ${plan.unknownEvents.join(", ")}`);
    }
    if (plan.tagMarkets === 0) write(`--tag ${args.tag}: Gamma lists no market with this tag`);
    if (plan.selectedNothing) {
      printText("stderr", "pmcollect backfill: the selection matched no market; nothing to do");
      return 2;
    }
    for (const s of plan.skipped) {
      write(`skipped gap ${s.collector}/${s.scope} (${s.cause}): ${s.why}`);
    }
    write(
      `requests: clob:prices-history ${estimate.requests["clob:prices-history"]} ` +
        `(budget ${budgets["clob:prices-history"].limit}/10 s), data:trades ` +
        `${estimate.requests["data:trades"]} (budget ${budgets["data:trades"].limit}/10 s)`,
    );
    write(`estimated duration: ${formatDuration(estimate.durationMs / 1000)}`);
    if (args.dryRun) return 0;
    const terminal = Deno.stdout.isTerminal();
    const encoder = new TextEncoder();
    const progress = createProgressReporter({
      terminal,
      totalRequests: estimate.requests["clob:prices-history"] + estimate.requests["data:trades"],
      write: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    });
    let outcome: ProgressOutcome = "failed";
    let result: BackfillResult;
    try {
      result = await runBackfill(
        {
          sql: db.sql,
          http,
          log,
          concurrency: CONCURRENCY,
          pageSize: PAGE_SIZE,
          onProgress: (p) => progress.update(p),
        },
        plan,
        signal,
      );
      outcome = "done";
    } catch (err) {
      if (signal.aborted) outcome = "interrupted";
      throw err;
    } finally {
      progress.finish(outcome);
    }
    write(
      `done: ${result.requests} requests, ${result.rowsByKind.prices} price points, ` +
        `${result.rowsByKind.trades} trades (${result.tradesAlreadyStored} more already stored), ` +
        `${result.gapsMarked} gaps marked backfilled, ` +
        `${result.failedUnits} failed, in ${formatDuration(result.durationMs / 1000)}`,
    );
    if (result.truncatedMarkets.length > 0) {
      write(
        `v1 offset cap reached (older trades unavailable): ${result.truncatedMarkets.join(", ")}`,
      );
    }
    return result.failedUnits > 0 ? 1 : 0;
  } finally {
    await db.close(5);
  }
}
