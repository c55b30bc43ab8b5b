-- Packs compress with lz4 where the server has it (issue 26). A pack's `data` is varints that
-- pglz rarely compresses: pglz keeps a result only when it saves at least 25%, and at the
-- venue's scale it kept 1,012 of 89,178 packs (bench/storage_bench.ts, TimescaleDB 2.28.3 on
-- PostgreSQL 15); lz4 keeps any saving, 4.33 → 3.62 bytes per event of pack data in the same
-- run, and costs less CPU than pglz. Packs written before this keep their pglz (or no)
-- compression, which every reader decompresses the same way. A server built without lz4 (and
-- the embedded PGlite) keeps pglz: the statement fails there with feature_not_supported, which
-- is caught, and `pack_compression` below says which one is in force.
DO $$
BEGIN
  ALTER TABLE book_event_packs ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server: book_event_packs.data stays pglz';
END $$;

-- Which compression new packs get: 'l' lz4, '' the server's default (default_toast_compression,
-- pglz unless changed).
CREATE VIEW pack_compression AS
SELECT CASE attcompression WHEN 'l' THEN 'lz4' WHEN 'p' THEN 'pglz' ELSE 'default' END AS method
FROM pg_attribute
WHERE attrelid = 'book_event_packs'::regclass AND attname = 'data';
