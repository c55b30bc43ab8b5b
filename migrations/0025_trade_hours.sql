-- Each token's trades per UTC hour, kept as trades are stored (issue 28; db/trades.ts
-- `writeTrades` adds what each insert stored, in the same statement). The dataset and the
-- forecasts read a market's trade activity over a day and a week from these totals plus the raw
-- trades of the last, unfinished hour, instead of every trade of the week: on a market that
-- trades every two minutes a row read ~10,000 trades per token (docs/models.md, "Build rate").
-- - hour: the hour's start (date_bin from the epoch, whatever the session's time zone);
-- - trades: how many were stored; notional: the exact sum of price × size, each rounded to
--   millionths first (as the dataset's trade notionals).
-- The key carries both totals (INCLUDE): a window is then read from the index alone once
-- vacuum has marked the pages all-visible. Retention leaves these rows in place (docs/schema.md).
CREATE TABLE trade_hours (
  token_id  text NOT NULL,
  hour      timestamptz NOT NULL,
  trades    integer NOT NULL,
  notional  numeric NOT NULL,
  PRIMARY KEY (token_id, hour) INCLUDE (trades, notional)
);

-- The trades stored so far (one pass over the table: minutes on a database of months).
INSERT INTO trade_hours (token_id, hour, trades, notional)
SELECT token_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00'), count(*),
  sum(price::numeric(38, 6) * size::numeric(38, 6))
FROM trades
GROUP BY 1, 2;
