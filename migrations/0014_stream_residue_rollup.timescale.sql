-- TimescaleDB variant of 0014 (the plain twin, 0014_stream_residue_rollup.plain.sql, changes
-- nothing: plain PostgreSQL has no chunks).
--
-- Since 0013 the recorder packs a chunk's level rows before the chunk is compressed, so a
-- compressed chunk of `book_event_rows` holds only what stays a row: a few snapshot headers,
-- trade markers and segment ends per token and day. Merged into days (0012), each token paid a
-- compressed batch's overhead (a few hundred bytes) for three or four rows a day; merged into
-- weeks, it pays it once a week. The rebatch job of 0012 reads the interval from here.
ALTER TABLE book_event_rows SET (timescaledb.compress_chunk_time_interval = '7 days');
