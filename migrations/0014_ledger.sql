-- The books of account (issue 29, execution/ledger.ts; docs/execution.md, "Ledger"). Written
-- before and after every broker call, so that a process killed at any instant leaves a state
-- the next start can finish: an intent whose outcome is unknown is looked up at the broker by
-- its client order id, never sent again blindly. Decimals are numeric (prices, sizes,
-- collateral), never floats.

-- One row per order we mean to send, written BEFORE the broker is called. `state`:
-- pending   recorded; the broker may or may not have it (the outcome is unknown)
-- acked     the broker accepted it (an `orders` row holds it)
-- rejected  the broker refused it (`error` says why)
-- unsent    found pending after a restart and unknown to the broker: it never arrived; a
--           strategy that still wants it sends a new intent with a new client order id
CREATE TABLE intents (
  client_order_id  text PRIMARY KEY,
  token_id         text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type       text NOT NULL CHECK (order_type IN ('GTC', 'GTD', 'FOK', 'FAK')),
  price            numeric NOT NULL CHECK (price > 0 AND price < 1),
  size             numeric NOT NULL CHECK (size > 0),
  post_only        boolean NOT NULL,
  expiration       bigint,
  state            text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'acked', 'rejected', 'unsent')),
  error            text,
  retryable        boolean,
  created_at       timestamptz NOT NULL DEFAULT now(),
  settled_at       timestamptz
);
CREATE INDEX intents_pending ON intents (created_at) WHERE state = 'pending';

-- One row per order the broker holds, written when it acknowledges (or when a restart finds
-- it), kept at the broker's latest status.
CREATE TABLE orders (
  order_id         text PRIMARY KEY,
  client_order_id  text UNIQUE REFERENCES intents (client_order_id),
  token_id         text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type       text NOT NULL,
  price            numeric NOT NULL,
  original_size    numeric NOT NULL,
  size_matched     numeric NOT NULL DEFAULT 0,
  status           text NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_open ON orders (token_id) WHERE status = 'LIVE';

-- Every status the broker reported for an order, in the order it was booked; a report that
-- repeats one already stored (same status and matched size) is not stored again.
CREATE TABLE order_events (
  id               bigserial PRIMARY KEY,
  order_id         text NOT NULL REFERENCES orders (order_id),
  status           text NOT NULL,
  size_matched     numeric NOT NULL,
  at               timestamptz NOT NULL,
  source           text NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, status, size_matched)
);

-- One row per fill of one of our orders; the fill id makes booking it twice a no-op.
CREATE TABLE fills (
  fill_id          text PRIMARY KEY,
  order_id         text NOT NULL,
  client_order_id  text,
  token_id         text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  price            numeric NOT NULL,
  size             numeric NOT NULL CHECK (size > 0),
  fee              numeric NOT NULL,
  liquidity        text NOT NULL CHECK (liquidity IN ('maker', 'taker')),
  at               timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fills_order ON fills (order_id);

-- Holdings per token, a running sum kept in the same transaction as each fill or conversion
-- (docs/execution.md says why a table and not a view over fills). `cost` is the average-cost
-- basis of what is held (fees apart); `realized` the P&L of what was sold; `fees` the fees paid
-- on this token's fills.
CREATE TABLE positions (
  token_id         text PRIMARY KEY,
  size             numeric NOT NULL,
  cost             numeric NOT NULL,
  realized         numeric NOT NULL DEFAULT 0,
  fees             numeric NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Collateral movements; the balance is their sum. (reason, ref) makes each booking idempotent:
-- a fill books ('fill', fill id) and ('fee', fill id), a conversion ('conversion', its id).
CREATE TABLE cash (
  id               bigserial PRIMARY KEY,
  reason           text NOT NULL
                   CHECK (reason IN ('fill', 'fee', 'conversion', 'deposit', 'withdrawal',
                                     'adjustment')),
  ref              text NOT NULL,
  amount           numeric NOT NULL,
  at               timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (reason, ref)
);

-- Splits, merges, neg-risk conversions and redemptions: tokens in and out for collateral.
-- `legs` is [{tokenId, size, cost}] with signed size and cost-basis changes.
CREATE TABLE conversions (
  conversion_id    text PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('split', 'merge', 'convert', 'redeem')),
  legs             jsonb NOT NULL,
  collateral       numeric NOT NULL,
  at               timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);

-- Every comparison of the ledger with the broker; a row with differences halts trading.
CREATE TABLE reconciliations (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  ok               boolean NOT NULL,
  differences      jsonb NOT NULL,
  cleared_at       timestamptz,
  cleared_by       text
);

-- One row: whether new orders may be sent. A reconciliation difference sets it; a person
-- clears it (`pmcollect resume`, or the kill switch of the next issue).
CREATE TABLE trading_state (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  halted           boolean NOT NULL,
  reason           text,
  since            timestamptz NOT NULL DEFAULT now(),
  updated_by       text
);
INSERT INTO trading_state (halted, reason, updated_by) VALUES (false, NULL, 'migration');
