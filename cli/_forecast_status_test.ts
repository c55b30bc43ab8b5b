import assert from "node:assert/strict";
import { formatForecastStatus } from "./_forecast_status.ts";

Deno.test("formatForecastStatus() gives live skill against the market and the task's last pass", () => {
  const running = {
    kind: "running" as const,
    port: 9464,
    tasks: new Map([["forecasts", {
      state: "running",
      at: "2026-12-06T10:00:00.000Z",
      markets: 41,
      modelVersion: 3,
    }]]),
  };
  assert.equal(
    formatForecastStatus({ scored: 12, unscored: 80, brier: 0.15, marketBrier: 0.16 }, running),
    "forecasts: 12 scored, Brier 0.1500 vs market 0.1600 (better); 80 rows awaiting resolution; " +
      "task: last pass at 2026-12-06T10:00:00.000Z (41 markets, model 3)",
  );
  const off = { kind: "running" as const, port: 9464, tasks: new Map() };
  assert.equal(
    formatForecastStatus({ scored: 0, unscored: 0, brier: NaN, marketBrier: NaN }, off),
    "forecasts: none scored yet; 0 rows awaiting resolution; task: off in the running collector " +
      "(PMCOLLECT_FORECAST_S=0)",
  );
});
