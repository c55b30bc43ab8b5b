-- Opportunity episodes found by the scanner, live or replayed (docs/scanner.md), and their
-- daily summary per channel. TimescaleDB: a hypertable and a real-time continuous aggregate
-- with the same name and columns as the plain view (0009_episodes.plain.sql).
-- Decimals are numeric (exact); a row is written when the episode opens and updated at its
-- peak and once it is final (ended and re-priced 250 ms and 1 s after the peak).

CREATE TABLE episodes (
  started_at            timestamptz NOT NULL,
  relation_key          text        NOT NULL,
  channel               text        NOT NULL,
  replayed              boolean     NOT NULL,
  ended_at              timestamptz,
  end_reason            text,
  peak_at               timestamptz NOT NULL,
  peak_profit           numeric     NOT NULL,
  peak_shares           numeric     NOT NULL,
  peak_capacity         numeric     NOT NULL,
  survival_250ms_profit numeric,
  survival_1s_profit    numeric,
  final                 boolean     NOT NULL DEFAULT false,
  book_ages_ms          integer[]   NOT NULL,
  legs                  jsonb       NOT NULL,
  observations          integer     NOT NULL,
  -- Sequence of the book event that opened it, and when the row was first committed.
  start_sequence        bigint      NOT NULL,
  written_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (relation_key, channel, replayed, started_at)
);

SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

SELECT create_hypertable('episodes', 'started_at', chunk_time_interval => INTERVAL '7 days');

CREATE MATERIALIZED VIEW episodes_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', started_at) AS bucket,
       channel,
       replayed,
       count(*) AS episodes,
       sum(peak_profit) AS profit,
       sum(peak_capacity) AS capacity,
       avg(extract(epoch FROM ended_at - started_at)) AS mean_duration_s,
       sum(CASE WHEN survival_1s_profit > 0 THEN 1 ELSE 0 END) AS survived_1s
FROM episodes
GROUP BY 1, 2, 3
WITH NO DATA;

SELECT add_continuous_aggregate_policy('episodes_daily',
  start_offset => NULL, end_offset => INTERVAL '1 day',
  schedule_interval => INTERVAL '1 hour');
