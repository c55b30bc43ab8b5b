-- Plain variant of 0023 (the TimescaleDB twin is 0023_book_hash_bytes.timescale.sql: the same
-- column and view; there, rows already in compressed chunks keep their text).
--
-- A book's hash as its 20 bytes (issue 26). The venue's `hash` is 40 lower-case hex characters
-- (docs: no `0x` on REST or websocket books), one per distinct book; as text it was the
-- largest part of what a compressed book costs per distinct book. `book_hash_bytes` holds the
-- 20 bytes of such a hash and `book_hash` then stays NULL; any other value (another length,
-- upper case, a prefix) is kept verbatim in `book_hash` as before. The view gives back the same
-- text either way: encode(…, 'hex') writes lower case, which is all this column ever holds.

ALTER TABLE book_snapshot_data ADD COLUMN book_hash_bytes bytea;

UPDATE book_snapshot_data
SET book_hash_bytes = decode(book_hash, 'hex'), book_hash = NULL
WHERE book_hash ~ '^[0-9a-f]{40}$';

-- As 0008's view; only book_hash changes.
CREATE OR REPLACE VIEW book_snapshots AS
SELECT d.ts, k.token_id, c.condition_id, d.exchange_ts,
       -- Top of book, mid, spread and side totals: stored when they are not what the levels
       -- give (and then in `exact` if they do not fit, or are NULL); derived otherwise.
       CASE WHEN d.exact ? 'best_bid' THEN (d.exact->>'best_bid')::numeric
            ELSE coalesce(pm_decimal(d.best_bid), pm_decimal(d.bid_prices[1])) END AS best_bid,
       CASE WHEN d.exact ? 'best_ask' THEN (d.exact->>'best_ask')::numeric
            ELSE coalesce(pm_decimal(d.best_ask), pm_decimal(d.ask_prices[1])) END AS best_ask,
       CASE WHEN d.exact ? 'mid' THEN (d.exact->>'mid')::numeric
            ELSE coalesce(pm_decimal(d.mid),
                          trim_scale((d.bid_prices[1]::bigint + d.ask_prices[1]) * 0.0000005))
       END AS mid,
       CASE WHEN d.exact ? 'spread' THEN (d.exact->>'spread')::numeric
            ELSE coalesce(pm_decimal(d.spread),
                          trim_scale((d.ask_prices[1]::bigint - d.bid_prices[1]) * 0.000001))
       END AS spread,
       CASE WHEN d.exact ? 'bid_size' THEN (d.exact->>'bid_size')::numeric
            ELSE coalesce(pm_decimal(d.bid_size),
                          (SELECT trim_scale(coalesce(sum(s), 0) * 0.000001)
                           FROM unnest(d.bid_sizes) AS s)) END AS bid_size,
       CASE WHEN d.exact ? 'ask_size' THEN (d.exact->>'ask_size')::numeric
            ELSE coalesce(pm_decimal(d.ask_size),
                          (SELECT trim_scale(coalesce(sum(s), 0) * 0.000001)
                           FROM unnest(d.ask_sizes) AS s)) END AS ask_size,
       coalesce((d.exact->>'bid_levels')::integer, jsonb_array_length(d.exact->'bids'),
                cardinality(d.bid_prices)) AS bid_levels,
       coalesce((d.exact->>'ask_levels')::integer, jsonb_array_length(d.exact->'asks'),
                cardinality(d.ask_prices)) AS ask_levels,
       coalesce((d.exact->>'tick_size')::numeric, pm_decimal(d.tick_size)) AS tick_size,
       coalesce(d.book_hash, encode(d.book_hash_bytes, 'hex')) AS book_hash,
       coalesce(d.exact->'bids', pm_levels(d.bid_prices, d.bid_sizes)) AS bids,
       coalesce(d.exact->'asks', pm_levels(d.ask_prices, d.ask_sizes)) AS asks
FROM book_snapshot_data d
JOIN token_keys k USING (token_key)
LEFT JOIN condition_keys c USING (condition_key);
