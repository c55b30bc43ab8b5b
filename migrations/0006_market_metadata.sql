-- Market metadata that fees and relations depend on, with change history.
-- Current values are columns of markets/events (nullable, so v0.1 rows migrate unchanged);
-- market_metadata_history keeps one row per observed change of the tracked fields, written
-- only when their digest changes; rules texts are stored once per SHA-256 in market_rules.
-- See docs/schema.md ("Market metadata history").

ALTER TABLE markets
  ADD COLUMN rules_hash            text,
  ADD COLUMN resolution_source     text,
  ADD COLUMN fees_enabled          boolean,
  ADD COLUMN fee_type              text,
  ADD COLUMN fee_rate              numeric,
  ADD COLUMN fee_exponent          numeric,
  ADD COLUMN fee_taker_only        boolean,
  ADD COLUMN fee_rebate_rate       numeric,
  ADD COLUMN maker_base_fee        numeric,
  ADD COLUMN taker_base_fee        numeric,
  ADD COLUMN question_index        integer,
  ADD COLUMN neg_risk_other        boolean,
  ADD COLUMN group_item_threshold  text,
  ADD COLUMN game_id               text,
  ADD COLUMN sports_market_type    text,
  ADD COLUMN line                  numeric,
  ADD COLUMN game_start_time       timestamptz,
  ADD COLUMN is_50_50_outcome      boolean,
  ADD COLUMN metadata_digest       text,
  ADD COLUMN metadata_valid_from   timestamptz,
  ADD COLUMN clob_checked_at       timestamptz;
CREATE INDEX markets_neg_risk_market_id ON markets (neg_risk_market_id)
  WHERE neg_risk_market_id IS NOT NULL;

ALTER TABLE events
  ADD COLUMN enable_neg_risk       boolean,
  ADD COLUMN neg_risk_augmented    boolean;

CREATE TABLE market_rules (
  rules_hash          text PRIMARY KEY,
  description         text NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE market_metadata_history (
  market_id           text NOT NULL,
  valid_from          timestamptz NOT NULL,
  source              text NOT NULL,
  digest              text NOT NULL,
  metadata            jsonb NOT NULL,
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market_id, valid_from)
);
-- "What changed since t" (relation refreshes, reports).
CREATE INDEX market_metadata_history_valid_from ON market_metadata_history (valid_from);

-- Relations derived from structure (relations/): neg-risk partitions, date and threshold
-- ladders, markets of one game. relation_key is stable across member changes; a rules
-- amendment of any member (rules_digest) turns a confirmed relation stale.
CREATE TABLE relations (
  relation_key        text PRIMARY KEY,
  type                text NOT NULL,
  members             text[] NOT NULL,
  provenance          text NOT NULL,
  status              text NOT NULL
                      CHECK (status IN ('proposed', 'confirmed', 'incomplete', 'stale', 'rejected')),
  rules_digest        text NOT NULL,
  detail              jsonb NOT NULL DEFAULT '{}',
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relations_members ON relations USING gin (members);
