-- Opportunity episodes found by the scanner, live or replayed (docs/scanner.md), and their
-- daily summary per channel. Plain PostgreSQL / PGlite: the summary is a view with the same
-- name and columns as TimescaleDB's continuous aggregate (0009_episodes.timescale.sql).
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
CREATE INDEX episodes_started_at ON episodes (started_at);

CREATE VIEW episodes_daily AS
SELECT date_bin(INTERVAL '1 day', started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       channel,
       replayed,
       count(*) AS episodes,
       sum(peak_profit) AS profit,
       sum(peak_capacity) AS capacity,
       avg(extract(epoch FROM ended_at - started_at)) AS mean_duration_s,
       sum(CASE WHEN survival_1s_profit > 0 THEN 1 ELSE 0 END) AS survived_1s
FROM episodes
GROUP BY 1, 2, 3;
