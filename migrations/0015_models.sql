-- Versioned probability models (issue 28, models/store.ts): what `pmcollect model fit` fitted,
-- on which training window, horizons and features, its parameters (the fitted maps per fold
-- and cell, plain JSON) and its out-of-sample metrics. `hash` is the SHA-256 of the canonical
-- JSON of method, window, horizons, features and parameters: refitting the same data to the
-- same model finds the stored version instead of adding a copy.
CREATE TABLE models (
  version      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  method       text NOT NULL,
  train_from   timestamptz NOT NULL,
  train_until  timestamptz NOT NULL,
  horizons     text[] NOT NULL,
  features     text[] NOT NULL,
  params       jsonb NOT NULL,
  metrics      jsonb NOT NULL,
  hash         text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  CHECK (train_from <= train_until)
);
