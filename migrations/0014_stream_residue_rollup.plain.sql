-- Plain variant of 0014 (see 0014_stream_residue_rollup.timescale.sql): plain PostgreSQL has no
-- chunks to roll up; the migration only keeps the numbering of both modes equal.
SELECT 1;
