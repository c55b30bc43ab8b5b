import assert from "node:assert/strict";
import { createMetrics } from "../runtime/_metrics.ts";
import { silentLogger } from "../runtime/log.ts";
import { migrate } from "../db/migrate.ts";
import { recordGaps, recordRejects } from "../db/ops.ts";
import { withDatabase } from "../tests/_db.ts";
import { runQualityMetrics } from "./quality_metrics.ts";

Deno.test("runQualityMetrics() exposes gaps, rejects and coverage as gauges", () =>
  withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    const now = Date.now();
    await recordGaps(db.sql, [{
      collector: "prices",
      scope: "*",
      startAt: new Date(now - 30 * 60_000),
      endAt: new Date(now - 10 * 60_000),
      cause: "api_down",
    }]);
    await recordRejects(db.sql, [{
      source: "ws:market",
      reason: "bad price",
      path: "$",
      raw: "{}",
    }]);
    const metrics = createMetrics();
    const controller = new AbortController();
    const running = runQualityMetrics(db.sql, metrics, {
      signal: controller.signal,
      log,
      firstDelayMs: 0,
      intervalMs: 60_000,
    });
    let text = "";
    for (let i = 0; i < 100 && !text.includes("pmcollect_quality_gap_minutes"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = metrics.render();
    }
    controller.abort();
    await running;
    assert.match(text, /pmcollect_quality_gap_minutes\{collector="prices",cause="api_down"\} 20\b/);
    assert.match(text, /pmcollect_quality_gaps_open\{collector="prices",cause="api_down"\} 1\b/);
    assert.match(text, /pmcollect_quality_rejects\{source="ws:market",reason="bad price"\} 1\b/);
    assert.match(text, /pmcollect_quality_tokens_active\{window="24h"\} 0\b/);
  }));
