import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "./log.ts";
import { runSupervisor, type SupervisorOptions, type TaskHealth } from "./supervisor.ts";

/** A fake clock that jumps forward by every sleep, while each sleep really yields for 1 ms. */
function harness() {
  let clock = 0;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const options = {
    log,
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms: number, signal: AbortSignal) => {
      await delay(1, undefined, { signal });
      clock += ms;
    },
  } satisfies Omit<SupervisorOptions, "signal">;
  return { options, lines, advance: (ms: number) => void (clock += ms) };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i++) await delay(2);
  assert.ok(check(), "condition reached in time");
}

function byName(list: TaskHealth[], name: string): TaskHealth {
  const found = list.find((t) => t.name === name);
  assert.ok(found);
  return found;
}

Deno.test("runSupervisor() restarts a crashed task with exponential backoff that resets after a healthy run", async () => {
  const { options, lines, advance } = harness();
  const root = new AbortController();
  let runs = 0;
  const supervisor = runSupervisor([{
    name: "flaky",
    run: async (signal) => {
      runs += 1;
      if (runs <= 3) throw new Error(`boom ${runs}`);
      if (runs === 4) {
        advance(5 * 60_000); // ran healthy for the whole reset period, then crashed
        throw new Error("late boom");
      }
      if (runs === 5) return; // returning while the parent is live is a crash too
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
  }], { ...options, signal: root.signal, crashLoopThreshold: 10 });
  await until(() => runs === 6);
  const crashes = lines.filter((l) => l.event === "task_crashed");
  assert.deepEqual(crashes.map((l) => l.retryInMs), [1_000, 2_000, 4_000, 1_000, 2_000]);
  assert.deepEqual(crashes.map((l) => l.restarts), [1, 2, 3, 4, 5]);
  assert.equal((crashes[0]?.error as { message: string }).message, "boom 1");
  assert.equal(crashes[0]?.task, "flaky");
  const health = byName(supervisor.health(), "flaky");
  assert.equal(health.state, "running");
  assert.equal(health.restarts, 5);
  assert.match(health.lastError ?? "", /returned/);
  assert.match(supervisor.metrics.render(), /pmcollect_task_restarts_total\{task="flaky"\} 5/);
  root.abort();
  await supervisor.done;
  assert.equal(byName(supervisor.health(), "flaky").state, "stopped");
});

Deno.test("runSupervisor() reports crash_loop for a crashing task while another keeps running", async () => {
  const { options } = harness();
  const root = new AbortController();
  let steadyRuns = 0;
  const supervisor = runSupervisor([
    { name: "broken", run: () => Promise.reject(new Error("cannot start")) },
    {
      name: "steady",
      run: async (signal, ctx) => {
        steadyRuns += 1;
        ctx.report({ rowsWritten: 42, unhealthy: null });
        ctx.counter("rows_written_total", 42);
        ctx.observe("cycle_duration_seconds", 0.3);
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
    },
  ], { ...options, signal: root.signal, crashLoopThreshold: 4, maxBackoffMs: 8_000 });
  await until(() => byName(supervisor.health(), "broken").state === "crash_loop");
  const steady = byName(supervisor.health(), "steady");
  assert.equal(steady.state, "running");
  assert.equal(steady.restarts, 0);
  assert.equal(steadyRuns, 1);
  assert.deepEqual(steady.report, { rowsWritten: 42, unhealthy: null });
  assert.match(supervisor.metrics.render(), /pmcollect_rows_written_total\{task="steady"\} 42/);
  root.abort();
  await supervisor.done;
  assert.deepEqual(supervisor.health().map((t) => t.state), ["stopped", "stopped"]);
});

Deno.test("runSupervisor() aborts every task on parent abort and resolves once all have settled", async () => {
  const { options, lines } = harness();
  const root = new AbortController();
  const cleaned: string[] = [];
  const slowStop = (name: string, ms: number) => ({
    name,
    run: async (signal: AbortSignal) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      await delay(ms); // flush in-flight work after the abort
      cleaned.push(name);
    },
  });
  const supervisor = runSupervisor([
    slowStop("a", 30),
    slowStop("b", 5),
    { name: "crashy", run: () => Promise.reject(new Error("x")) },
  ], { ...options, signal: root.signal, sleep: (ms, signal) => delay(ms, undefined, { signal }) });
  await until(() => byName(supervisor.health(), "crashy").state === "backoff");
  root.abort(new Error("shutdown"));
  await supervisor.done;
  assert.deepEqual(cleaned.sort(), ["a", "b"]);
  assert.deepEqual(supervisor.health().map((t) => t.state), ["stopped", "stopped", "stopped"]);
  assert.equal(lines.filter((l) => l.event === "task_stopped").length, 3);
});

Deno.test("runSupervisor() with zero tasks resolves when the signal aborts", async () => {
  const root = new AbortController();
  const supervisor = runSupervisor([], {
    signal: root.signal,
    log: createLogger({}, { write() {} }),
  });
  root.abort();
  await supervisor.done;
  assert.deepEqual(supervisor.health(), []);
});

Deno.test("runSupervisor() clears crash_loop once the restarted task succeeds or stays up", async () => {
  const { options, advance } = harness();
  const root = new AbortController();
  let runs = 0;
  let succeed: (() => void) | null = null;
  const supervisor = runSupervisor([{
    name: "resolutions",
    run: async (signal, ctx) => {
      runs += 1;
      if (runs <= 4) throw new Error(`database away ${runs}`);
      // Back: the first cycle succeeds when the test says so, then the task keeps running.
      await new Promise<void>((resolve) => (succeed = resolve));
      ctx.report({ lastSuccessAt: new Date(options.now()).toISOString(), unhealthy: null });
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
  }], { ...options, signal: root.signal, crashLoopThreshold: 4, recoveredAfterMs: 60_000 });
  await until(() => runs === 5);
  assert.equal(byName(supervisor.health(), "resolutions").state, "crash_loop", "not yet recovered");
  advance(1_000);
  (succeed as (() => void) | null)?.();
  await until(() => byName(supervisor.health(), "resolutions").report.lastSuccessAt !== undefined);
  const health = byName(supervisor.health(), "resolutions");
  assert.equal(health.state, "running", "a success after the restart ends the crash loop");
  assert.equal(health.crashesInWindow, 4, "the crashes are still counted");
  root.abort();
  await supervisor.done;
});

Deno.test("runSupervisor() a restarted task that stays up without reporting is no longer crash_loop", async () => {
  const { options, advance } = harness();
  const root = new AbortController();
  let runs = 0;
  const supervisor = runSupervisor([{
    name: "quiet",
    run: async (signal) => {
      runs += 1;
      if (runs <= 4) throw new Error("boom");
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
  }], { ...options, signal: root.signal, crashLoopThreshold: 4, recoveredAfterMs: 60_000 });
  await until(() => runs === 5);
  assert.equal(byName(supervisor.health(), "quiet").state, "crash_loop");
  advance(60_000);
  assert.equal(byName(supervisor.health(), "quiet").state, "running");
  root.abort();
  await supervisor.done;
});
