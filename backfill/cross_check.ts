/**
 * Trade-capture cross-check: for a sample of markets, trades the websocket caught (rows with
 * a live receive time, whichever source stored them first) against trades the Data API lists
 * for the same interval, as a percentage. 100 % means nothing was lost; less means drops,
 * stalls or outages. The interval ends `lagMs` before now
 * so trades still in flight on either side are not miscounted.
 *
 * @example
 * ```ts ignore
 * import { crossCheckTrades } from "./cross_check.ts";
 * const capture = await crossCheckTrades(sql, http, { now: new Date(), signal });
 * capture.percent; // e.g. 99.8
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { listTrades, listTradesV2 } from "../polymarket/data_api.ts";
import type { DataApiTrade } from "../polymarket/data_api_schema.ts";
import { HttpStatusError, UnexpectedResponseError } from "../polymarket/errors.ts";
import type { HttpClient } from "../polymarket/http.ts";

/** The cross-check result. */
export interface TradeCapture {
  from: Date;
  to: Date;
  markets: { conditionId: string; live: number; venue: number; percent: number | null }[];
  live: number;
  venue: number;
  /** Stored ÷ listed × 100 over the sample; null when the venue listed nothing. */
  percent: number | null;
}

/** Options of {@link crossCheckTrades}. */
export interface CrossCheckOptions {
  now: Date;
  signal: AbortSignal;
  /** Condition ids; default: the `sample` markets with the most live trades. */
  markets?: readonly string[];
  sample?: number;
  /** Interval length; default 1 h. */
  windowMs?: number;
  /** Interval end before now; default 2 min. */
  lagMs?: number;
}

/** Compares stored websocket trades with the Data API for a sample of markets. */
export async function crossCheckTrades(
  sql: Queryable,
  http: HttpClient,
  options: CrossCheckOptions,
): Promise<TradeCapture> {
  const toMs = Math.floor((options.now.getTime() - (options.lagMs ?? 120_000)) / 1000) * 1000;
  const to = new Date(toMs);
  // Nothing before the listener first ran can have been caught live: the interval starts
  // after the second of the first live trade (that second may hold trades from before the
  // subscription), or the capture of a new database reads as a loss.
  const [first] = await sql<{ ts: Date }[]>`
    select ts from trades where received_at is not null order by ts limit 1`;
  const start = Math.max(toMs - (options.windowMs ?? 3_600_000), (first?.ts.getTime() ?? 0) + 1000);
  const from = new Date(Math.min(start, toMs));
  const live = await sql<{ condition_id: string; n: string }[]>`
    select coalesce(tr.condition_id, tk.condition_id) as condition_id, count(*) as n
    from trades tr left join tokens tk using (token_id)
    where tr.received_at is not null and tr.ts >= ${from} and tr.ts < ${to}
    group by 1 order by 2 desc, 1`;
  const markets = options.markets ??
    live.filter((r) => r.condition_id !== null).slice(0, options.sample ?? 5)
      .map((r) => r.condition_id);
  const result: TradeCapture = { from, to, markets: [], live: 0, venue: 0, percent: null };
  for (const conditionId of markets) {
    const stored = Number(live.find((r) => r.condition_id === conditionId)?.n ?? 0);
    const venue = await countListed(http, conditionId, { from, to, signal: options.signal });
    result.markets.push({ conditionId, live: stored, venue, percent: percent(stored, venue) });
    result.live += stored;
    result.venue += venue;
  }
  result.percent = percent(result.live, result.venue);
  return result;
}

function percent(live: number, venue: number): number | null {
  return venue === 0 ? null : Math.round((1000 * live) / venue) / 10;
}

/** Trades the Data API lists for one market in [from, to) (v2, or v1 when v2 is not served). */
async function countListed(
  http: HttpClient,
  conditionId: string,
  range: { from: Date; to: Date; signal: AbortSignal },
): Promise<number> {
  let n = 0;
  let pages = 0;
  const count = (items: readonly DataApiTrade[]): boolean => {
    pages++;
    for (const t of items) {
      if (t.timestamp >= range.from && t.timestamp < range.to) n++;
    }
    return items.some((t) => t.timestamp < range.from);
  };
  const signal = range.signal;
  try {
    for await (
      const page of listTradesV2(http, { condition: conditionId, limit: 1000 }, { signal })
    ) {
      if (count(page.items)) return n;
    }
    return n;
  } catch (err) {
    signal.throwIfAborted();
    const v2Missing = err instanceof UnexpectedResponseError ||
      (err instanceof HttpStatusError && err.status >= 400 && err.status < 500);
    if (pages > 0 || !v2Missing) throw err;
  }
  for await (const page of listTrades(http, { market: conditionId }, { signal, pageSize: 500 })) {
    if (count(page.items)) break;
  }
  return n;
}
