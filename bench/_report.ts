/**
 * How every benchmark ends: its figure lines, one line per target with "met", "NOT met" or "not
 * measured", and a last line that says whether every measured target was met and which were
 * not measured. A missed target makes the benchmark's process exit 1, so `deno task bench`
 * (bench/run.ts) exits non-zero too; a target not measured (the figure does not apply where the
 * benchmark ran, e.g. a TimescaleDB target on plain PostgreSQL) neither passes nor fails.
 *
 * `BENCH_SHORT=1` asks a benchmark for short settings (fewer rows, rounds, seconds): enough to
 * show it runs, not figures to quote.
 *
 * @example
 * ```ts ignore
 * import { atLeast, finishBench } from "./_report.ts";
 * finishBench(["ratio 0.91"], [atLeast("ratio writer/copy", 0.91, 0.8)]);
 * ```
 */
import { printText } from "../runtime/log.ts";

/** True when the benchmark should use its short settings. */
export const BENCH_SHORT = Deno.env.get("BENCH_SHORT") === "1";

/** One target and whether the measured value meets it. */
export interface TargetCheck {
  /** False when the target was not measured here: then `met` is false too, but not a miss. */
  readonly measured: boolean;
  readonly met: boolean;
  readonly line: string;
}

/** Measured, and the value misses the target. */
export function missed(target: TargetCheck): boolean {
  return target.measured && !target.met;
}

/** `value` must be at least `min`. */
export function atLeast(name: string, value: number, min: number, unit = ""): TargetCheck {
  const met = value >= min;
  return {
    measured: true,
    met,
    line: `target ${name} ≥ ${show(min)}${unit}: ${show(value)}${unit} ${verdict(met)}`,
  };
}

/** `value` must be at most `max`. */
export function atMost(name: string, value: number, max: number, unit = ""): TargetCheck {
  const met = value <= max;
  return {
    measured: true,
    met,
    line: `target ${name} ≤ ${show(max)}${unit}: ${show(value)}${unit} ${verdict(met)}`,
  };
}

/**
 * A target that this run cannot measure, and why (e.g. a TimescaleDB figure on plain
 * PostgreSQL). Never counted as met, nor as missed.
 */
export function notMeasured(name: string, why: string): TargetCheck {
  return { measured: false, met: false, line: `target ${name}: not measured (${why})` };
}

/** The last line: all measured targets met, or how many were not; and how many not measured. */
export function verdictLine(targets: readonly TargetCheck[]): string {
  if (targets.length === 0) return "targets: none set";
  const measured = targets.filter((t) => t.measured).length;
  const misses = targets.filter(missed).length;
  const unmeasured = targets.length - measured;
  if (measured === 0) return `targets: none of ${targets.length} measured`;
  if (unmeasured === 0) {
    return misses === 0
      ? `targets: all ${measured} met`
      : `targets: ${misses} of ${measured} NOT met`;
  }
  const tail = `, ${unmeasured} not measured`;
  return misses === 0
    ? `targets: all ${measured} measured met${tail}`
    : `targets: ${misses} of ${measured} measured NOT met${tail}`;
}

/** Prints the figures, the targets and the verdict; exits 1 when a target is missed. */
export function finishBench(lines: readonly string[], targets: readonly TargetCheck[]): void {
  for (const line of [...lines, ...targets.map((t) => t.line), verdictLine(targets)]) {
    printText("stdout", line);
  }
  if (targets.some(missed)) Deno.exit(1);
}

function verdict(met: boolean): string {
  return met ? "met" : "NOT met";
}

function show(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
}
