-- Mirror elision in the recorded stream (issue 15). A `price_change` of a binary market
-- usually carries both outcomes' levels, and the second is the mirror of the first: the other
-- token, price 1 − p, the other side, the same size. The recorder now stores such a pair as
-- one row of kind 9 under the first token (its own level, as a kind 2 row would hold it); the
-- mirror is the row `seq + 1` of the token's sibling, rebuilt from it. That halves the rows.
--
-- The table of stored rows is now `book_event_rows`; `book_events` is a view that gives back
-- the rows the recorder stored before (kind 9 as kind 2, each followed by its mirror, in the
-- stored rows' order; micro counts, but a value finer than the stored units below in `exact`,
-- which no value the venue sends is), so that SQL, the export and research tools see the same names and
-- the same answers. A filter on `received_at` reaches the table; one on `token_key` cannot (the
-- view computes it): for one token, read `book_event_rows` and `token_pairs` as
-- stream/book_at.ts does. The program's own readers (stream/book_at.ts, stream/replay.ts) read
-- the stored rows and expand pairs themselves.
ALTER TABLE book_events RENAME TO book_event_rows;

-- Stored units (db/book_events.ts): prices, ticks and a best_bid_ask row's best ask count 10^-4,
-- the venue's finest tick; level sizes count hundredths, its size precision. Small counts
-- delta-encode in fewer bits: measured on TimescaleDB, sizes 6.9 -> 3.2 and prices 3.1 -> 2.2
-- bytes a stored row. A value finer than its unit moves, verbatim, into `exact`. Rows recorded
-- before this migration (micro counts) are converted here.
UPDATE book_event_rows SET
  exact = CASE
    WHEN price % 100 <> 0 OR size % (CASE WHEN kind = 4 THEN 100 ELSE 10000 END) <> 0 THEN
      coalesce(exact, '{}'::jsonb) || jsonb_strip_nulls(jsonb_build_object(
        'price', CASE WHEN price % 100 <> 0 THEN trim_scale(price / 1e6)::text END,
        'size', CASE WHEN size % (CASE WHEN kind = 4 THEN 100 ELSE 10000 END) <> 0
                     THEN trim_scale(size / 1e6)::text END))
    ELSE exact END,
  price = CASE WHEN price % 100 = 0 THEN price / 100 END,
  size = CASE WHEN size % (CASE WHEN kind = 4 THEN 100 ELSE 10000 END) = 0
              THEN size / (CASE WHEN kind = 4 THEN 100 ELSE 10000 END) END
WHERE price IS NOT NULL OR size IS NOT NULL;

-- The venue's timestamp as its distance to the receive time, in ms (`ts_lag` = received_at − ts):
-- a small number that delta-encodes in fewer bits than a second timestamp (int8: a broken venue
-- clock, decades off, fits too).
ALTER TABLE book_event_rows ADD COLUMN ts_lag int8;
UPDATE book_event_rows SET ts_lag = (extract(epoch FROM received_at - ts) * 1000)::int8;
ALTER TABLE book_event_rows DROP COLUMN ts;

-- The two tokens of a binary market, both ways round, written before the first pair row that
-- needs them. A token has one sibling.
CREATE TABLE token_pairs (
  token_key   int4 PRIMARY KEY,
  sibling_key int4 NOT NULL UNIQUE
);

-- Micro counts and the venue's timestamp again, as before 0011.
CREATE VIEW book_events AS
SELECT r.session, r.seq + m.mirror AS seq, r.conn,
       CASE WHEN m.mirror = 0 THEN r.token_key ELSE p.token_key END AS token_key,
       (CASE WHEN r.kind = 9 THEN 2 ELSE r.kind END)::int2 AS kind,
       CASE WHEN m.mirror = 0 THEN r.side ELSE (1 - r.side)::int2 END AS side,
       CASE WHEN m.mirror = 0 THEN r.price * 100 ELSE 1000000 - r.price * 100 END AS price,
       r.size * (CASE WHEN r.kind = 4 THEN 100 ELSE 10000 END) AS size,
       r.received_at - r.ts_lag * interval '1 millisecond' AS ts,
       r.received_at,
       CASE WHEN m.mirror = 0 THEN r.exact END AS exact
FROM book_event_rows r
LEFT JOIN token_pairs p ON r.kind = 9 AND p.sibling_key = r.token_key
CROSS JOIN LATERAL (SELECT 0 AS mirror UNION ALL SELECT 1 WHERE p.token_key IS NOT NULL) m;

-- Segments start and end at rows that are never paired (kinds 0, 3, 8): read them stored.
CREATE OR REPLACE VIEW stream_segments AS
SELECT s.session, s.conn, s.token_key, s.seq AS start_seq, s.received_at AS started_at,
       e.received_at AS ended_at,
       CASE e.kind WHEN 0 THEN 'snapshot' WHEN 3 THEN 'tick_size_change' WHEN 8 THEN 'ended'
       END AS end_cause
FROM book_event_rows s
LEFT JOIN LATERAL (
  SELECT n.kind, n.received_at FROM book_event_rows n
  WHERE n.token_key = s.token_key AND n.kind IN (0, 3, 8)
    AND (n.received_at, n.session, n.seq) > (s.received_at, s.session, s.seq)
  ORDER BY n.received_at, n.session, n.seq
  LIMIT 1
) e ON true
WHERE s.kind = 0;
