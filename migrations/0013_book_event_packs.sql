-- Packed level changes (issue 15: the stream at ≤ 0.5 GB per venue day). Once a 6-hour window
-- of the recorded stream (the hypertable's chunk, UTC 00, 06, 12, 18) is closed, the recorder
-- moves its plain level rows (kinds 1, 2 and 9 with integer side, price and size, nothing in
-- `exact`) into packs: one row per token, session, connection and window, at most 2,000 level
-- changes, their columns delta-encoded as varints in one `bytea` (stream/pack.ts) that
-- PostgreSQL compresses further on its own (TOAST, tried from 128 bytes on and kept in line).
-- Everything else (snapshot headers, tick changes, markers, rows with `exact`) stays in
-- `book_event_rows`. `book_events` and `book_events_between` read both.
--
-- `data` holds five columns one after another, each a run of unsigned LEB128 varints: the seq
-- deltas (n − 1 of them, from `first_seq`), the receive-time deltas in ms (n − 1, zigzag, from
-- `first_at`), the price deltas (n, zigzag, from 0) times 8 plus the tag (kind 1, 2, 9 as 0, 1,
-- 2, times 2, plus side), the sizes (n) and the ts_lag deltas (n, zigzag, from 0); prices and
-- sizes in the stored units of 0011.
CREATE TABLE book_event_packs (
  token_key int4        NOT NULL,
  session   int8        NOT NULL,
  conn      int4        NOT NULL,
  first_seq int8        NOT NULL,
  last_seq  int8        NOT NULL,
  first_at  timestamptz NOT NULL,
  last_at   timestamptz NOT NULL,
  n         int4        NOT NULL,
  data      bytea       NOT NULL,
  PRIMARY KEY (token_key, session, first_seq)
);
ALTER TABLE book_event_packs ALTER COLUMN data SET STORAGE MAIN;
ALTER TABLE book_event_packs SET (toast_tuple_target = 128);
-- Packs are written window after window: a BRIN index finds a window's packs for a few bytes.
CREATE INDEX book_event_packs_time ON book_event_packs USING brin (first_at);

-- The varints of a pack's `data`, in order.
CREATE FUNCTION book_event_pack_varints(packed bytea) RETURNS int8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  -- Decompressed once here: get_byte on a compressed value would decompress it at every call.
  data bytea := packed || ''::bytea;
  out int8[] := '{}';
  i int := 0;
  len int := length(data);
  v int8;
  shift int;
  b int;
BEGIN
  WHILE i < len LOOP
    b := get_byte(data, i);
    i := i + 1;
    -- Most varints are one byte: a quarter faster with this path.
    IF b < 128 THEN
      out := out || b::int8;
      CONTINUE;
    END IF;
    v := b & 127;
    shift := 7;
    LOOP
      b := get_byte(data, i);
      i := i + 1;
      v := v | ((b & 127)::int8 << shift);
      EXIT WHEN b < 128;
      shift := shift + 7;
    END LOOP;
    out := out || v;
  END LOOP;
  RETURN out;
END $$;

-- A pack's rows, as `book_event_rows` holds them.
CREATE FUNCTION book_event_unpack(p book_event_packs)
RETURNS SETOF book_event_rows
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  v int8[] := book_event_pack_varints(p.data);
  n int := p.n;
  seq int8 := p.first_seq;
  at_ms int8 := 0;
  price int8 := 0;
  lag int8 := 0;
  tag int8;
  d int8;
  i int;
  r book_event_rows;
BEGIN
  IF cardinality(v) <> 5 * n - 2 THEN
    RAISE EXCEPTION 'book_event_packs (%, %, %): % varints for % rows',
      p.token_key, p.session, p.first_seq, cardinality(v), n;
  END IF;
  r.session := p.session;
  r.conn := p.conn;
  r.token_key := p.token_key;
  FOR i IN 1..n LOOP
    IF i > 1 THEN
      seq := seq + v[i - 1];
      d := v[n - 1 + i - 1];
      at_ms := at_ms + ((d >> 1) # -(d & 1));
    END IF;
    tag := v[2 * n - 2 + i];
    d := tag >> 3;
    price := price + ((d >> 1) # -(d & 1));
    d := v[4 * n - 2 + i];
    lag := lag + ((d >> 1) # -(d & 1));
    r.seq := seq;
    r.kind := (ARRAY[1, 2, 9])[((tag & 7) >> 1) + 1]::int2;
    r.side := (tag & 1)::int2;
    r.price := price::int4;
    r.size := v[3 * n - 2 + i];
    r.ts_lag := lag;
    r.received_at := p.first_at + at_ms * interval '1 millisecond';
    RETURN NEXT r;
  END LOOP;
END $$;

-- The stored rows of [from, to): the table's and the packs'.
CREATE FUNCTION book_event_rows_between(from_at timestamptz, to_at timestamptz)
RETURNS SETOF book_event_rows
LANGUAGE sql STABLE AS $$
  SELECT * FROM book_event_rows WHERE received_at >= from_at AND received_at < to_at
  UNION ALL
  SELECT u.* FROM book_event_packs p CROSS JOIN LATERAL book_event_unpack(p) u
  WHERE p.first_at < to_at AND p.last_at >= from_at
    -- A pack lies within one 6-hour window: this bounds the index scan.
    AND p.first_at > from_at - interval '6 hours'
    AND u.received_at >= from_at AND u.received_at < to_at
$$;

-- `book_events` of [from, to), as the view below gives them, reading only the packs of the
-- interval: the way to read an interval of the stream in SQL (the export reads days so).
CREATE FUNCTION book_events_between(from_at timestamptz, to_at timestamptz)
RETURNS TABLE (session int8, seq int8, conn int4, token_key int4, kind int2, side int2,
               price int4, size int8, ts timestamptz, received_at timestamptz, exact jsonb)
LANGUAGE sql STABLE AS $$
  SELECT r.session, r.seq + m.mirror, r.conn,
         CASE WHEN m.mirror = 0 THEN r.token_key ELSE p.token_key END,
         (CASE WHEN r.kind = 9 THEN 2 ELSE r.kind END)::int2,
         CASE WHEN m.mirror = 0 THEN r.side ELSE (1 - r.side)::int2 END,
         CASE WHEN m.mirror = 0 THEN r.price * 100 ELSE 1000000 - r.price * 100 END,
         r.size * (CASE WHEN r.kind = 4 THEN 100 ELSE 10000 END),
         r.received_at - r.ts_lag * interval '1 millisecond',
         r.received_at,
         CASE WHEN m.mirror = 0 THEN r.exact END
  FROM book_event_rows_between(from_at, to_at) r
  LEFT JOIN token_pairs p ON r.kind = 9 AND p.sibling_key = r.token_key
  CROSS JOIN LATERAL (SELECT 0 AS mirror UNION ALL SELECT 1 WHERE p.token_key IS NOT NULL) m
$$;

-- The whole stream, packs included. A filter on `received_at` here still unpacks every pack:
-- for an interval, use book_events_between.
CREATE OR REPLACE VIEW book_events AS
SELECT * FROM book_events_between('-infinity', 'infinity');
