-- backfill --resolved (issue 28): closed markets loaded from the venue's history, with their
-- resolutions and each token's price history, beside what the live collectors wrote.
-- - markets.backfilled_at: when `backfill --resolved` stored the market (NULL: only the live
--   collectors have seen it). Its metadata history rows carry source 'gamma_backfill', its
--   resolution source 'gamma_backfill', its price points (price_history) source
--   'resolved_backfill' with the fidelity the venue served.
-- - markets.category and markets.tags: Gamma's `category` and the slugs of the tags it shows
--   (the market's own, else its event's), as the venue has them now.
-- - backfill_checkpoints.kind gains 'resolved_list' (the Gamma listing's cursor) and
--   'resolved_prices' (one token's whole-life price history).
ALTER TABLE markets
  ADD COLUMN backfilled_at timestamptz,
  ADD COLUMN category      text,
  ADD COLUMN tags          text[];
CREATE INDEX markets_backfilled ON markets (backfilled_at) WHERE backfilled_at IS NOT NULL;

ALTER TABLE backfill_checkpoints DROP CONSTRAINT backfill_checkpoints_kind_check;
ALTER TABLE backfill_checkpoints ADD CONSTRAINT backfill_checkpoints_kind_check
  CHECK (kind IN ('prices', 'trades', 'resolved_list', 'resolved_prices'));
