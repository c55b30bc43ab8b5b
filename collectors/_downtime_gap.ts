/**
 * The websocket stream has no memory across processes: whatever happened between the newest
 * trade an earlier run stored and this start was not listened to (a SIGKILL also loses the
 * trades still queued in memory). `recordTradesDowntime` records that interval as one `trades`
 * gap over every token (scope "*", cause "downtime"), so a restart leaves a trace just like a
 * dropped socket does. It ends at `startedAt`; coverage resumes with each subscription snapshot.
 *
 * @example
 * ```ts ignore
 * import { recordTradesDowntime } from "./_downtime_gap.ts";
 * void recordTradesDowntime(deps, new Date(deps.now()));
 * ```
 */
import { type GapRow, recordGaps } from "../db/ops.ts";
import type { CollectorDeps } from "./_deps.ts";

/**
 * Records [newest websocket trade received before `startedAt`, `startedAt`) as a downtime gap;
 * returns it, or null when nothing was stored before. Never throws: a failure is logged.
 */
export async function recordTradesDowntime(
  deps: Pick<CollectorDeps, "sql" | "log">,
  startedAt: Date,
): Promise<GapRow | null> {
  try {
    // ts is the venue second (indexed), exchange_ts the millisecond the websocket gave.
    const [row] = await deps.sql<{ last: Date | null }[]>`
      select coalesce(exchange_ts, ts) as last from trades
      where ts <= ${startedAt} and received_at < ${startedAt}
      order by ts desc, exchange_ts desc nulls last limit 1`;
    const last = row?.last ?? null;
    if (last === null || last.getTime() >= startedAt.getTime()) return null;
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
