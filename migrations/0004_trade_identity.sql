-- Trade identity: one key per fill, whichever source saw it (docs/schema.md, "Trade identity").
--
-- v0.1 keyed a websocket trade by its millisecond and a Data API trade by its second with a
-- "da:" prefix, so a fill caught live and backfilled was stored twice. From here on:
--   ts          = the venue second (the precision both sources share; it stays the hypertable's
--                 partitioning column, so the primary key (token_id, ts, trade_key) is unchanged)
--   trade_key   = sha256(token \n unix second \n price \n size \n side \n lower(tx hash))[0..24]
--                 || '#' || ordinal among identical tuples of one source
--   exchange_ts = the venue millisecond when the source gives it (the websocket), else null
--   received_at = when the websocket delivered it; backfill_received_at = when the Data API
--                 backfill fetched it (both set when both saw it); source = who stored it first
--
-- Existing rows are re-keyed here with the same hash as db/trade_identity.ts. A fill that v0.1
-- stored twice (a "ws" row and a "data_api" row with the same identity and ordinal) becomes one
-- row: the live row is kept and the backfill sighting recorded on it. No other row is removed.
-- v0.1 did not record when a backfilled trade was fetched: its backfill_received_at becomes the
-- last update of the backfill window that holds it, or the migration time when there is none.
-- Plain SQL (no TimescaleDB function), so one file serves both modes: on a hypertable the
-- UPDATE keeps every row in its chunk (a chunk starts on a whole second).

ALTER TABLE trades ADD COLUMN exchange_ts timestamptz;
ALTER TABLE trades ADD COLUMN backfill_received_at timestamptz;

CREATE TEMP TABLE trade_identity_0004 ON COMMIT DROP AS
SELECT token_id, ts AS old_ts, trade_key AS old_key, source, received_at,
       to_timestamp(floor(extract(epoch FROM ts))) AS second,
       left(encode(sha256(convert_to(concat_ws(E'\n',
         token_id,
         floor(extract(epoch FROM ts))::bigint::text,
         trim_scale(price)::text,
         trim_scale(size)::text,
         coalesce(side, ''),
         lower(coalesce(tx_hash, ''))), 'UTF8')), 'hex'), 24) AS hash
FROM trades;

-- Ordinals are counted per source, as each source numbers the fills it sees.
CREATE TEMP TABLE trade_keyed_0004 ON COMMIT DROP AS
SELECT i.*,
       i.hash || '#' || (row_number() OVER (PARTITION BY i.token_id, i.hash, i.source
                                            ORDER BY i.old_ts, i.old_key) - 1) AS new_key
FROM trade_identity_0004 i;

-- One survivor per identity: the live row if there is one, else the earliest.
CREATE TEMP TABLE trade_merge_0004 ON COMMIT DROP AS
SELECT k.token_id, k.old_ts, k.old_key, k.source, k.second, k.new_key,
       row_number() OVER w AS rank,
       bool_or(k.source <> 'ws') OVER (PARTITION BY k.token_id, k.new_key) AS backfilled
FROM trade_keyed_0004 k
WINDOW w AS (PARTITION BY k.token_id, k.new_key
             ORDER BY (k.source = 'ws') DESC, k.received_at NULLS LAST, k.old_ts, k.old_key);

DELETE FROM trades t
USING trade_merge_0004 m
WHERE m.rank > 1 AND t.token_id = m.token_id AND t.ts = m.old_ts AND t.trade_key = m.old_key;

UPDATE trades t
SET ts = m.second,
    trade_key = m.new_key,
    exchange_ts = CASE WHEN m.source = 'ws' THEN m.old_ts END,
    backfill_received_at = CASE WHEN m.backfilled THEN coalesce(
      (SELECT max(c.updated_at) FROM backfill_checkpoints c
       WHERE c.kind = 'trades' AND c.scope = m.token_id
         AND c.start_at <= m.second AND m.second < c.end_at),
      now()) END
FROM trade_merge_0004 m
WHERE m.rank = 1 AND t.token_id = m.token_id AND t.ts = m.old_ts AND t.trade_key = m.old_key;
