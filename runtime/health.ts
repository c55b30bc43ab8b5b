/**
 * Health for operators: `GET /healthz` (200 when every task is healthy, with status "degraded"
 * and the reasons when a task reports `degraded`, e.g. the disk guard; 503 with reasons) and
 * `GET /metrics` (Prometheus text format) served on 127.0.0.1 only, plus one `task_health`
 * JSON log line per task per interval (default a minute) built from what the tasks report, and
 * one `event_loop` line with the worst event-loop lag of the interval and since start.
 * `POST /kill` (optional JSON body `{"reason": "...", "by": "..."}`) calls the kill switch
 * (execution/kill_switch.ts) when the process trades, and answers with what it did; 404 when
 * it does not trade.
 *
 * @example
 * ```ts
 * import { runHealthLog, serveHealth } from "./health.ts";
 * const server = serveHealth(supervisor, { port: 9464, signal, log });
 * const logging = runHealthLog(supervisor, { signal, log });
 * await Promise.all([server.done, logging]);
 * ```
 */
import { setInterval as every } from "node:timers/promises";
import type { Logger } from "./log.ts";
import type { LoopLag } from "./loop_lag.ts";
import type { Metrics } from "./_metrics.ts";
import { createMetrics } from "./_metrics.ts";
import type { TaskHealth } from "./supervisor.ts";
import { ConfigError } from "./config.ts";
import { z } from "zod";

/** The body of `POST /kill`; both fields are optional. */
const KILL_BODY = z.object({
  reason: z.string().min(1).max(500).default("POST /kill"),
  by: z.string().min(1).max(100).default("http"),
});

/** What health reads: the supervisor satisfies it. */
export interface HealthSource {
  health(): TaskHealth[];
  readonly metrics: Metrics;
  /** Venue hosts failing right now (each one makes `/healthz` unhealthy at once). */
  unreachable?(): readonly { host: string; detail: string }[];
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** One line per unhealthy task, e.g. "prices: crash_loop (HTTP 503)". */
  readonly reasons: readonly string[];
  /** One line per task that works but reports `degraded`, e.g. "disk: disk 4.1% free ...". */
  readonly degraded: readonly string[];
}

/**
 * A task is unhealthy when crash-looping, stopped, or when it reported `unhealthy`; the whole
 * process is also unhealthy while a venue host cannot be reached.
 */
export function assessHealth(
  tasks: readonly TaskHealth[],
  unreachable: readonly { host: string; detail: string }[] = [],
): HealthVerdict {
  const reasons: string[] = unreachable.map((u) => `cannot reach ${u.host}: ${u.detail}`);
  const degraded: string[] = [];
  for (const task of tasks) {
    if (task.state === "crash_loop" || task.state === "stopped") {
      const why = task.lastError === null ? "" : ` (${task.lastError})`;
      reasons.push(`${task.name}: ${task.state}${why}`);
    }
    const own = task.report.unhealthy;
    if (typeof own === "string" && own !== "") reasons.push(`${task.name}: ${own}`);
    const worn = task.report.degraded;
    if (typeof worn === "string" && worn !== "") degraded.push(`${task.name}: ${worn}`);
  }
  return { healthy: reasons.length === 0, reasons, degraded };
}

/** The registry's series plus per-task state and restarts and process memory. */
export function renderMetrics(source: HealthSource, options: { now?: () => number } = {}): string {
  const now = options.now ?? Date.now;
  const extra = createMetrics();
  for (const task of source.health()) {
    const labels = { task: task.name };
    extra.gauge("pmcollect_task_up", labels, task.state === "running" ? 1 : 0);
    extra.gauge("pmcollect_task_crash_loop", labels, task.state === "crash_loop" ? 1 : 0);
    extra.gauge("pmcollect_task_restarts", labels, task.restarts);
    if (task.lastStartAt !== null) {
      extra.gauge("pmcollect_task_uptime_seconds", labels, (now() - task.lastStartAt) / 1000);
    }
  }
  extra.gauge("process_resident_memory_bytes", {}, Deno.memoryUsage().rss);
  const unreachable = source.unreachable?.() ?? [];
  extra.gauge("pmcollect_venue_hosts_unreachable", {}, unreachable.length);
  const verdict = assessHealth(source.health(), unreachable);
  extra.gauge("pmcollect_healthy", {}, verdict.healthy ? 1 : 0);
  extra.gauge("pmcollect_degraded", {}, verdict.degraded.length > 0 ? 1 : 0);
  return source.metrics.render() + extra.render();
}

/**
 * Checks before anything starts that 127.0.0.1:`port` can be bound, so a port in use is one
 * clear line (naming the port and the setting) instead of a failure after the collectors run.
 * @throws {ConfigError} naming PMCOLLECT_HEALTH_PORT when the port is taken.
 */
export function assertHealthPortFree(port: number): void {
  if (port === 0) return;
  let listener: Deno.Listener | undefined;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new ConfigError(
      "PMCOLLECT_HEALTH_PORT",
      `port ${port} on 127.0.0.1 is already in use (another pmcollect?); choose another ` +
        `with PMCOLLECT_HEALTH_PORT or --health-port, or 0 to turn /healthz off`,
      { cause: err },
    );
  } finally {
    listener?.close();
  }
}

export interface HealthServer {
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
  /** Resolves once the server has stopped after `signal` aborted. */
  readonly done: Promise<void>;
}

/**
 * Serves `/healthz` and `/metrics` on 127.0.0.1:`port` until `signal` aborts. Port 0 binds an
 * ephemeral port (main.ts does not call this when the configured port is 0 = off).
 */
export function serveHealth(
  source: HealthSource,
  options: {
    port: number;
    signal: AbortSignal;
    log: Logger;
    /** The kill switch, when this process trades. */
    kill?: (request: { reason: string; by: string }) => Promise<unknown>;
  },
): HealthServer {
  const { log } = options;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    signal: options.signal,
    onListen: ({ port }) => log.info("health_listening", { host: "127.0.0.1", port }),
  }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/kill" && request.method === "POST") {
      if (options.kill === undefined) return new Response("not trading\n", { status: 404 });
      const body = KILL_BODY.safeParse(await request.json().catch(() => ({})));
      if (!body.success) return new Response("expected {reason?, by?}\n", { status: 400 });
      log.warn("kill_requested", { via: "http", reason: body.data.reason });
      return Response.json(await options.kill(body.data));
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET" } });
    }
    if (path === "/healthz") {
      const tasks = source.health();
      const verdict = assessHealth(tasks, source.unreachable?.() ?? []);
      const status = !verdict.healthy
        ? "unhealthy"
        : verdict.degraded.length > 0
        ? "degraded"
        : "ok";
      return Response.json(
        { status, reasons: [...verdict.reasons, ...verdict.degraded], tasks },
        { status: verdict.healthy ? 200 : 503 },
      );
    }
    if (path === "/metrics") {
      return new Response(renderMetrics(source), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return new Response("not found\n", { status: 404 });
  });
  return { port: server.addr.port, done: server.finished };
}

/**
 * Logs one `task_health` line per task every `intervalMs` (default 60 s) until `signal`
 * aborts: state, restarts, last error and every field the task reported (rowsWritten,
 * errors, rejects, lastSuccessAt, lagMs, ...).
 */
export async function runHealthLog(
  source: HealthSource,
  options: { signal: AbortSignal; log: Logger; intervalMs?: number; lag?: LoopLag },
): Promise<void> {
  const { signal, log, lag } = options;
  try {
    for await (const _ of every(options.intervalMs ?? 60_000, undefined, { signal })) {
      for (const task of source.health()) {
        const { name, state, restarts, lastError, report } = task;
        log.info("task_health", { ...report, task: name, state, restarts, lastError });
      }
      if (lag !== undefined) {
        log.info("event_loop", {
          lagMaxMs: Math.round(lag.takeWindow()),
          lagWorstMs: Math.round(lag.worstMs),
        });
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
