-- One gaps row per websocket connection outage instead of one per token (issue 12: a
-- full-universe reconnect storm wrote 590,003 rows in 5 minutes). Such a row has
-- scope 'conn:<connection id>' and lists the tokens it left uncovered; every token in it
-- was uncovered over [start_at, end_at]. NULL for rows whose scope names their token
-- ('*', a token id, a market), as every row before this migration does.
ALTER TABLE gaps ADD COLUMN tokens text[];
