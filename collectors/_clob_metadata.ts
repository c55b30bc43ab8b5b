/**
 * The CLOB side of market metadata: `GET /markets/{condition_id}` for open markets that were
 * never read there (`markets.clob_checked_at` null), a bounded number per markets cycle. The
 * CLOB market is the only source of `is_50_50_outcome`; fee changes come from Gamma's
 * `feeSchedule` on every cycle, so one read per market is enough. A market the CLOB does not
 * know yet (new listings 404 for minutes) is retried on a later cycle.
 *
 * @example
 * ```ts ignore
 * import { readClobMetadata } from "./_clob_metadata.ts";
 * const { changes } = await readClobMetadata(deps, signal);
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { ConditionId } from "../polymarket/ids.ts";
import { fetchClobMarket } from "../polymarket/clob.ts";
import { HttpStatusError } from "../polymarket/errors.ts";
import { recordMarketMetadata } from "../db/market_metadata.ts";
import { metadataFromClob } from "./market_metadata.ts";

/** Markets read from the CLOB per markets cycle (a 50,000-market universe takes 250 cycles). */
export const CLOB_METADATA_PER_CYCLE = 200;

/** `market_metadata_history.source` of CLOB observations. */
export const CLOB_SOURCE = "clob:/markets";

/** What one pass did. */
export interface ClobMetadataResult {
  checked: number;
  changes: number;
  notFound: number;
}

/** Reads up to `CLOB_METADATA_PER_CYCLE` unchecked open markets from the CLOB. */
export async function readClobMetadata(
  deps: CollectorDeps,
  signal: AbortSignal,
): Promise<ClobMetadataResult> {
  const pending = await deps.sql<{ market_id: string; condition_id: string }[]>`
    select market_id, condition_id from markets
    where clob_checked_at is null and active and not closed and condition_id is not null
    order by market_id limit ${CLOB_METADATA_PER_CYCLE}`;
  const result: ClobMetadataResult = { checked: 0, changes: 0, notFound: 0 };
  for (const row of pending) {
    let batch;
    try {
      batch = await fetchClobMarket(deps.http, row.condition_id as ConditionId, {
        signal,
        now: deps.now,
      });
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) {
        result.notFound++;
        continue;
      }
      throw err;
    }
    const market = batch.items[0];
    if (market === undefined || market.conditionId !== row.condition_id) continue;
    const at = new Date(deps.now());
    result.changes += await recordMarketMetadata(deps.sql, [
      metadataFromClob(row.market_id, market),
    ], { at, source: CLOB_SOURCE });
    await deps.sql`update markets set clob_checked_at = ${at.toISOString()}::timestamptz
                   where market_id = ${row.market_id}`;
    result.checked++;
  }
  return result;
}
