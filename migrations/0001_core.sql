-- Core tables shared by every backend (plain PostgreSQL, TimescaleDB, PGlite).
-- Natural keys everywhere so that every write is an idempotent upsert.
-- Prices and sizes are numeric (exact); token ids are text (uint256 in decimal).

CREATE TABLE events (
  event_id            text PRIMARY KEY,
  slug                text,
  title               text,
  neg_risk            boolean NOT NULL DEFAULT false,
  neg_risk_market_id  text,
  active              boolean,
  closed              boolean,
  start_date          timestamptz,
  end_date            timestamptz,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_neg_risk_market_id ON events (neg_risk_market_id) WHERE neg_risk_market_id IS NOT NULL;

CREATE TABLE markets (
  market_id           text PRIMARY KEY,
  condition_id        text UNIQUE,
  question_id         text,
  event_id            text,
  slug                text,
  question            text,
  outcomes            text[] NOT NULL DEFAULT '{}',
  neg_risk            boolean NOT NULL DEFAULT false,
  neg_risk_market_id  text,
  group_item_title    text,
  tick_size           numeric,
  min_order_size      numeric,
  active              boolean,
  closed              boolean,
  archived            boolean,
  accepting_orders    boolean,
  enable_order_book   boolean,
  volume              numeric,
  liquidity           numeric,
  start_date          timestamptz,
  end_date            timestamptz,
  closed_time         timestamptz,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX markets_event_id ON markets (event_id);
CREATE INDEX markets_open ON markets (market_id) WHERE active AND NOT closed;

CREATE TABLE tokens (
  token_id            text PRIMARY KEY,
  condition_id        text,
  market_id           text NOT NULL,
  outcome             text,
  outcome_index       smallint NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tokens_market_id ON tokens (market_id);

-- One row per token per minute (ts is the minute the snapshot belongs to).
CREATE TABLE price_snapshots (
  ts                  timestamptz NOT NULL,
  token_id            text NOT NULL,
  price               numeric,
  best_bid            numeric,
  best_ask            numeric,
  last_trade_price    numeric,
  volume_24h          numeric,
  liquidity           numeric,
  PRIMARY KEY (token_id, ts)
);

-- Full CLOB book levels (best first) plus top-of-book columns read from the right end.
CREATE TABLE book_snapshots (
  ts                  timestamptz NOT NULL,
  token_id            text NOT NULL,
  condition_id        text,
  exchange_ts         timestamptz,
  best_bid            numeric,
  best_ask            numeric,
  mid                 numeric,
  spread              numeric,
  bid_size            numeric NOT NULL,
  ask_size            numeric NOT NULL,
  bid_levels          integer NOT NULL,
  ask_levels          integer NOT NULL,
  tick_size           numeric,
  book_hash           text,
  bids                jsonb NOT NULL,
  asks                jsonb NOT NULL,
  PRIMARY KEY (token_id, ts)
);

-- Every public trade (websocket last_trade_price, or backfilled from the Data API).
-- trade_key tells replays (same key) from genuine identical fills (different ordinal);
-- see docs/schema.md.
CREATE TABLE trades (
  ts                  timestamptz NOT NULL,
  token_id            text NOT NULL,
  trade_key           text NOT NULL,
  condition_id        text,
  received_at         timestamptz,
  price               numeric NOT NULL,
  size                numeric NOT NULL,
  side                text,
  fee_rate_bps        numeric,
  tx_hash             text,
  source              text NOT NULL DEFAULT 'ws',
  PRIMARY KEY (token_id, ts, trade_key)
);

-- Top-of-book changes from the websocket, at most one row per token per interval.
CREATE TABLE quotes (
  ts                  timestamptz NOT NULL,
  token_id            text NOT NULL,
  best_bid            numeric,
  best_ask            numeric,
  PRIMARY KEY (token_id, ts)
);

CREATE TABLE resolutions (
  condition_id        text PRIMARY KEY,
  market_id           text,
  status              text NOT NULL CHECK (status IN ('resolved', 'ambiguous', 'unresolved')),
  winner_token_id     text,
  winner_outcome      text,
  final_prices        numeric[],
  resolved_at         timestamptz,
  source              text NOT NULL,
  strength            smallint NOT NULL,
  evidence            jsonb NOT NULL DEFAULT '{}',
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE collector_runs (
  collector           text NOT NULL,
  started_at          timestamptz NOT NULL,
  finished_at         timestamptz,
  status              text NOT NULL,
  rows_written        bigint NOT NULL DEFAULT 0,
  errors              integer NOT NULL DEFAULT 0,
  rejects             integer NOT NULL DEFAULT 0,
  detail              jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (collector, started_at)
);

-- An interval that was not collected. scope = a token id, a market, or '*' for everything.
CREATE TABLE gaps (
  collector           text NOT NULL,
  scope               text NOT NULL,
  start_at            timestamptz NOT NULL,
  end_at              timestamptz NOT NULL,
  cause               text NOT NULL,
  detail              jsonb NOT NULL DEFAULT '{}',
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  backfilled_at       timestamptz,
  backfill_rows       bigint,
  PRIMARY KEY (collector, scope, start_at, cause),
  CHECK (end_at >= start_at)
);
CREATE INDEX gaps_open ON gaps (start_at) WHERE backfilled_at IS NULL;

-- Anything that failed to parse, with its raw payload; repeats are counted, not re-stored.
CREATE TABLE rejects (
  source              text NOT NULL,
  payload_hash        text NOT NULL,
  reason              text NOT NULL,
  path                text NOT NULL DEFAULT '',
  raw                 text NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at        timestamptz NOT NULL DEFAULT now(),
  occurrences         bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (source, payload_hash)
);
