-- Plain variant of 0020 (see 0020_aggregate_compression.timescale.sql): plain PostgreSQL has no
-- continuous aggregates (its aggregates are views that store nothing), so there is nothing to
-- compress; the migration only keeps the numbering of both modes equal.
SELECT 1;
