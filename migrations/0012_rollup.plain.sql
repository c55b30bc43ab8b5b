-- Plain variant of 0012 (see 0012_rollup.timescale.sql): plain PostgreSQL has no chunks, so
-- there is nothing to roll up; the migration only keeps the numbering of both modes equal.
SELECT 1;
