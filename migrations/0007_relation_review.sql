-- Relation review and falsification (relations/): who decided a relation's status and when
-- (a person's decision is never overwritten by a later refresh), the resolved counter-example
-- that rejected it, and findings (a partition that resolved with 0 or 2 winners, a 50-50
-- member) reported by `pmcollect relations check`. See docs/schema.md ("Relations").

ALTER TABLE relations
  ADD COLUMN decided_by        text,
  ADD COLUMN decided_at        timestamptz,
  ADD COLUMN decision_note     text,
  ADD COLUMN counter_example   jsonb,
  ADD COLUMN checked_at        timestamptz;

CREATE TABLE relation_findings (
  relation_key        text NOT NULL,
  kind                text NOT NULL,
  detail              jsonb NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (relation_key, kind)
);
