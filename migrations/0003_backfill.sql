-- Backfill: price history from CLOB /prices-history and resumable checkpoints.
-- Backfilled trades go to `trades` with source 'data_api' (see docs/schema.md, trade keys);
-- book snapshots have no historical source and are never backfilled.

-- One point of CLOB price history. Kept apart from price_snapshots (which the live
-- collector writes once a minute) so a backfilled point is never mistaken for a live one.
-- fidelity_minutes is the bucket the venue sampled at (1 for open markets, coarser for
-- closed ones); the same instant at two fidelities is two rows.
CREATE TABLE price_history (
  token_id            text NOT NULL,
  ts                  timestamptz NOT NULL,
  fidelity_minutes    integer NOT NULL CHECK (fidelity_minutes > 0),
  price               numeric NOT NULL,
  source              text NOT NULL DEFAULT 'clob_prices_history',
  fetched_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_id, ts, fidelity_minutes)
);
CREATE INDEX price_history_ts ON price_history (ts);

-- One unit of backfill work: a (kind, scope, window). Everything in [start_at, done_until)
-- is stored; done_at is set when the whole window is. A crashed or interrupted run resumes
-- from done_until; a finished window is skipped, so re-running adds nothing.
CREATE TABLE backfill_checkpoints (
  task_key            text PRIMARY KEY,
  kind                text NOT NULL CHECK (kind IN ('prices', 'trades')),
  scope               text NOT NULL,
  start_at            timestamptz NOT NULL,
  end_at              timestamptz NOT NULL,
  done_until          timestamptz,
  rows_written        bigint NOT NULL DEFAULT 0,
  requests            integer NOT NULL DEFAULT 0,
  done_at             timestamptz,
  detail              jsonb NOT NULL DEFAULT '{}',
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (end_at >= start_at)
);
CREATE INDEX backfill_checkpoints_open ON backfill_checkpoints (kind) WHERE done_at IS NULL;
