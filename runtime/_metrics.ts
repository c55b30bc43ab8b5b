/**
 * A small in-process metrics registry (counters, gauges, histograms with labels) rendered in
 * the Prometheus text exposition format (version 0.0.4). Used by the supervisor, which hands
 * each task a view of it, and by `health.ts`, which serves it on `GET /metrics`.
 *
 * @example
 * ```ts
 * import { createMetrics } from "./_metrics.ts";
 * const metrics = createMetrics();
 * metrics.counter("pmcollect_rows_written_total", { task: "prices" }, 186000);
 * metrics.observe("pmcollect_cycle_duration_seconds", { task: "prices" }, 0.8);
 * metrics.render(); // "# TYPE pmcollect_rows_written_total counter\n..."
 * ```
 */

export type MetricLabels = Readonly<Record<string, string>>;
export type MetricKind = "counter" | "gauge" | "histogram";

/** Upper bounds (seconds) for duration histograms: 50 ms to 5 min. */
export const DURATION_BUCKETS: readonly number[] = [
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
];

export interface Metrics {
  /** Adds `delta` (≥ 0) to a counter; by convention the name ends in `_total`. */
  counter(name: string, labels: MetricLabels, delta?: number): void;
  /** Sets a gauge to `value`. */
  gauge(name: string, labels: MetricLabels, value: number): void;
  /** Records one observation in a histogram (durations in seconds use DURATION_BUCKETS). */
  observe(name: string, labels: MetricLabels, value: number): void;
  /** Every series in the Prometheus text format, one `# TYPE` line per metric name. */
  render(): string;
}

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Family {
  readonly kind: MetricKind;
  readonly values: Map<string, number | Histogram>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Creates an empty registry; `buckets` overrides DURATION_BUCKETS for every histogram. */
export function createMetrics(options: { buckets?: readonly number[] } = {}): Metrics {
  const buckets = options.buckets ?? DURATION_BUCKETS;
  const families = new Map<string, Family>();
  const family = (name: string, kind: MetricKind): Family => {
    if (!NAME.test(name)) throw new RangeError(`Invalid metric name: ${name}`);
    let f = families.get(name);
    if (f === undefined) {
      f = { kind, values: new Map() };
      families.set(name, f);
    } else if (f.kind !== kind) {
      throw new TypeError(`Metric ${name} is a ${f.kind}, not a ${kind}`);
    }
    return f;
  };
  return {
    counter(name, labels, delta = 1) {
      if (!(delta >= 0)) throw new RangeError(`Counter ${name} cannot move by ${delta}`);
      const f = family(name, "counter");
      const key = formatLabels(labels);
      f.values.set(key, ((f.values.get(key) as number | undefined) ?? 0) + delta);
    },
    gauge(name, labels, value) {
      family(name, "gauge").values.set(formatLabels(labels), value);
    },
    observe(name, labels, value) {
      const f = family(name, "histogram");
      const key = formatLabels(labels);
      let h = f.values.get(key) as Histogram | undefined;
      if (h === undefined) {
        h = { counts: buckets.map(() => 0), sum: 0, count: 0 };
        f.values.set(key, h);
      }
      buckets.forEach((le, i) => {
        if (value <= le) h.counts[i]! += 1;
      });
      h.sum += value;
      h.count += 1;
    },
    render() {
      const lines: string[] = [];
      for (const [name, f] of families) {
        lines.push(`# TYPE ${name} ${f.kind}`);
        for (const [labels, v] of f.values) {
          if (typeof v === "number") {
            lines.push(`${name}${labels} ${formatNumber(v)}`);
            continue;
          }
          buckets.forEach((le, i) => {
            lines.push(`${name}_bucket${withLe(labels, String(le))} ${v.counts[i]}`);
          });
          lines.push(`${name}_bucket${withLe(labels, "+Inf")} ${v.count}`);
          lines.push(`${name}_sum${labels} ${formatNumber(v.sum)}`);
          lines.push(`${name}_count${labels} ${v.count}`);
        }
      }
      return lines.length === 0 ? "" : lines.join("\n") + "\n";
    },
  };
}

/** `{a="1",b="x\"y"}`, or "" without labels; values escaped as the format requires. */
export function formatLabels(labels: MetricLabels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Prometheus spells non-finite values `+Inf`, `-Inf` and `NaN`. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function withLe(labels: string, le: string): string {
  return labels === "" ? `{le="${le}"}` : `${labels.slice(0, -1)},le="${le}"}`;
}
