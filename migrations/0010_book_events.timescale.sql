-- TimescaleDB variant of 0010 (the plain twin is 0010_book_events.plain.sql: the same tables and
-- view; here book_events is a hypertable on received_at, compressed per token).

-- The TimescaleDB functions live in the extension's schema; see 0002.
SELECT set_config('search_path',
  coalesce(nullif(current_setting('search_path'), '') || ', ', '') || quote_ident(n.nspname),
  true)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'timescaledb';

-- The recorded market channel (issue 15): one row per level change, in arrival order, so that
-- any token's book can be rebuilt at any instant and the stream replayed as it arrived.
-- `session` is the recording process (its start, unix ms), `seq` the arrival order within it
-- (one counter across the process's connections), `conn` the websocket connection of that
-- process. Prices and sizes are storage v2 micro counts; a value that does not fit exactly
-- goes verbatim into `exact` (keys "price", "size"). Kinds (docs/stream.md):
--   0 book snapshot header, 1 its levels; 2 price_change level; 3 tick_size_change (price =
--   new tick; ends the token's segment); 4 best_bid_ask (price = bid, size = ask);
--   5 new_market (one row per token); 6 market_resolved (price 1 = winner, 0 = loser);
--   7 last_trade_price marker (the trade itself is in `trades`, same token, ts, received_at);
--   8 segment end: the token was unsubscribed or the process stopped cleanly (conn -1).
-- side: 0 bid (BUY), 1 ask (SELL), null otherwise.
CREATE TABLE book_events (
  session     int8        NOT NULL,
  seq         int8        NOT NULL,
  conn        int4        NOT NULL,
  token_key   int4        NOT NULL,
  kind        int2        NOT NULL,
  side        int2,
  price       int4,
  size        int8,
  ts          timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  exact       jsonb,
  -- A hypertable's unique keys include its time column; a replayed row has the same one.
  PRIMARY KEY (session, seq, received_at)
);
-- 6-hour chunks, compressed an hour after they end: one segment per token, in arrival order,
-- so that a token's consecutive prices and sizes delta-encode. The only sparse index besides the
-- orderby min/max is one bloom filter on the primary key, which a replayed batch's ON CONFLICT
-- check needs to skip compressed batches; the blooms TimescaleDB would derive from every index
-- (session alone, seq with received_at) cost ~1.3 bytes a row for nothing (measured with
-- `deno task bench stream` on 2.28.3: 26.3 -> 25.0 bytes/event).
SELECT create_hypertable('book_events', 'received_at', chunk_time_interval => INTERVAL '6 hours',
  create_default_indexes => false);
ALTER TABLE book_events SET (timescaledb.compress, timescaledb.compress_segmentby = 'token_key',
  timescaledb.compress_orderby = 'received_at, seq',
  timescaledb.sparse_index = 'bloom(session, seq, received_at)');
SELECT add_compression_policy('book_events', INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes');
CREATE INDEX book_events_token ON book_events (token_key, received_at);
CREATE INDEX book_events_starts ON book_events (token_key, received_at DESC, seq DESC)
  WHERE kind = 0;

-- A token's full book right after its row (session, seq), rebuilt from the rows above every
-- few thousand level changes, so that a reconstruction replays only from the nearest one.
-- Levels best first as parallel micro arrays; `exact` holds {"bids"|"asks": [[price, size]]}
-- instead when a value does not fit. `since` is when the segment's snapshot arrived.
CREATE TABLE book_checkpoints (
  token_key   int4        NOT NULL,
  session     int8        NOT NULL,
  seq         int8        NOT NULL,
  received_at timestamptz NOT NULL,
  since       timestamptz NOT NULL,
  bid_prices  int4[],
  bid_sizes   int8[],
  ask_prices  int4[],
  ask_sizes   int8[],
  exact       jsonb,
  PRIMARY KEY (token_key, received_at, seq)
);

-- One segment per (connection, token) run of continuous coverage: it starts at a `book`
-- snapshot and ends at the token's next snapshot (a resubscribe or reconnect), at a
-- tick_size_change or at a segment end; the outage between two segments is in `gaps` (one row per connection
-- outage, `tokens` lists the tokens it left uncovered).
CREATE VIEW stream_segments AS
SELECT s.session, s.conn, s.token_key, s.seq AS start_seq, s.received_at AS started_at,
       e.received_at AS ended_at,
       CASE e.kind WHEN 0 THEN 'snapshot' WHEN 3 THEN 'tick_size_change' WHEN 8 THEN 'ended'
       END AS end_cause
FROM book_events s
LEFT JOIN LATERAL (
  SELECT n.kind, n.received_at FROM book_events n
  WHERE n.token_key = s.token_key AND n.kind IN (0, 3, 8)
    AND (n.received_at, n.session, n.seq) > (s.received_at, s.session, s.seq)
  ORDER BY n.received_at, n.session, n.seq
  LIMIT 1
) e ON true
WHERE s.kind = 0;
