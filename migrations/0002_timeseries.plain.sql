-- Plain PostgreSQL / PGlite: the aggregates TimescaleDB keeps as continuous aggregates are
-- ordinary views here, with the same names and columns, so every query runs on both.
-- Buckets are UTC hours and days, as time_bucket() makes them.

CREATE INDEX trades_ts ON trades (ts);
CREATE INDEX price_snapshots_ts ON price_snapshots (ts);
CREATE INDEX book_snapshots_ts ON book_snapshots (ts);
CREATE INDEX quotes_ts ON quotes (ts);

CREATE VIEW price_ohlc_1h AS
SELECT date_bin(INTERVAL '1 hour', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       token_id,
       (array_agg(price ORDER BY ts))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY ts DESC))[1] AS close,
       count(*) AS samples
FROM price_snapshots
WHERE price IS NOT NULL
GROUP BY 1, 2;

CREATE VIEW price_ohlc_1d AS
SELECT date_bin(INTERVAL '1 day', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       token_id,
       (array_agg(price ORDER BY ts))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY ts DESC))[1] AS close,
       count(*) AS samples
FROM price_snapshots
WHERE price IS NOT NULL
GROUP BY 1, 2;

CREATE VIEW trade_volume_1h AS
SELECT date_bin(INTERVAL '1 hour', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       token_id,
       count(*) AS trades,
       sum(size) AS volume,
       sum(price * size) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap
FROM trades
GROUP BY 1, 2;
