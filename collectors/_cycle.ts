/**
 * Per-cycle bookkeeping shared by the REST collectors: one `collector_runs` row and one
 * `cycle_done` JSON log line per cycle, rejects stored with their raw JSON text, metrics
 * (`rows_written_total`, `errors_total`, `rejects_total`, `cycle_duration_seconds`) and the
 * task report (`rowsWritten`, `lastSuccessAt`, `lagMs`, `unhealthy` after repeated failures).
 *
 * @example
 * ```ts ignore
 * import { createCycleRunner } from "./_cycle.ts";
 * const cycles = createCycleRunner(deps, { task: "prices" });
 * await cycles.run(new Date(), signal, async () => ({ rows: 10, rejects: 0, errors: 0 }));
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { Reject } from "../polymarket/batch.ts";
import { type GapRow, recordRejects } from "../db/ops.ts";
import { isConnectionError } from "../db/client.ts";
import { HttpStatusError, RateLimitError, TransportError } from "../polymarket/errors.ts";
import { createOpsOutbox, type OpsOutbox } from "./_ops_outbox.ts";

/** What one cycle body reports; `status` defaults to "partial" when errors/rejects occurred. */
export interface CycleResult {
  rows: number;
  rejects: number;
  errors: number;
  status?: "ok" | "partial" | "failed";
  detail?: Record<string, unknown>;
}

/** Raised into a cycle's signal when its slot has run out of time. */
export class CycleDeadlineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CycleDeadlineError";
  }
}

/** Options of {@link createCycleRunner}. */
export interface CycleRunnerOptions {
  task: string;
  /** Consecutive failed cycles that make the task `unhealthy` (default 3). */
  unhealthyAfter?: number;
  /**
   * Called once when a cycle fails (not on shutdown); the gaps rows it returns are written
   * with the run row through the outbox, so they survive a database outage.
   */
  onFailure?: (startedAt: Date, cause: string, error: unknown) => readonly GapRow[];
}

/** Runs cycle bodies with the bookkeeping around them. */
export interface CycleRunner {
  /**
   * Runs `body`; a failure is recorded and returned as a failed result, an abort of the
   * collector is rethrown. `startedAt` is the slot (minute) the cycle belongs to.
   */
  run(
    startedAt: Date,
    signal: AbortSignal,
    body: () => Promise<CycleResult>,
  ): Promise<CycleResult>;
  /** Where this task's `collector_runs` and `gaps` rows go (kept while the database is down). */
  readonly outbox: OpsOutbox;
}

/** A short cause for a gaps row or a failed run: "rate_limited", "db_unavailable", "deadline"… */
export function describeFailure(error: unknown): string {
  if (error instanceof CycleDeadlineError) return "deadline";
  if (isConnectionError(error)) return "db_unavailable";
  if (error instanceof RateLimitError) return "rate_limited";
  if (error instanceof HttpStatusError) return error.status === 425 ? "maintenance" : "api_down";
  if (error instanceof TransportError) return "api_down";
  if (error instanceof Error && error.name === "UnexpectedResponseError") {
    return "unexpected_response";
  }
  return "error";
}

/** Turns parse rejects into `rejects` rows (raw kept as JSON text) and stores them. */
export async function storeRejects(
  deps: CollectorDeps,
  source: string,
  rejects: readonly Reject[],
): Promise<number> {
  if (rejects.length === 0) return 0;
  await recordRejects(
    deps.sql,
    rejects.map((r) => ({
      source,
      reason: r.reason,
      path: r.path,
      raw: typeof r.raw === "string" ? r.raw : JSON.stringify(r.raw) ?? "undefined",
    })),
  );
  deps.log.warn("rejects_stored", { source, count: rejects.length, first: rejects[0]!.reason });
  return rejects.length;
}

/** Creates the runner for one collector task. */
export function createCycleRunner(deps: CollectorDeps, options: CycleRunnerOptions): CycleRunner {
  const { task } = options;
  const limit = options.unhealthyAfter ?? 3;
  let failedInRow = 0;
  let rowsWritten = 0;
  const outbox = createOpsOutbox(deps, task);
  return {
    outbox,
    async run(startedAt, signal, body) {
      const t0 = deps.now();
      let result: CycleResult;
      let failure: unknown = null;
      try {
        result = await body();
      } catch (err) {
        if (signal.aborted && !(signal.reason instanceof CycleDeadlineError)) throw signal.reason;
        failure = err;
        result = { rows: 0, rejects: 0, errors: 1, status: "failed" };
      }
      const finished = deps.now();
      const status = result.status ??
        (result.errors > 0 || result.rejects > 0 ? "partial" : "ok");
      const cause = failure === null ? null : describeFailure(failure);
      const detail = {
        ...result.detail,
        ...(cause === null ? {} : { cause, error: errorText(failure) }),
      };
      const gaps = failure === null ? [] : options.onFailure?.(startedAt, cause!, failure) ?? [];
      if (failure !== null) deps.log.error("cycle_failed", { task, cause, error: failure });
      await outbox.write([{ kind: "gaps", rows: gaps }, {
        kind: "run",
        row: {
          collector: task,
          startedAt,
          finishedAt: new Date(finished),
          status,
          rowsWritten: result.rows,
          errors: result.errors,
          rejects: result.rejects,
          detail,
        },
      }]);
      const durationMs = finished - t0;
      deps.log.info("cycle_done", {
        task,
        status,
        rows: result.rows,
        rejects: result.rejects,
        errors: result.errors,
        durationMs,
      });
      failedInRow = status === "failed" ? failedInRow + 1 : 0;
      rowsWritten += result.rows;
      const ctx = deps.context;
      if (ctx !== undefined) {
        ctx.counter("rows_written_total", result.rows);
        ctx.counter("errors_total", result.errors);
        ctx.counter("rejects_total", result.rejects);
        ctx.observe("cycle_duration_seconds", durationMs / 1000);
        ctx.report({
          rowsWritten,
          lagMs: finished - startedAt.getTime(),
          ...(status === "failed" ? {} : { lastSuccessAt: new Date(finished).toISOString() }),
          unhealthy: failedInRow >= limit ? `last ${failedInRow} cycles failed (${cause})` : null,
        });
      }
      return { ...result, status };
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
