-- TimescaleDB variant of 0012 (the plain twin, 0012_rollup.plain.sql, changes nothing: plain
-- PostgreSQL has no chunks to roll up).
--
-- Larger compressed batches without larger open chunks (issue 14). A compressed batch costs
-- roughly a hundred bytes per column whatever it holds, and a token's batches never span two
-- chunks: a quiet token's 240 minute prices of a 4-hour chunk, or 144 books of a 12-hour one,
-- paid that overhead several times a day, and it was most of their compressed size. The chunks
-- stay as short as before (what is uncompressed at any moment does not grow); once compressed,
-- a chunk is merged into the compressed chunk before it until that one spans the rollup
-- interval (`compress_chunk_time_interval`), and the job below then recompresses each full
-- merged chunk once, which re-cuts every token's rows into batches of up to 1,000.

SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

ALTER TABLE price_snapshot_data SET (timescaledb.compress_chunk_time_interval = '7 days');
ALTER TABLE book_snapshot_data SET (timescaledb.compress_chunk_time_interval = '7 days');
ALTER TABLE quote_data SET (timescaledb.compress_chunk_time_interval = '7 days');
-- The recorded stream (~90 M rows a day for the venue): its 6-hour chunks merge into days.
ALTER TABLE book_event_rows SET (timescaledb.compress_chunk_time_interval = '1 day');

-- The merged chunks already recompressed, and the end of their range when that was done (a
-- chunk merged into again afterwards is recompressed again).
CREATE TABLE rebatched_chunks (
  chunk               text PRIMARY KEY,
  range_end           timestamptz NOT NULL,
  rebatched_at        timestamptz NOT NULL DEFAULT now()
);

-- Recompresses, once, every compressed chunk of config->>'hypertable' that spans its rollup
-- interval (or ended a rollup interval ago, so nothing more merges into it), oldest first, one
-- transaction each. Names come qualified through `config`: a job runs on its owner's
-- search_path, not this schema's.
CREATE PROCEDURE rebatch_rollups(job_id integer, config jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  ht regclass := (config->>'hypertable')::regclass;
  done text := config->>'done';
  ext text;
  rollup interval;
  c record;
  recorded timestamptz;
BEGIN
  SELECT quote_ident(n.nspname) INTO ext
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'timescaledb';
  SELECT s.compress_interval_length::interval INTO rollup
  FROM timescaledb_information.hypertable_compression_settings s WHERE s.hypertable = ht;
  IF rollup IS NULL THEN
    RETURN;
  END IF;
  FOR c IN
    SELECT format('%I.%I', ch.chunk_schema, ch.chunk_name) AS chunk, ch.range_end
    FROM timescaledb_information.chunks ch
    WHERE format('%I.%I', ch.hypertable_schema, ch.hypertable_name)::regclass = ht
      AND ch.is_compressed
      AND (ch.range_end - ch.range_start >= rollup OR ch.range_end <= now() - rollup)
    ORDER BY ch.range_start
  LOOP
    EXECUTE format('SELECT range_end FROM %s WHERE chunk = $1', done) INTO recorded USING c.chunk;
    CONTINUE WHEN recorded IS NOT DISTINCT FROM c.range_end;
    EXECUTE format('SELECT %s.compress_chunk($1::regclass, recompress => true)', ext)
      USING c.chunk;
    EXECUTE format('INSERT INTO %s (chunk, range_end) VALUES ($1, $2) ON CONFLICT (chunk) '
                   'DO UPDATE SET range_end = excluded.range_end, rebatched_at = now()', done)
      USING c.chunk, c.range_end;
    COMMIT;
  END LOOP;
  -- Chunks dropped since (retention) leave no row behind.
  EXECUTE format('DELETE FROM %s r WHERE to_regclass(r.chunk) IS NULL', done);
END $$;

SELECT add_job('rebatch_rollups', INTERVAL '1 hour',
  config => jsonb_build_object(
    'hypertable', format('%I.%I', current_schema(), t),
    'done', format('%I.%I', current_schema(), 'rebatched_chunks')))
FROM unnest(ARRAY['price_snapshot_data', 'book_snapshot_data', 'quote_data', 'book_event_rows'])
  AS t;
