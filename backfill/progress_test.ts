import assert from "node:assert/strict";
import { createProgressReporter, formatDuration, formatProgressBar } from "./progress.ts";

Deno.test("formatProgressBar() shows percent, rate, rows and ETA", () => {
  const bar = formatProgressBar(
    { requests: 50, totalRequests: 100, rows: 1200, elapsedMs: 10_000 },
    10,
  );
  assert.equal(bar, "[#####.....]  50% 50/100 req  5.0 req/s  1200 rows  ETA 0:10");
  assert.match(
    formatProgressBar({ requests: 0, totalRequests: 10, rows: 0, elapsedMs: 0 }),
    /ETA \?$/,
  );
  assert.equal(formatDuration(3909), "1:05:09");
});

Deno.test("createProgressReporter() writes throttled JSON lines off a terminal", () => {
  let t = 0;
  const out: string[] = [];
  const reporter = createProgressReporter({
    terminal: false,
    totalRequests: 10,
    write: (s) => out.push(s),
    now: () => t,
    intervalMs: 1000,
  });
  for (let i = 1; i <= 10; i++) {
    t += 400;
    reporter.update({ requests: i, rows: i * 3 });
  }
  reporter.finish();
  const lines = out.map((s) => JSON.parse(s));
  assert.deepEqual(lines.map((l) => l.event), [
    "backfill_progress",
    "backfill_progress",
    "backfill_progress",
    "backfill_progress",
    "backfill_done",
  ]);
  assert.deepEqual(lines.at(-1), {
    event: "backfill_done",
    requests: 10,
    totalRequests: 10,
    rows: 30,
    requestsPerSecond: 2.5,
    etaS: 0,
    durationMs: 4000,
  });
});

Deno.test("createProgressReporter() redraws one line on a terminal", () => {
  const out: string[] = [];
  const reporter = createProgressReporter({
    terminal: true,
    totalRequests: 4,
    write: (s) => out.push(s),
    now: () => 1,
  });
  reporter.update({ requests: 1, rows: 0 });
  reporter.finish();
  assert.ok(out.every((s) => s.startsWith("\r[")));
  assert.ok(out.at(-1)!.endsWith("\n"));
});
