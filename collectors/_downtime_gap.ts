/**
 * The websocket stream has no memory across processes: whatever happens while no process
 * listens is not heard. Both ends of that interval are written to the gap ledger as one
 * `trades` gap over every token (scope "*", cause "downtime"):
 *
 * - **At a clean stop** (`recordTradesStop`, once the queue has flushed): an open-ended row
 *   starting at the last covered instant, the moment the listener stopped minus `IN_FLIGHT_MS`
 *   for fills executed before it and still on their way (`detail.open = true`, `end_at` = the
 *   stop). The interval is in the ledger as soon as it begins; the backfill treats it as
 *   uncovered up to its `--until` and leaves it open.
 * - **At the next start** (`recordTradesDowntime`): the open row is closed at the start (its end
 *   moved there, `detail.open = false`), nothing else is written. Without one (the earlier run
 *   was killed, or its stop could not be written), the row is [newest websocket trade stored −
 *   `CRASH_MARGIN_MS`, start): a SIGKILL also loses the trades still queued in memory, some of
 *   them older than the newest one stored.
 *
 * Coverage resumes with each subscription snapshot.
 *
 * @example
 * ```ts ignore
 * import { recordTradesDowntime, recordTradesStop } from "./_downtime_gap.ts";
 * void recordTradesDowntime(deps, new Date(deps.now()));
 * // … the collector runs until its signal aborts and its queue is flushed …
 * await recordTradesStop(deps, { stoppedAt: new Date(deps.now()), startedAt });
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type GapRow, recordGaps } from "../db/ops.ts";
import type { CollectorDeps } from "./_deps.ts";

/**
 * Fills executed this long before the stop may still be on their way: counted as uncovered.
 * Generous: a backfill fetches the margin again and trade identity drops what is stored, while a
 * fill delivered later than the margin would be lost (1 s lost one in a few hundred under load).
 */
export const IN_FLIGHT_MS = 10_000;
/**
 * After a crash, fills older than the newest stored one may have been lost with the queue: the
 * websocket's connections deliver out of the venue's order by up to a few seconds under load.
 */
export const CRASH_MARGIN_MS = 10_000;
/** A stop that cannot be written within this is left to the next start. */
const STOP_WRITE_TIMEOUT_MS = 5000;

/**
 * Records the open-ended interval after a clean stop at `stoppedAt` (never before the run's
 * `startedAt`); returns it, or null when it could not be written (then the next start records
 * the downtime from the newest stored trade, as after a crash). Never throws.
 */
export async function recordTradesStop(
  deps: Pick<CollectorDeps, "sql" | "log">,
  at: { stoppedAt: Date; startedAt: Date },
): Promise<GapRow | null> {
  const start = Math.max(at.stoppedAt.getTime() - IN_FLIGHT_MS, at.startedAt.getTime());
  const gap: GapRow = {
    collector: "trades",
    scope: "*",
    startAt: new Date(start),
    endAt: at.stoppedAt,
    cause: "downtime",
    detail: { reason: "stopped", open: true },
  };
  const timeout = new AbortController();
  try {
    await Promise.race([
      recordGaps(deps.sql, [gap]),
      sleep(STOP_WRITE_TIMEOUT_MS, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`Cannot record the stop: no answer within ${STOP_WRITE_TIMEOUT_MS} ms`);
      }),
    ]);
    deps.log.info("trades_stop_recorded", { startAt: gap.startAt.toISOString() });
    return gap;
  } catch (err) {
    deps.log.warn("trades_stop_not_recorded", { error: String(err) });
    return null;
  } finally {
    timeout.abort();
  }
}

/**
 * Closes the open interval of the last clean stop at `startedAt`, or (without one) records
 * [newest websocket trade received before `startedAt` − `CRASH_MARGIN_MS`, `startedAt`) as a
 * downtime gap; returns
 * the row, or null when nothing was stored before. Never throws: a failure is logged.
 */
export async function recordTradesDowntime(
  deps: Pick<CollectorDeps, "sql" | "log">,
  startedAt: Date,
): Promise<GapRow | null> {
  try {
    const closed = await closeStop(deps, startedAt);
    if (closed !== null) return closed;
    // ts is the venue second (indexed), exchange_ts the millisecond the websocket gave.
    const [row] = await deps.sql<{ last: Date | null }[]>`
      select coalesce(exchange_ts, ts) as last from trades
      where ts <= ${startedAt} and received_at < ${startedAt}
      order by ts desc, exchange_ts desc nulls last limit 1`;
    const newest = row?.last ?? null;
    if (newest === null || newest.getTime() >= startedAt.getTime()) return null;
    const last = new Date(newest.getTime() - CRASH_MARGIN_MS);
    const gap: GapRow = {
      collector: "trades",
      scope: "*",
      startAt: last,
      endAt: startedAt,
      cause: "downtime",
      detail: { reason: "not listening between runs" },
    };
    await recordGaps(deps.sql, [gap]);
    deps.log.info("trades_downtime_recorded", {
      startAt: last.toISOString(),
      durationMs: startedAt.getTime() - last.getTime(),
    });
    return gap;
  } catch (err) {
    deps.log.warn("trades_downtime_not_recorded", { error: String(err) });
    return null;
  }
}

/** Ends the open stop intervals begun before `startedAt` there; the latest, or null. */
async function closeStop(
  deps: Pick<CollectorDeps, "sql" | "log">,
  startedAt: Date,
): Promise<GapRow | null> {
  const rows = await deps.sql<{ start_at: Date; end_at: Date; detail: Record<string, unknown> }[]>`
    update gaps set end_at = greatest(end_at, ${startedAt}),
                    detail = detail || '{"open": false}'::jsonb
    where collector = 'trades' and scope = '*' and cause = 'downtime'
      and detail @> '{"open": true}'::jsonb and start_at < ${startedAt}
    returning start_at, end_at, detail`;
  const latest = rows.sort((a, b) => b.start_at.getTime() - a.start_at.getTime())[0];
  if (latest === undefined) return null;
  deps.log.info("trades_downtime_recorded", {
    startAt: latest.start_at.toISOString(),
    durationMs: latest.end_at.getTime() - latest.start_at.getTime(),
    stopped: true,
  });
  return {
    collector: "trades",
    scope: "*",
    startAt: latest.start_at,
    endAt: latest.end_at,
    cause: "downtime",
    detail: latest.detail,
  };
}
