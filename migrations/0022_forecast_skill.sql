-- Retention for `forecasts` (issue 28, models/forecast_store.ts `pruneForecasts`): at an hourly
-- schedule the task writes about 2.2 M rows a day, so the forecasts task deletes rows older than
-- PMCOLLECT_FORECAST_RETAIN_DAYS (30) days. What live skill needs of them is kept here: each
-- deletion folds its scored YES rows (an outcome, so a Brier and a market Brier) into one row per
-- model version and horizon, and live skill adds these sums to the rows still in `forecasts`.
-- - model_version: NULL = the market baseline; horizon: the forecast's horizon label.
-- - scored, brier_sum, market_brier_sum: how many rows, the sums of their Brier scores.
-- - first_instant, last_instant: the forecast instants folded; pruned_at: when.
CREATE TABLE forecast_skill (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_version    bigint,
  horizon          text NOT NULL,
  scored           bigint NOT NULL CHECK (scored > 0),
  brier_sum        double precision NOT NULL,
  market_brier_sum double precision NOT NULL,
  first_instant    timestamptz NOT NULL,
  last_instant     timestamptz NOT NULL,
  pruned_at        timestamptz NOT NULL
);
