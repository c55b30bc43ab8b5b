/**
 * `pmcollect inspect`: reads one payload (any recorded REST body, one websocket frame, or
 * NDJSON of frames), prints the normalised rows that would be stored as JSON lines, and each
 * rejection with its path and reason.
 *
 * Exit codes: 0 everything parsed, 1 something was rejected, 2 unreadable or undetectable.
 *
 * @example
 * ```ts
 * import { runInspect } from "./inspect.ts";
 * const code = runInspect("PONG", { write: () => {}, receivedAt: 0 });
 * code; // 0
 * ```
 */
import { detectPayload } from "./_inspect_detect.ts";

/** Options of `runInspect`. */
export interface InspectOptions {
  write: (line: string) => void;
  /** Receive time stamped on parsed rows (unix ms or Date). */
  receivedAt: number | Date;
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Parses `text` and writes JSON lines; returns the exit code. */
export function runInspect(text: string, options: InspectOptions): number {
  const receivedAt = typeof options.receivedAt === "number"
    ? options.receivedAt
    : options.receivedAt.getTime();
  const out = (o: unknown) => options.write(JSON.stringify(o, replacer));
  const trimmed = text.trim();
  if (trimmed === "") {
    out({ error: "empty input" });
    return 2;
  }
  let value: unknown;
  let whole = true;
  try {
    value = JSON.parse(trimmed);
  } catch {
    whole = false;
  }
  const units: { line: number | null; text: string; value?: unknown }[] = whole
    ? [{ line: null, text: trimmed, value }]
    : trimmed.split(/\r?\n/).map((t, i) => ({ line: i + 1, text: t.trim() }))
      .filter((u) => u.text !== "");
  let rejected = 0;
  let understood = 0;
  for (const unit of units) {
    const where = unit.line === null ? {} : { line: unit.line };
    if (unit.text === "PONG") {
      out({ ...where, kind: "pong" });
      understood++;
      continue;
    }
    let v = unit.value;
    if (unit.line !== null) {
      try {
        v = JSON.parse(unit.text);
      } catch (err) {
        out({ ...where, reject: "$", reason: `invalid JSON: ${(err as Error).message}` });
        rejected++;
        continue;
      }
    }
    const detected = detectPayload(v, receivedAt);
    if (detected === null) {
      out({ ...where, reject: "$", reason: "unrecognised payload kind" });
      rejected++;
      continue;
    }
    understood++;
    for (const row of detected.batch.items) out({ ...where, kind: detected.kind, row });
    // Rows of another kind (rebates in /v2/activity) are neither rows nor rejects: say so.
    const skipped = (detected.batch as { skipped?: number }).skipped ?? 0;
    if (skipped > 0) out({ ...where, kind: detected.kind, skipped });
    for (const r of detected.batch.rejects) {
      out({ ...where, kind: detected.kind, reject: r.path, reason: r.reason });
      rejected++;
    }
  }
  if (understood === 0) return 2;
  return rejected > 0 ? 1 : 0;
}
