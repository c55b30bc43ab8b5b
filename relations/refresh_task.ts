/**
 * `runRelationsRefresh`: the relation registry keeps itself fresh, as the daemon's supervised
 * task "relations". It refreshes the structural relations (`refreshRelations`: partitions,
 * ladders, games) once when it starts, soon after the catalog changes, and at least every
 * PMCOLLECT_RELATIONS_REFRESH_S (an hour by default), so the scanner has relations on a fresh
 * install without anyone running `pmcollect relations`. Reviewers' decisions survive every
 * refresh (the registry's status rules). Lexical proposals are left to `pmcollect relations`:
 * they are for a reviewer, and comparing questions across every event is 1.4 s of synchronous
 * work on the simulator's full universe (42,241 markets) that would stall the listener's event
 * loop; deriving the structure is 0.1 s there, and a whole refresh 1.9 s (2.4 s when it writes
 * all 3,541 relations), almost all of it waiting on the database.
 *
 * The change signal is one cheap query every `pollMs` (30 s): a fingerprint of what relations
 * are derived from, namely how many markets and tokens there are, the newest market's
 * `first_seen_at`, the newest event change and the newest `market_metadata_history` version
 * (neg-risk structure, question index, rules hash, dates). `markets.updated_at` is not in it:
 * it moves with every volume change. A fingerprint that differs from the last refresh's and
 * has held still for one poll (the markets cycle that changed it is over) starts a refresh;
 * one that keeps moving is refreshed anyway once it has been pending `maxDeferMs` (5 min).
 * While the last refresh derived nothing (a fresh install whose first markets cycles are still
 * filling the catalog), any change is refreshed at the next poll: waiting for the catalog to
 * hold still kept the full-universe scanner without relations for 5.5 minutes.
 *
 * Each refresh logs one `relations_refreshed` line (why, derived, proposed, written, the
 * registry's counts by status, durationMs), reports the same on /healthz, and bumps `notice`,
 * which the scanner watches to reload its relations at once instead of within the minute.
 * While the database is away the task says so once (`relations_db_down`) and polls on.
 *
 * @example
 * ```ts ignore
 * import { RefreshNotice, runRelationsRefresh } from "./refresh_task.ts";
 * const notice = new RefreshNotice();
 * await runRelationsRefresh({ sql, log, intervalMs: 3_600_000, notice }, signal);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectionError, type Queryable } from "../db/client.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import type { RelationStatus } from "./derive.ts";
import { countRelationsByStatus, refreshRelations } from "./registry.ts";

export const CATALOG_POLL_MS = 30_000;
export const MAX_DEFER_MS = 5 * 60_000;
const STATUSES: readonly RelationStatus[] = [
  "confirmed",
  "incomplete",
  "proposed",
  "stale",
  "rejected",
];

/** Counts refreshes that wrote something; the scanner reloads when it moves. */
export class RefreshNotice {
  #generation = 0;

  /** How many refreshes have changed the registry since the process started. */
  get generation(): number {
    return this.#generation;
  }

  /** Called by the task after a refresh that wrote rows. */
  bump(): void {
    this.#generation += 1;
  }
}

/** Why a refresh ran. */
export type RefreshReason = "start" | "catalog_changed" | "schedule";

/** What one refresh did, as logged and reported. */
export interface RefreshOutcome {
  readonly reason: RefreshReason;
  readonly derived: number;
  readonly proposed: number;
  readonly written: number;
  readonly byStatus: Partial<Record<RelationStatus, number>>;
  readonly durationMs: number;
}

export interface RelationsRefreshDeps {
  readonly sql: Queryable;
  readonly log: Logger;
  /** Longest time between two refreshes (PMCOLLECT_RELATIONS_REFRESH_S). */
  readonly intervalMs: number;
  readonly context?: TaskContext;
  readonly notice?: RefreshNotice;
  readonly now?: () => number;
  /** Between two reads of the catalog's fingerprint (default 30 s). */
  readonly pollMs?: number;
  /** A change still moving after this long is refreshed anyway (default 5 min). */
  readonly maxDeferMs?: number;
  /** Called after each refresh (tests wait on it). */
  readonly onRefreshed?: (outcome: RefreshOutcome) => void;
}

/** Runs until `signal` aborts; rethrows `signal.reason`. */
export async function runRelationsRefresh(
  deps: RelationsRefreshDeps,
  signal: AbortSignal,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const maxDeferMs = deps.maxDeferMs ?? MAX_DEFER_MS;
  let refreshed: { print: string; at: number; derived: number } | null = null;
  let previous: string | null = null;
  let pendingSince: number | null = null;
  let down = false;
  while (true) {
    signal.throwIfAborted();
    try {
      const print = await catalogFingerprint(deps.sql);
      if (down) deps.log.info("relations_db_back", {});
      down = false;
      const t = now();
      let reason: RefreshReason | null = null;
      if (refreshed === null) reason = "start";
      else if (print !== refreshed.print) {
        pendingSince ??= t;
        const settled = print === previous || t - pendingSince >= maxDeferMs;
        if (settled || refreshed.derived === 0) reason = "catalog_changed";
      } else pendingSince = null;
      if (reason === null && refreshed !== null && t - refreshed.at >= deps.intervalMs) {
        reason = "schedule";
      }
      previous = print;
      if (reason !== null) {
        const { derived } = await refreshOnce(deps, reason);
        refreshed = { print, at: now(), derived };
        pendingSince = null;
      }
    } catch (err) {
      // The database is away: say so once per outage and poll on (a refresh it interrupted
      // runs again at the next poll); only other errors crash the task.
      if (!isConnectionError(err)) throw err;
      if (!down) deps.log.warn("relations_db_down", { error: String(err) });
      down = true;
    }
    await sleep(deps.pollMs ?? CATALOG_POLL_MS, undefined, { signal });
  }
}

/** One refresh: derive, store, count, then log, report and notify. */
export async function refreshOnce(
  deps: RelationsRefreshDeps,
  reason: RefreshReason,
): Promise<RefreshOutcome> {
  const started = performance.now();
  const { derived, proposed, written } = await refreshRelations(deps.sql, { proposals: false });
  const byStatus = await countRelationsByStatus(deps.sql);
  const durationMs = Math.round(performance.now() - started);
  const outcome: RefreshOutcome = { reason, derived, proposed, written, byStatus, durationMs };
  deps.log.info("relations_refreshed", { ...outcome });
  const ctx = deps.context;
  ctx?.counter("relations_refreshes_total");
  ctx?.observe("relations_refresh_duration_seconds", durationMs / 1000);
  for (const status of STATUSES) ctx?.gauge(`relations_${status}`, byStatus[status] ?? 0);
  ctx?.report({
    lastSuccessAt: new Date(deps.now?.() ?? Date.now()).toISOString(),
    ...outcome,
  });
  if (written > 0) deps.notice?.bump();
  deps.onRefreshed?.(outcome);
  return outcome;
}

/**
 * What relations are derived from, as one string: equal strings mean nothing a refresh reads
 * has changed in a way it could see (see the module comment for what is left out and why).
 */
export async function catalogFingerprint(sql: Queryable): Promise<string> {
  const [row] = await sql<{ print: string }[]>`
    select concat_ws('|',
      (select count(*) from markets),
      (select max(first_seen_at) from markets),
      (select count(*) from tokens),
      (select max(updated_at) from events),
      (select max(valid_from) from market_metadata_history)) as print`;
  return row?.print ?? "";
}
