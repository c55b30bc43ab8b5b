/**
 * The resolution tracker. Each cycle it turns three kinds of evidence into `resolutions` rows
 * (strength rules live in db/resolutions.ts and collectors/infer_winner.ts):
 * 1. websocket `market_resolved` messages queued in the {@link ResolutionInbox} (strength 3);
 * 2. Gamma closed markets (`closed=true`, end date within `lookbackMs` or later, newest first);
 * 3. CLOB `tokens[].winner` for closed markets without a CLOB/ws-confirmed winner, and for
 *    markets the catalog still holds as open past their end date (strength 2).
 * Between cycles a queued message wakes it at once for an inbox-only cycle.
 *
 * @example
 * ```ts ignore
 * import { runResolutionsCollector } from "./resolutions.ts";
 * import { createResolutionInbox } from "./resolution_inbox.ts";
 * const inbox = createResolutionInbox();
 * await runResolutionsCollector(deps, signal, { inbox });
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CollectorDeps } from "./_deps.ts";
import type { ResolutionInbox } from "./resolution_inbox.ts";
import {
  checkNegRiskEvent,
  inferWinner,
  isStorable,
  STRENGTH,
  type Verdict,
} from "./infer_winner.ts";
import { listResolutions, upsertResolutions } from "../db/resolutions.ts";
import { recordCollectorRun, recordRejects, type RejectRow } from "../db/ops.ts";
import { listMarkets } from "../polymarket/gamma.ts";
import { isRetryable, UnexpectedResponseError } from "../polymarket/errors.ts";
import { isConnectionError } from "../db/client.ts";
import { createOpsOutbox } from "./_ops_outbox.ts";
import {
  checkClobWinners,
  type ClobRetry,
  listOverdueMarkets,
  rejectRow,
} from "./_resolution_clob.ts";

/** Tuning of the tracker; every field has a default. */
export interface ResolutionsOptions {
  /** Where the websocket listener pushes `market_resolved`. */
  inbox?: ResolutionInbox;
  /** Gamma window: closed markets whose end date is at most this old (default 30 days). */
  lookbackMs?: number;
  /** Gamma pages per cycle (default 20) of `pageLimit` markets (default 100). */
  maxPages?: number;
  pageLimit?: number;
  /** CLOB market fetches per cycle (default 100). */
  clobPerCycle?: number;
  /** CLOB re-check schedule kept across cycles (condition id → next check, misses). */
  clobRetry?: ClobRetry;
  /** Only drain the inbox (no Gamma or CLOB requests). */
  inboxOnly?: boolean;
}

/** What one cycle did. */
export interface ResolutionsCycle {
  rowsWritten: number;
  wsMessages: number;
  gammaMarkets: number;
  clobChecked: number;
  errors: number;
  rejects: number;
  verdicts: Record<Verdict["status"], number>;
  negRiskFlags: { negRiskMarketId: string; problem: string; winners: string[] }[];
}

const COLLECTOR = "resolutions";

/** Runs cycles every `config.collectors.resolutions.intervalMs` until `signal` aborts. */
export async function runResolutionsCollector(
  deps: CollectorDeps,
  signal: AbortSignal,
  options: ResolutionsOptions = {},
): Promise<void> {
  const intervalMs = deps.config.collectors.resolutions.intervalMs;
  const clobRetry = options.clobRetry ?? new Map();
  const log = deps.log.child({ task: COLLECTOR });
  const outbox = createOpsOutbox({ ...deps, log }, COLLECTOR);
  for (;;) {
    signal.throwIfAborted();
    const startedAt = new Date(deps.now());
    try {
      await runResolutionsCycle({ ...deps, log }, signal, { ...options, clobRetry, intervalMs });
      await outbox.write([]); // rows kept during an outage, or left by an earlier process
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const down = isRetryable(err) || err instanceof UnexpectedResponseError ||
        isConnectionError(err);
      if (!down) throw err;
      // The venue or the database is down for the whole cycle: record it (through the outbox,
      // which keeps the row while the database is away), stay up, try again next interval.
      const finishedAt = new Date(deps.now());
      await outbox.write([{
        kind: "run",
        row: {
          collector: COLLECTOR,
          startedAt,
          finishedAt,
          status: "failed",
          rowsWritten: 0,
          errors: 1,
          rejects: 0,
          detail: { error: String(err) },
        },
      }]);
      log.warn("resolutions_cycle_failed", { error: err, durationMs: +finishedAt - +startedAt });
      deps.context?.report({ unhealthy: `cycle failed: ${String(err)}` });
      deps.context?.counter("resolution_cycle_failures_total");
    }
    const nextAt = +startedAt + intervalMs;
    for (let left = nextAt - deps.now(); left > 0; left = nextAt - deps.now()) {
      if (options.inbox === undefined) {
        await sleep(left, undefined, { signal }).catch((err) => {
          throw signal.aborted ? signal.reason : err;
        });
        break;
      }
      if (!(await options.inbox.wait(left, signal))) break;
      await runResolutionsCycle({ ...deps, log }, signal, { ...options, inboxOnly: true });
    }
  }
}

/** Runs one cycle: gathers evidence, upserts verdicts, records the run. */
export async function runResolutionsCycle(
  deps: CollectorDeps,
  signal: AbortSignal,
  options: ResolutionsOptions & { intervalMs?: number } = {},
): Promise<ResolutionsCycle> {
  const startedAt = new Date(deps.now());
  const observedAt = startedAt;
  const verdicts: Verdict[] = [];
  const rejects: RejectRow[] = [];
  const stats: ResolutionsCycle = {
    rowsWritten: 0,
    wsMessages: 0,
    gammaMarkets: 0,
    clobChecked: 0,
    errors: 0,
    rejects: 0,
    verdicts: { resolved: 0, ambiguous: 0, unresolved: 0 },
    negRiskFlags: [],
  };
  for (const message of options.inbox?.drain() ?? []) {
    verdicts.push(inferWinner({ source: "ws", message, observedAt }));
    stats.wsMessages++;
  }
  const wsSeen = new Set(verdicts.map((v) => v.conditionId));
  const toClob = new Map<string, string | null>();
  const groups = new Map<string, Verdict[]>();
  if (options.inboxOnly !== true) {
    const filters = {
      closed: true,
      limit: options.pageLimit ?? 100,
      order: "id",
      ascending: false,
      end_date_min: new Date(+startedAt - (options.lookbackMs ?? 30 * 86_400_000)).toISOString(),
    };
    let pages = 0;
    const now = () => new Date(deps.now());
    for await (const page of listMarkets(deps.http, filters, { signal, now })) {
      rejects.push(...page.rejects.map((r) => rejectRow("gamma:/markets/keyset", r)));
      const ids = page.items.flatMap((m) => m.conditionId ?? []);
      const stored = new Map(
        (await listResolutions(deps.sql, ids)).map((r) => [r.conditionId, r.strength]),
      );
      for (const market of page.items) {
        stats.gammaMarkets++;
        const v = inferWinner({ source: "gamma", market, observedAt });
        if (!isStorable(v)) continue;
        verdicts.push(v);
        if (market.negRisk && market.negRiskMarketId !== null) {
          groups.set(market.negRiskMarketId, [...groups.get(market.negRiskMarketId) ?? [], v]);
        }
        const confirmed = (stored.get(v.conditionId) ?? -1) >= STRENGTH.clob;
        if (!confirmed && !wsSeen.has(v.conditionId)) toClob.set(v.conditionId, market.id);
      }
      if (++pages >= (options.maxPages ?? 20)) break;
    }
    const clobPerCycle = options.clobPerCycle ?? 100;
    for (
      const row of await listOverdueMarkets(deps, startedAt, {
        limit: clobPerCycle,
        retry: options.clobRetry,
      })
    ) {
      if (!wsSeen.has(row.condition_id)) toClob.set(row.condition_id, row.market_id);
    }
    await checkClobWinners(deps, signal, {
      ...options,
      toClob,
      verdicts,
      rejects,
      stats,
      observedAt,
    });
  }
  for (const [negRiskMarketId, members] of groups) {
    const check = checkNegRiskEvent(members.filter(isStorable));
    if (check.problem !== null) {
      stats.negRiskFlags.push({ negRiskMarketId, problem: check.problem, winners: check.winners });
    }
  }
  const rows = verdicts.filter(isStorable);
  for (const v of rows) stats.verdicts[v.status]++;
  stats.rowsWritten = await upsertResolutions(deps.sql, rows);
  stats.rejects = rejects.length;
  await recordRejects(deps.sql, rejects);
  const finishedAt = new Date(deps.now());
  const { negRiskFlags, ...counts } = stats;
  await recordCollectorRun(deps.sql, {
    collector: COLLECTOR,
    startedAt,
    finishedAt,
    status: stats.errors > 0 || stats.rejects > 0 ? "partial" : "ok",
    rowsWritten: stats.rowsWritten,
    errors: stats.errors,
    rejects: stats.rejects,
    detail: { ...counts, inboxOnly: options.inboxOnly === true, negRiskFlags: negRiskFlags.length },
  });
  const durationMs = +finishedAt - +startedAt;
  deps.log.info("resolutions_cycle", {
    ...counts,
    inboxOnly: options.inboxOnly === true,
    negRiskFlags: negRiskFlags.slice(0, 5),
    durationMs,
  });
  const ctx = deps.context;
  ctx?.counter("resolutions_written_total", stats.rowsWritten);
  ctx?.counter("resolution_errors_total", stats.errors);
  ctx?.counter("resolution_rejects_total", stats.rejects);
  ctx?.gauge("resolution_inbox_dropped", options.inbox?.dropped ?? 0);
  ctx?.observe("resolution_cycle_seconds", durationMs / 1000);
  ctx?.report({ lastSuccessAt: finishedAt.toISOString(), lastRowsWritten: stats.rowsWritten });
  ctx?.report({ unhealthy: null });
  return stats;
}
