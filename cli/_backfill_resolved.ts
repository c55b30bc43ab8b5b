/**
 * `pmcollect backfill --resolved --since DATE`: the closed markets that ended since DATE, their
 * resolutions and every token's price history (`backfill/resolved.ts`). `--dry-run` walks the
 * Gamma listing only (its pages are requests too), stores nothing and prints the requests per
 * endpoint and the time they take under the backfill's budgets; otherwise a progress line per
 * listing page, then a progress bar (terminal) or JSON progress lines over the price requests,
 * and a summary with what the venue no longer serves.
 *
 * @example
 * ```sh
 * pmcollect backfill --resolved --since 2026-01-01 --dry-run
 * pmcollect backfill --resolved --since 2026-01-01 --fidelity 60
 * ```
 */
import { createVenueHttp, openConfiguredDatabase, schemaIsCurrent } from "./_connect.ts";
import type { Config } from "../runtime/config.ts";
import { backfillBudgets } from "../backfill/estimate.ts";
import {
  createProgressReporter,
  formatDuration,
  type ProgressOutcome,
  type ProgressReporter,
} from "../backfill/progress.ts";
import { estimateResolved, runResolvedBackfill } from "../backfill/resolved.ts";
import { loadResolvedCatalog } from "../backfill/resolved_catalog.ts";
import type { CommandContext } from "./migrate_command.ts";

const CONCURRENCY = 4;
const PAGE_SIZE = 500;

/** The options `backfill --resolved` reads. */
export interface ResolvedArgs {
  since: Date;
  until?: Date;
  fidelityMinutes: number;
  dryRun: boolean;
}

/** Runs `backfill --resolved`; returns the exit code. */
export async function runResolvedCommand(
  config: Config,
  context: CommandContext,
  args: ResolvedArgs,
): Promise<number> {
  const { log, signal, write } = context;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    if (!await schemaIsCurrent(db.sql, write)) return 1;
    const budgets = backfillBudgets(config.api.rateFraction);
    const http = createVenueHttp(config, { log, budgets });
    const range = { since: args.since, until: args.until ?? null };
    const base = { ...range, fidelityMinutes: args.fidelityMinutes, pageSize: PAGE_SIZE };
    const listingLine = (p: { pages: number; markets: number; tokens: number }) =>
      write(`listing: page ${p.pages}, ${p.markets} closed markets, ${p.tokens} tokens`);
    if (args.dryRun) {
      const listing = await loadResolvedCatalog(
        { sql: db.sql, http },
        { ...base, dryRun: true, onPage: listingLine },
        signal,
      );
      const e = estimateResolved(listing, { budgets, concurrency: CONCURRENCY });
      write(
        `closed markets: ${listing.markets}, tokens: ${listing.tokens} ` +
          `(${listing.tokensDone} histories already stored)`,
      );
      write(
        `requests: gamma:markets ${e.listingRequests} (budget ${
          budgets["gamma:markets"].limit
        }/10 s), gamma:events ≤ ${e.eventRequests}, clob:prices-history ${e.priceRequests} ` +
          `(budget ${budgets["clob:prices-history"].limit}/10 s)`,
      );
      write(`estimated duration: ${formatDuration(e.durationMs / 1000)}`);
      return 0;
    }
    const encoder = new TextEncoder();
    // Created at the first price request, when the number of requests is known.
    const bar: { reporter: ProgressReporter | null } = { reporter: null };
    let outcome: ProgressOutcome = "failed";
    try {
      const result = await runResolvedBackfill(
        { sql: db.sql, http, log },
        {
          ...base,
          concurrency: CONCURRENCY,
          onListing: listingLine,
          onProgress: (p) => {
            bar.reporter ??= createProgressReporter({
              terminal: Deno.stdout.isTerminal(),
              totalRequests: p.units,
              write: (text) => Deno.stdout.writeSync(encoder.encode(text)),
            });
            bar.reporter.update(p);
          },
        },
        signal,
      );
      outcome = "done";
      bar.reporter?.finish(outcome);
      bar.reporter = null;
      write(
        `done: ${result.listing.markets} closed markets listed (${result.listing.rows} catalog ` +
          `rows written), ${result.prices.requests} price histories, ${result.prices.rows} ` +
          `price points; the venue serves no history for ${result.noHistory} tokens and a ` +
          `coarser one for ${result.coarse} (recorded in gaps, collector "history"); ` +
          `${result.failed} failed, in ${formatDuration(result.durationMs / 1000)}`,
      );
      return result.failed > 0 ? 1 : 0;
    } catch (err) {
      if (signal.aborted) outcome = "interrupted";
      throw err;
    } finally {
      bar.reporter?.finish(outcome);
    }
  } finally {
    await db.close(5);
  }
}
