-- TimescaleDB only. Kept small and isolated: the plain twin is 0002_timeseries.plain.sql and
-- must expose the same relation names and columns.
--
-- Chunk intervals (sizing in docs/schema.md): the full universe is ~93,000 tokens, so
-- price_snapshots takes ~134M rows/day; 2-hour chunks keep one chunk's primary-key index
-- (~11M entries) well inside a quarter of an 8 GB server's memory.

-- The TimescaleDB functions live in the extension's schema (public when migrate created it),
-- which need not be on search_path: a per-schema database (the `schema` option) has only its
-- own schema there. Append the extension's schema for this migration's transaction only, so
-- the names below resolve while the tables and views still go to current_schema().
SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

SELECT create_hypertable('price_snapshots', 'ts', chunk_time_interval => INTERVAL '2 hours');
SELECT create_hypertable('book_snapshots', 'ts', chunk_time_interval => INTERVAL '6 hours');
SELECT create_hypertable('trades', 'ts', chunk_time_interval => INTERVAL '1 day');
SELECT create_hypertable('quotes', 'ts', chunk_time_interval => INTERVAL '6 hours');

-- Compression: one segment per token, newest first, so "range per token" and "latest per
-- token" stay cheap on compressed chunks.
ALTER TABLE price_snapshots SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'token_id', timescaledb.compress_orderby = 'ts DESC');
ALTER TABLE book_snapshots SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'token_id', timescaledb.compress_orderby = 'ts DESC');
ALTER TABLE trades SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'token_id', timescaledb.compress_orderby = 'ts DESC, trade_key');
ALTER TABLE quotes SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'token_id', timescaledb.compress_orderby = 'ts DESC');

SELECT add_compression_policy('price_snapshots', INTERVAL '1 day');
SELECT add_compression_policy('book_snapshots', INTERVAL '1 day');
SELECT add_compression_policy('trades', INTERVAL '3 days');
SELECT add_compression_policy('quotes', INTERVAL '1 day');

-- Continuous aggregates, real-time (materialized_only = false) so recent buckets match the
-- plain views exactly.
CREATE MATERIALIZED VIEW price_ohlc_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', ts) AS bucket,
       token_id,
       first(price, ts) AS open,
       max(price) AS high,
       min(price) AS low,
       last(price, ts) AS close,
       count(*) AS samples
FROM price_snapshots
WHERE price IS NOT NULL
GROUP BY 1, 2
WITH NO DATA;

CREATE MATERIALIZED VIEW price_ohlc_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', ts) AS bucket,
       token_id,
       first(price, ts) AS open,
       max(price) AS high,
       min(price) AS low,
       last(price, ts) AS close,
       count(*) AS samples
FROM price_snapshots
WHERE price IS NOT NULL
GROUP BY 1, 2
WITH NO DATA;

CREATE MATERIALIZED VIEW trade_volume_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', ts) AS bucket,
       token_id,
       count(*) AS trades,
       sum(size) AS volume,
       sum(price * size) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap
FROM trades
GROUP BY 1, 2
WITH NO DATA;

-- start_offset => NULL: every run looks at the whole history, but a refresh only recomputes
-- buckets that writes have invalidated, so a quiet past costs nothing. A fixed start_offset
-- would leave any backfill older than it (gap backfills, Data API trade backfills) out of the
-- aggregates for good: the real-time part only covers buckets after the watermark, so those
-- buckets would disagree with the plain views forever.
SELECT add_continuous_aggregate_policy('price_ohlc_1h',
  start_offset => NULL, end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('price_ohlc_1d',
  start_offset => NULL, end_offset => INTERVAL '1 day',
  schedule_interval => INTERVAL '1 hour');
SELECT add_continuous_aggregate_policy('trade_volume_1h',
  start_offset => NULL, end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes');
