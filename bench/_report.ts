/**
 * How every benchmark ends: its figure lines, one line per target with "met" or "NOT met", and
 * a last line that says whether every target was met. A missed target makes the benchmark's
 * process exit 1, so `deno task bench` (bench/run.ts) exits non-zero too.
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
  readonly met: boolean;
  readonly line: string;
}

/** `value` must be at least `min`. */
export function atLeast(name: string, value: number, min: number, unit = ""): TargetCheck {
  const met = value >= min;
  return {
    met,
    line: `target ${name} ≥ ${show(min)}${unit}: ${show(value)}${unit} ${verdict(met)}`,
  };
}

/** `value` must be at most `max`. */
export function atMost(name: string, value: number, max: number, unit = ""): TargetCheck {
  const met = value <= max;
  return {
    met,
    line: `target ${name} ≤ ${show(max)}${unit}: ${show(value)}${unit} ${verdict(met)}`,
  };
}

/** The last line: all targets met, or which were not. */
export function verdictLine(targets: readonly TargetCheck[]): string {
  const missed = targets.filter((t) => !t.met).length;
  if (targets.length === 0) return "targets: none set";
  return missed === 0
    ? `targets: all ${targets.length} met`
    : `targets: ${missed} of ${targets.length} NOT met`;
}

/** Prints the figures, the targets and the verdict; exits 1 when a target is missed. */
export function finishBench(lines: readonly string[], targets: readonly TargetCheck[]): void {
  for (const line of [...lines, ...targets.map((t) => t.line), verdictLine(targets)]) {
    printText("stdout", line);
  }
  if (targets.some((t) => !t.met)) Deno.exit(1);
}

function verdict(met: boolean): string {
  return met ? "met" : "NOT met";
}

function show(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
}
