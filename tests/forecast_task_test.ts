/**
 * The forecasts task's loop: a database that is away is said once and tried again at each
 * pass, not a crash (as the relations refresh); the pass itself is tested against a seeded
 * database in forecast_db_test.ts.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { createLogger } from "../runtime/log.ts";
import { until } from "./_trades_harness.ts";
import { runForecastTask } from "../models/forecast_task.ts";

Deno.test("forecasts task: a database that is away is said once and tried again, not a crash", async () => {
  const lines: { event: string; level: string }[] = [];
  const log = createLogger({}, { write: (l) => lines.push(JSON.parse(l)) });
  // Nothing listens on port 1: every statement fails with a connection error.
  const sql = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1, connect_timeout: 1 });
  const controller = new AbortController();
  const running = runForecastTask({ sql, log, intervalMs: 50 }, controller.signal);
  await until(() => lines.length > 0, 10_000);
  // Several more passes fail while the database stays away: still one line.
  await sleep(300);
  controller.abort(new Error("test over"));
  await assert.rejects(
    running,
    (err: Error) => err.name === "AbortError" || /test over/.test(String(err)),
  );
  await sql.end({ timeout: 1 });
  assert.deepStrictEqual(lines.map((l) => [l.level, l.event]), [["warn", "forecasts_db_down"]]);
});
