-- Forecasts of active markets (issue 28, models/forecast_store.ts): one row per token per
-- forecast instant, written by the supervised forecast task (models/forecast_task.ts) and scored
-- when the market resolves.
-- - model_version: the `models` version that gave the probability; NULL = the market baseline
--   (no model was stored when it was made).
-- - market_price: the token's price the model was given (the YES price as of the instant, the
--   NO token's is 1 − it); probability, prob_low, prob_high: the token's forecast and interval.
-- - best_ask: the token's best ask at the instant (NULL: no book); ev_per_share: expected value
--   of buying one share there after the taker fee (probability − ask − fee per share; NULL: no
--   ask or no known fee); kelly: the capped Kelly fraction of a bankroll to spend (0 when the EV
--   is not positive). Paper only: nothing trades on these.
-- - outcome, brier, market_brier, scored_at: filled when the market resolves (outcome 1 when the
--   token won, 0 when it lost; a 50-50 or voided market gets scored_at with a NULL outcome).
CREATE TABLE forecasts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instant        timestamptz NOT NULL,
  market_id      text NOT NULL,
  token_id       text NOT NULL,
  outcome_index  smallint NOT NULL CHECK (outcome_index IN (0, 1)),
  horizon        text NOT NULL,
  model_version  bigint,
  market_price   double precision NOT NULL CHECK (market_price BETWEEN 0 AND 1),
  probability    double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
  prob_low       double precision CHECK (prob_low BETWEEN 0 AND 1),
  prob_high      double precision CHECK (prob_high BETWEEN 0 AND 1),
  best_ask       numeric,
  ev_per_share   double precision,
  kelly          double precision CHECK (kelly >= 0 AND kelly <= 1),
  outcome        smallint CHECK (outcome IN (0, 1)),
  brier          double precision,
  market_brier   double precision,
  scored_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instant, token_id)
);
CREATE INDEX forecasts_market ON forecasts (market_id, instant);
CREATE INDEX forecasts_unscored ON forecasts (market_id) WHERE scored_at IS NULL;
