/**
 * The `forecasts` table (migration 0018): writing one instant's forecasts, scoring the ones
 * whose market has resolved, and the live skill so far.
 *
 * - `insertForecasts` writes one row per token; a second write of the same instant and token
 *   keeps the first (the task never forecasts one instant twice; a retried pass may).
 * - `scoreForecasts` fills outcome, Brier (of the forecast) and market Brier (of the price it
 *   was given) on unscored rows whose market's resolution is stored: outcome 1 when the token is
 *   the winner, else 0. A market resolved ambiguous (voided, 50-50) gets `scored_at` and no
 *   outcome, so it is never looked at again and never counted in the skill. At most `limit`
 *   rows per call (default 50,000), the oldest first, so a pass is bounded.
 * - `liveSkill`: how many rows are scored, mean Brier of the forecasts against the market's on
 *   the same rows (YES tokens only: the NO row of a market has the same Brier).
 *
 * @example
 * ```ts ignore
 * import { insertForecasts, liveSkill, scoreForecasts } from "./forecast_store.ts";
 * await insertForecasts(sql, await forecastsAt(sql, ids, { at, model }));
 * await scoreForecasts(sql);
 * (await liveSkill(sql)).brier;
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { ForecastsAt } from "./forecast_at.ts";

/** Rows per insert statement. */
const INSERT_CHUNK = 5_000;
export const SCORE_LIMIT = 50_000;

/** Writes the forecasts; returns the rows written (0 for ones already stored). */
export async function insertForecasts(sql: Queryable, forecasts: ForecastsAt): Promise<number> {
  const rows = forecasts.markets.flatMap((m) =>
    m.tokens.map((t) => ({ ...t, horizon: m.horizon, modelVersion: m.modelVersion }))
  );
  const at = forecasts.at.toISOString();
  const text = (x: number | null) => (x === null ? null : String(x));
  let written = 0;
  for (let from = 0; from < rows.length; from += INSERT_CHUNK) {
    const chunk = rows.slice(from, from + INSERT_CHUNK);
    const result = await sql.unsafe(
      `insert into forecasts (instant, market_id, token_id, outcome_index, horizon, model_version,
         market_price, probability, prob_low, prob_high, best_ask, ev_per_share, kelly)
       select $1::timestamptz, u.* from unnest($2::text[], $3::text[], $4::smallint[],
         $5::text[], $6::bigint[], $7::float8[], $8::float8[], $9::float8[], $10::float8[],
         $11::numeric[], $12::float8[], $13::float8[]) as u
       on conflict (instant, token_id) do nothing`,
      [
        at,
        chunk.map((r) => r.marketId),
        chunk.map((r) => r.tokenId),
        chunk.map((r) => r.outcomeIndex),
        chunk.map((r) => r.horizon),
        chunk.map((r) => text(r.modelVersion)),
        chunk.map((r) => clamp(r.price)),
        chunk.map((r) => clamp(r.probability)),
        chunk.map((r) => text(r.low)),
        chunk.map((r) => text(r.high)),
        chunk.map((r) => text(r.ask)),
        chunk.map((r) => text(r.evPerShare)),
        chunk.map((r) => text(r.kelly)),
      ] as never[],
    );
    written += result.count;
  }
  return written;
}

/** Scores unscored rows of resolved markets (see the module header); returns rows scored. */
export async function scoreForecasts(
  sql: Queryable,
  options: { readonly limit?: number; readonly now?: Date } = {},
): Promise<number> {
  const result = await sql.unsafe(
    `with due as (
       select f.id, case when r.status = 'ambiguous' then null
                         when r.winner_token_id = f.token_id then 1 else 0 end as outcome
       from forecasts f
       join markets m on m.market_id = f.market_id
       join resolutions r on r.condition_id = m.condition_id
       where f.scored_at is null
         and (r.status = 'ambiguous' or (r.status = 'resolved' and r.winner_token_id is not null))
       order by f.id limit $1)
     update forecasts f set outcome = due.outcome,
       brier = (f.probability - due.outcome) ^ 2,
       market_brier = (f.market_price - due.outcome) ^ 2,
       scored_at = $2::timestamptz
     from due where f.id = due.id`,
    [options.limit ?? SCORE_LIMIT, (options.now ?? new Date()).toISOString()],
  );
  return result.count;
}

export interface LiveSkill {
  /** Scored YES rows with an outcome. */
  readonly scored: number;
  /** Forecast rows not scored yet (both tokens). */
  readonly unscored: number;
  /** Mean Brier of the forecasts and of the market prices on the same rows (NaN: none). */
  readonly brier: number;
  readonly marketBrier: number;
}

/** The live skill so far (see the module header). */
export async function liveSkill(sql: Queryable): Promise<LiveSkill> {
  const [row] = await sql.unsafe<
    { scored: number; unscored: number; brier: number | null; market_brier: number | null }[]
  >(
    `select count(*) filter (where outcome is not null and outcome_index = 0)::int as scored,
       count(*) filter (where scored_at is null)::int as unscored,
       avg(brier) filter (where outcome_index = 0) as brier,
       avg(market_brier) filter (where outcome_index = 0) as market_brier
     from forecasts`,
  );
  return {
    scored: row?.scored ?? 0,
    unscored: row?.unscored ?? 0,
    brier: row?.brier ?? NaN,
    marketBrier: row?.market_brier ?? NaN,
  };
}

/** Float noise outside [0, 1] (1 − 0.9999999) would fail the table's checks. */
function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}
