import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger, silentLogger } from "./log.ts";
import { assessHealth, runHealthLog, serveHealth } from "./health.ts";
import { LoopLag } from "./loop_lag.ts";
import { runSupervisor, type TaskSpec } from "./supervisor.ts";

const forever = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** Parses Prometheus text: every sample line belongs to a `# TYPE`d family; returns samples. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    const type = line.match(/^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram)$/);
    if (type) {
      assert.ok(!types.has(type[1]!), `one TYPE line for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/);
    assert.ok(sample, `sample line: ${line}`);
    const base = sample[1]!.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(sample[1]!) || types.get(base) === "histogram", `typed: ${line}`);
    assert.ok(!Number.isNaN(Number(sample[3]!.replace("+Inf", "Infinity"))), `value: ${line}`);
    samples.set(sample[1]! + (sample[2] ?? ""), Number(sample[3]));
  }
  return samples;
}

async function withServer(tasks: TaskSpec[], fn: (base: string) => Promise<void>) {
  const root = new AbortController();
  const supervisor = runSupervisor(tasks, {
    signal: root.signal,
    log: silentLogger(),
    sleep: (_ms, signal) => delay(5, undefined, { signal }),
    crashLoopThreshold: 3,
  });
  const server = serveHealth(supervisor, { port: 0, signal: root.signal, log: silentLogger() });
  try {
    await fn(`http://127.0.0.1:${server.port}`);
  } finally {
    root.abort();
    await Promise.all([supervisor.done, server.done]);
  }
}

Deno.test("serveHealth() answers 200 on /healthz while every task is healthy", () =>
  withServer([{ name: "prices", run: forever }], async (base) => {
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.status, "ok");
    assert.deepEqual(body.reasons, []);
    assert.equal(body.tasks[0].name, "prices");
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  }));

Deno.test("serveHealth() answers 503 with reasons for a crash loop and a task's own report", () =>
  withServer([
    { name: "books", run: () => Promise.reject(new Error("HTTP 503")) },
    {
      name: "prices",
      run: (signal, ctx) => {
        ctx.report({ unhealthy: "no snapshot for 180 s" });
        return forever(signal);
      },
    },
  ], async (base) => {
    let body: { status: string; reasons: string[] } = { status: "", reasons: [] };
    for (let i = 0; i < 200 && body.reasons.length < 2; i++) {
      const response = await fetch(`${base}/healthz`);
      body = await response.json();
      if (body.reasons.length < 2) await delay(5);
      else assert.equal(response.status, 503);
    }
    assert.equal(body.status, "unhealthy");
    assert.deepEqual(body.reasons, [
      "books: crash_loop (HTTP 503)",
      "prices: no snapshot for 180 s",
    ]);
  }));

Deno.test("serveHealth() serves /metrics in the Prometheus text format", () =>
  withServer([{
    name: "prices",
    run: (signal, ctx) => {
      ctx.counter("rows_written_total", 1200);
      ctx.gauge("lag_seconds", 2.5);
      for (const s of [0.07, 0.4, 3]) ctx.observe("cycle_duration_seconds", s);
      return forever(signal);
    },
  }], async (base) => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await response.text());
    assert.equal(samples.get('pmcollect_rows_written_total{task="prices"}'), 1200);
    assert.equal(samples.get('pmcollect_lag_seconds{task="prices"}'), 2.5);
    assert.equal(samples.get('pmcollect_cycle_duration_seconds_bucket{task="prices",le="0.1"}'), 1);
    assert.equal(samples.get('pmcollect_cycle_duration_seconds_bucket{task="prices",le="0.5"}'), 2);
    assert.equal(
      samples.get('pmcollect_cycle_duration_seconds_bucket{task="prices",le="+Inf"}'),
      3,
    );
    assert.equal(samples.get('pmcollect_cycle_duration_seconds_count{task="prices"}'), 3);
    assert.equal(samples.get('pmcollect_task_restarts{task="prices"}'), 0);
    assert.equal(samples.get('pmcollect_task_up{task="prices"}'), 1);
    assert.ok((samples.get("process_resident_memory_bytes") ?? 0) > 1_000_000);
  }));

Deno.test("runHealthLog() writes one task_health line per task per interval with reported fields", async () => {
  const root = new AbortController();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const supervisor = runSupervisor([{
    name: "trades",
    run: (signal, ctx) => {
      ctx.report({ rowsWritten: 10, errors: 0, rejects: 1, lastSuccessAt: "x", lagMs: 40 });
      return forever(signal);
    },
  }], { signal: root.signal, log: silentLogger() });
  const logging = runHealthLog(supervisor, { signal: root.signal, log, intervalMs: 10 });
  while (lines.length < 2) await delay(5);
  root.abort();
  await Promise.all([logging, supervisor.done]);
  assert.deepEqual(
    { ...lines[0], ts: undefined },
    {
      ts: undefined,
      level: "info",
      event: "task_health",
      task: "trades",
      state: "running",
      restarts: 0,
      lastError: null,
      rowsWritten: 10,
      errors: 0,
      rejects: 1,
      lastSuccessAt: "x",
      lagMs: 40,
    },
  );
});

Deno.test("assessHealth() is unhealthy at once while a venue host cannot be reached", () => {
  const verdict = assessHealth([], [{
    host: "gamma-api.polymarket.com",
    detail: "DNS lookup failed",
  }]);
  assert.equal(verdict.healthy, false);
  assert.deepEqual(verdict.reasons, ["cannot reach gamma-api.polymarket.com: DNS lookup failed"]);
});

Deno.test("runHealthLog() adds one event_loop line per interval with the worst lag of the interval and since start", async () => {
  const root = new AbortController();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const supervisor = runSupervisor([], { signal: root.signal, log: silentLogger() });
  const lag = new LoopLag();
  lag.record(250.4);
  const logging = runHealthLog(supervisor, { signal: root.signal, log, intervalMs: 10, lag });
  while (lines.length < 2) await delay(5);
  root.abort();
  await Promise.all([logging, supervisor.done]);
  assert.deepEqual(
    lines.slice(0, 2).map((l) => [l.event, l.lagMaxMs, l.lagWorstMs]),
    [["event_loop", 250, 250], ["event_loop", 0, 250]],
  );
});
