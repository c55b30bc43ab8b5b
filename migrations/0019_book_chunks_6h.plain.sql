-- Plain variant of 0019 (see 0019_book_chunks_6h.timescale.sql): plain PostgreSQL has no
-- chunks, so there is nothing to shorten; the migration only keeps the numbering of both modes
-- equal.
SELECT 1;
