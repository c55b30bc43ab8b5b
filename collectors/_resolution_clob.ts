/**
 * The tracker's CLOB side: fetch `GET /markets/{condition_id}` for markets without a confirmed
 * winner and turn `tokens[].winner` into verdicts, with a per-market re-check backoff; plus the
 * catalog query for markets still open past their end date.
 *
 * @example
 * ```ts ignore
 * import { checkClobWinners } from "./_resolution_clob.ts";
 * await checkClobWinners(deps, signal, { toClob, verdicts, rejects, stats, observedAt });
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { ResolutionsCycle } from "./resolutions.ts";
import { inferWinner, STRENGTH, type Verdict } from "./infer_winner.ts";
import type { RejectRow } from "../db/ops.ts";
import { fetchClobMarket } from "../polymarket/clob.ts";
import { HttpStatusError, isRetryable, UnexpectedResponseError } from "../polymarket/errors.ts";
import type { Reject } from "../polymarket/batch.ts";
import type { ConditionId } from "../polymarket/ids.ts";

const CLOB_RETRY_MAX_MS = 6 * 3_600_000;
const CLOB_FAILURES_PER_CYCLE = 3;

/** When each market may be asked again after a CLOB answer without a winner. */
export type ClobRetry = Map<string, { atMs: number; misses: number }>;

/** The work and the cycle's accumulators. */
export interface ClobWork {
  toClob: Map<string, string | null>;
  verdicts: Verdict[];
  rejects: RejectRow[];
  stats: ResolutionsCycle;
  observedAt: Date;
  clobPerCycle?: number;
  clobRetry?: ClobRetry;
  intervalMs?: number;
}

/** Fetches CLOB markets for winner flags; one market's failure never stops the others. */
export async function checkClobWinners(
  deps: CollectorDeps,
  signal: AbortSignal,
  w: ClobWork,
): Promise<void> {
  const retry: ClobRetry = w.clobRetry ?? new Map();
  const base = w.intervalMs ?? deps.config.collectors.resolutions.intervalMs;
  const miss = (conditionId: string) => {
    const misses = (retry.get(conditionId)?.misses ?? 0) + 1;
    const delay = Math.min(CLOB_RETRY_MAX_MS, base * 2 ** (misses - 1));
    retry.set(conditionId, { atMs: deps.now() + delay, misses });
  };
  let budget = w.clobPerCycle ?? 100;
  let failuresInRow = 0;
  for (const [conditionId, marketId] of w.toClob) {
    if ((retry.get(conditionId)?.atMs ?? 0) > deps.now()) continue;
    if (budget-- <= 0 || failuresInRow >= CLOB_FAILURES_PER_CYCLE) break;
    w.stats.clobChecked++;
    try {
      const id = conditionId as ConditionId;
      const batch = await fetchClobMarket(deps.http, id, { signal, now: deps.now });
      failuresInRow = 0;
      w.rejects.push(...batch.rejects.map((r) => rejectRow("clob:/markets", r)));
      const found = batch.items.map((market) =>
        inferWinner({ source: "clob", market, observedAt: w.observedAt })
      ).filter((v) => v.status !== "unresolved" && v.conditionId === conditionId);
      if (found.length === 0) miss(conditionId);
      else retry.delete(conditionId);
      for (const v of found) w.verdicts.push({ ...v, marketId: v.marketId ?? marketId });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const known = err instanceof HttpStatusError || err instanceof UnexpectedResponseError;
      if (!known && !isRetryable(err)) throw err;
      w.stats.errors++;
      failuresInRow = err instanceof HttpStatusError && err.status === 404 ? 0 : failuresInRow + 1;
      miss(conditionId);
      deps.log.debug("resolution_clob_failed", { conditionId, error: err });
    }
  }
}

/** Markets the catalog still holds as open after their end date, without a CLOB verdict. */
export async function listOverdueMarkets(
  deps: CollectorDeps,
  now: Date,
  options: { limit: number; retry?: ClobRetry },
) {
  // Markets waiting out a re-check backoff are skipped so they cannot starve the others.
  const waiting = [...options.retry ?? []].filter(([, r]) => r.atMs > +now).map(([id]) => id);
  // TODO(integrator): belongs in db/resolutions.ts as listUnconfirmedOverdueMarkets().
  return await deps.sql<{ condition_id: string; market_id: string }[]>`
    select m.condition_id, m.market_id from markets m
    left join resolutions r on r.condition_id = m.condition_id
    where m.condition_id is not null and m.closed is not true and m.end_date < ${now}
      and (r.strength is null or r.strength < ${STRENGTH.clob})
      and m.condition_id <> all(${deps.sql.array(waiting)}::text[])
    order by m.end_date desc limit ${options.limit}`;
}

/** A parse reject as stored in `rejects` (raw JSON text). */
export function rejectRow(source: string, r: Reject): RejectRow {
  const raw = typeof r.raw === "string" ? r.raw : JSON.stringify(r.raw) ?? String(r.raw);
  return { source, reason: r.reason, path: r.path, raw };
}
