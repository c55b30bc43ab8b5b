-- TimescaleDB variant of 0019 (the plain twin, 0019_book_chunks_6h.plain.sql, changes nothing:
-- plain PostgreSQL has no chunks).
--
-- Books in 6-hour chunks instead of 12 (issue 26: ≤ 10 GB uncompressed at any moment). A chunk
-- is compressed an hour after it ends, so the books' open chunk plus the one waiting for the
-- policy held up to 13 hours of books (~4.6 GB at venue scale) at 01:00 and 13:00, the same
-- moment as the quotes' day chunk and the prices' 4-hour chunk peak: 11.1 GB in all. With
-- 6-hour chunks they hold at most 7 hours. What the disk keeps per day changes little: once
-- compressed, a chunk still merges into the one before it up to the 7-day rollup interval
-- (0012, a whole multiple of 6 hours) and the rebatch job re-cuts each full week into batches
-- of up to 1,000 rows, so only the week being written keeps smaller batches. Chunks created
-- before this migration keep their 12 hours; 6-hour boundaries fall on 12-hour ones. Figures
-- in docs/rows_per_day.md.

SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

SELECT set_chunk_time_interval('book_snapshot_data', INTERVAL '6 hours');
