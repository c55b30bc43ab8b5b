-- What came of every trade the executor was handed (issue 30, execution/trade_outcomes.ts;
-- docs/execution.md, "The day report"): one row per scanner episode or model forecast, acted on
-- or declined, written when the trade is over. `pmcollect report --day` reads it per channel;
-- the orders and fills themselves are in the ledger's tables beside it.
-- - channel: the plan's channel (neg_risk_conversion, neg_risk_basket, implication) or
--   model_edge; subject: the relation key, or the forecast's token id.
-- - outcome: declined (the playbook or the risk engine sent nothing), missed (sent, nothing
--   filled), filled_whole, filled_short, unwound (a leftover sold back).
-- - planned_edge: the plan's profit after fees (a model trade: its EV, q × shares − cost);
--   pnl: collateral in less out, plus complete sets at their payoff (a model trade: its shares
--   marked at the best bid when it ended); capital: collateral spent on buys and fees.
CREATE TABLE trade_outcomes (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL,
  channel       text NOT NULL,
  subject       text NOT NULL,
  outcome       text NOT NULL
                CHECK (outcome IN ('declined', 'missed', 'filled_whole', 'filled_short', 'unwound')),
  reason        text NOT NULL,
  planned_edge  numeric NOT NULL,
  pnl           numeric NOT NULL,
  capital       numeric NOT NULL,
  orders        integer NOT NULL,
  refused       integer NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trade_outcomes_at ON trade_outcomes (at);
