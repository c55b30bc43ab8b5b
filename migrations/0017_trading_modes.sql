-- Trading modes (issue 30, execution/trading_state.ts; docs/execution.md, "Risk limits and the
-- kill switch"): active → reducing (only orders that reduce exposure) → halted. `halted` stays
-- the column `recordIntent` reads, kept equal to mode = 'halted' by a check, so the ledger's
-- refusal of every new order while halted is unchanged.
ALTER TABLE trading_state ADD COLUMN mode text NOT NULL DEFAULT 'active'
  CHECK (mode IN ('active', 'reducing', 'halted'));
UPDATE trading_state SET mode = CASE WHEN halted THEN 'halted' ELSE 'active' END;
ALTER TABLE trading_state ADD CONSTRAINT trading_state_mode_halted CHECK (halted = (mode = 'halted'));

-- Every change of mode, with who made it and why: the kill switch's and the breaches' audit.
CREATE TABLE trading_state_changes (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  mode             text NOT NULL CHECK (mode IN ('active', 'reducing', 'halted')),
  reason           text,
  changed_by       text
);
