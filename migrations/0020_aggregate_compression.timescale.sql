-- TimescaleDB variant of 0020 (the plain twin, 0020_aggregate_compression.plain.sql, changes
-- nothing: plain PostgreSQL's aggregates are views that store nothing).
--
-- The continuous aggregates compressed (issue 26). Their materialized rows were never
-- compressed: ~0.29 GB a day at venue scale, all of it uncompressed for good, so "at most 10 GB
-- uncompressed at any moment" would have failed after about five weeks. Each aggregate now
-- compresses as the tables it reads do: one segment per token (per channel for episodes), its
-- buckets in order, each chunk compressed once the refresh policy has materialized its last
-- bucket (compress_after beyond the policy's end_offset plus its schedule), so that routine
-- refreshes never write into a compressed chunk.
--
-- The refresh policies keep start_offset => NULL (0002: a backfill into any past bucket must
-- reach the aggregate). Since TimescaleDB 2.18.1 a refresh rewrites a compressed region of an
-- aggregate (lifting the per-transaction decompression limit while it does), so a backfill into
-- a compressed week is refreshed like any other; the older rule, compress_after beyond the
-- refresh window's start, predates that and cannot hold for a window that starts at the
-- beginning. The image this project pins runs 2.28.3.
--
-- - price_ohlc_1h_data (~2.2 M rows a day for the venue's 93,000 tokens, nearly all of the
--   aggregates' bytes): 12-hour chunks instead of the 40 hours it took from price_snapshot_data
--   (an aggregate's chunks are 10 of its source's), compressed 2 hours after they end (the
--   policy materializes an hour bucket an hour after it ends, every 30 minutes), so at most
--   about 14.5 hours of it are uncompressed. Compressed chunks merge into weeks and 0012's
--   rebatch job re-cuts each full week into one batch per token, as for the tables.
-- - price_ohlc_1d_data: 7-day chunks, compressed 2 days after they end (a day bucket is
--   materialized a day after it ends).
-- - trade_volume_1h: 7-day chunks, compressed 3 days after they end, when the trades table's own
--   policy compresses: a late trade the table still takes uncompressed is refreshed into an
--   uncompressed aggregate chunk.
-- - episodes_daily: a few rows a day; 7-day chunks instead of 70 (so that one is compressed
--   every week, not every ten), compressed 2 days after they end.
-- Chunks created before this migration keep their length. Figures in docs/rows_per_day.md.

SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

ALTER MATERIALIZED VIEW price_ohlc_1h_data SET (timescaledb.chunk_interval = '12 hours');
ALTER MATERIALIZED VIEW price_ohlc_1h_data SET (timescaledb.compress = true,
  timescaledb.compress_segmentby = 'token_key', timescaledb.compress_orderby = 'bucket',
  timescaledb.compress_chunk_time_interval = '7 days');
SELECT add_compression_policy('price_ohlc_1h_data', compress_after => INTERVAL '2 hours',
  schedule_interval => INTERVAL '30 minutes');

ALTER MATERIALIZED VIEW price_ohlc_1d_data SET (timescaledb.chunk_interval = '7 days');
ALTER MATERIALIZED VIEW price_ohlc_1d_data SET (timescaledb.compress = true,
  timescaledb.compress_segmentby = 'token_key', timescaledb.compress_orderby = 'bucket');
SELECT add_compression_policy('price_ohlc_1d_data', compress_after => INTERVAL '2 days',
  schedule_interval => INTERVAL '1 hour');

ALTER MATERIALIZED VIEW trade_volume_1h SET (timescaledb.chunk_interval = '7 days');
ALTER MATERIALIZED VIEW trade_volume_1h SET (timescaledb.compress = true,
  timescaledb.compress_segmentby = 'token_id', timescaledb.compress_orderby = 'bucket');
SELECT add_compression_policy('trade_volume_1h', compress_after => INTERVAL '3 days',
  schedule_interval => INTERVAL '1 hour');

ALTER MATERIALIZED VIEW episodes_daily SET (timescaledb.chunk_interval = '7 days');
ALTER MATERIALIZED VIEW episodes_daily SET (timescaledb.compress = true,
  timescaledb.compress_segmentby = 'channel, replayed', timescaledb.compress_orderby = 'bucket');
SELECT add_compression_policy('episodes_daily', compress_after => INTERVAL '2 days',
  schedule_interval => INTERVAL '1 day');

-- The weekly re-cut of the hourly prices' merged chunks (0012's procedure and ledger).
SELECT add_job('rebatch_rollups', INTERVAL '1 hour',
  config => jsonb_build_object(
    'hypertable', format('%I.%I', c.materialization_hypertable_schema,
                         c.materialization_hypertable_name),
    'done', format('%I.%I', current_schema(), 'rebatched_chunks')))
FROM timescaledb_information.continuous_aggregates c
WHERE c.view_schema = current_schema() AND c.view_name = 'price_ohlc_1h_data';
