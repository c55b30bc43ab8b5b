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
 * - `pruneForecasts`: retention. Deletes the rows whose instant is more than `retainDays` days
 *   before `now` (at most `limit` a call, 500,000 by default, the oldest first), and in the same
 *   statement folds the scored YES rows among them into `forecast_skill` (migration 0022: per
 *   model version and horizon, the count and the sums of both Brier scores). A row still
 *   unscored when it ages out is deleted unscored: live skill counts forecasts made within the
 *   retention window before their market resolved.
 * - `liveSkill`: how many rows are scored, mean Brier of the forecasts against the market's on
 *   the same rows (YES tokens only: the NO row of a market has the same Brier), the rows folded
 *   by retention included.
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
/** Days of forecasts kept (PMCOLLECT_FORECAST_RETAIN_DAYS's default). */
export const FORECAST_RETAIN_DAYS = 30;
/** Rows deleted per retention call at most (an hourly pass deletes about 92,000). */
export const PRUNE_LIMIT = 500_000;

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

/** Applies retention (see the module header); returns the rows deleted. */
export async function pruneForecasts(
  sql: Queryable,
  options: { readonly retainDays: number; readonly now: Date; readonly limit?: number },
): Promise<number> {
  if (!(options.retainDays > 0)) {
    throw new RangeError(
      `Cannot prune forecasts: retainDays must be > 0, got ${options.retainDays}`,
    );
  }
  const cutoff = new Date(options.now.getTime() - options.retainDays * 86_400_000);
  const [row] = await sql.unsafe<{ deleted: number }[]>(
    `with old as (
       select id from forecasts where instant < $1::timestamptz order by instant limit $2
     ), gone as (
       delete from forecasts f using old where f.id = old.id
       returning f.model_version, f.horizon, f.outcome_index, f.outcome, f.brier, f.market_brier,
         f.instant
     ), folded as (
       insert into forecast_skill (model_version, horizon, scored, brier_sum, market_brier_sum,
         first_instant, last_instant, pruned_at)
       select model_version, horizon, count(*), sum(brier), sum(market_brier), min(instant),
         max(instant), $3::timestamptz
       from gone where outcome_index = 0 and outcome is not null
       group by model_version, horizon
       returning 1
     )
     select (select count(*) from gone)::int as deleted, (select count(*) from folded) as folded`,
    [cutoff.toISOString(), options.limit ?? PRUNE_LIMIT, options.now.toISOString()],
  );
  return row?.deleted ?? 0;
}

export interface LiveSkill {
  /** Scored YES rows with an outcome (the ones retention folded included). */
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
    `with kept as (
       select count(*) filter (where outcome is not null and outcome_index = 0) as scored,
         count(*) filter (where scored_at is null)::int as unscored,
         coalesce(sum(brier) filter (where outcome_index = 0), 0) as brier_sum,
         coalesce(sum(market_brier) filter (where outcome_index = 0), 0) as market_brier_sum
       from forecasts
     ), folded as (
       select coalesce(sum(scored), 0) as scored, coalesce(sum(brier_sum), 0) as brier_sum,
         coalesce(sum(market_brier_sum), 0) as market_brier_sum
       from forecast_skill
     )
     select (k.scored + f.scored)::int as scored, k.unscored,
       (k.brier_sum + f.brier_sum) / nullif(k.scored + f.scored, 0) as brier,
       (k.market_brier_sum + f.market_brier_sum) / nullif(k.scored + f.scored, 0) as market_brier
     from kept k, folded f`,
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
