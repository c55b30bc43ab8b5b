/**
 * The data-quality numbers as Prometheus gauges on `/metrics`: measured from the database at
 * start (after a short delay) and then every `intervalMs` (default 1 hour: the 7-day window
 * scans a week of price snapshots, too heavy to repeat every scrape).
 *
 * @example
 * ```ts ignore
 * await runQualityMetrics(sql, supervisor.metrics, { signal, log });
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Queryable } from "../db/client.ts";
import type { Metrics } from "../runtime/_metrics.ts";
import type { Logger } from "../runtime/log.ts";
import { type DataQuality, measureDataQuality } from "./quality.ts";

export interface QualityMetricsOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly firstDelayMs?: number;
  readonly now?: () => number;
}

/** Refreshes the quality gauges until `signal` aborts; a failed measurement is logged. */
export async function runQualityMetrics(
  sql: Queryable,
  metrics: Metrics,
  options: QualityMetricsOptions,
): Promise<void> {
  const { signal, log } = options;
  const now = options.now ?? Date.now;
  try {
    await sleep(options.firstDelayMs ?? 60_000, undefined, { signal });
    for (;;) {
      try {
        publishQuality(metrics, await measureDataQuality(sql, { now: new Date(now()) }));
      } catch (err) {
        if (signal.aborted) throw err;
        log.warn("quality_metrics_failed", { error: err });
      }
      await sleep(options.intervalMs ?? 3_600_000, undefined, { signal });
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
}

/** Sets the gauges from one measurement. */
export function publishQuality(metrics: Metrics, quality: DataQuality): void {
  for (const w of quality.windows) {
    const window = { window: w.label };
    if (w.prices.coveragePercent !== null) {
      metrics.gauge("pmcollect_quality_price_coverage_percent", window, w.prices.coveragePercent);
    }
    metrics.gauge("pmcollect_quality_tokens_below_95_percent", window, w.prices.tokensBelow95);
    metrics.gauge("pmcollect_quality_tokens_active", window, w.prices.tokensActive);
    if (w.books.achievedIntervalS !== null) {
      metrics.gauge("pmcollect_quality_book_interval_seconds", window, w.books.achievedIntervalS);
    }
    metrics.gauge("pmcollect_quality_tokens_with_trades", window, w.trades.tokensWithTrades);
  }
  for (const g of quality.gaps) {
    const labels = { collector: g.collector, cause: g.cause };
    metrics.gauge("pmcollect_quality_gap_minutes", labels, g.minutes);
    metrics.gauge("pmcollect_quality_gaps_open", labels, g.gaps - g.backfilled);
    metrics.gauge("pmcollect_quality_gaps_backfilled", labels, g.backfilled);
  }
  for (const r of quality.rejects) {
    metrics.gauge(
      "pmcollect_quality_rejects",
      { source: r.source, reason: r.reason },
      r.occurrences,
    );
  }
}
