/**
 * The text of `pmcollect status --quality`: {@link measureDataQuality} plus the trade-capture
 * cross-check (one Data API walk per sampled market, within the backfill's rate budget).
 *
 * @example
 * ```ts ignore
 * import { qualityReport } from "./report.ts";
 * write(await qualityReport(sql, { http, now: new Date(), signal }));
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { HttpClient } from "../polymarket/http.ts";
import { crossCheckTrades, type TradeCapture } from "./cross_check.ts";
import { type DataQuality, measureDataQuality } from "./quality.ts";

/** Measures and formats the report; a failed cross-check is reported, not thrown. */
export async function qualityReport(
  sql: Queryable,
  options: { http: HttpClient; now: Date; signal: AbortSignal },
): Promise<string> {
  const quality = await measureDataQuality(sql, { now: options.now });
  let capture: TradeCapture | string;
  try {
    capture = await crossCheckTrades(sql, options.http, options);
  } catch (err) {
    options.signal.throwIfAborted();
    capture = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
  }
  return formatQuality(quality, capture);
}

/** Formats the numbers as plain text. */
export function formatQuality(q: DataQuality, capture: TradeCapture | string): string {
  const pct = (v: number | null) => (v === null ? "-" : `${v}%`);
  const lines = ["data quality (" + q.at.toISOString() + ")"];
  for (const w of q.windows) {
    const p = w.prices;
    lines.push(
      `  last ${w.label}:`,
      `    prices: ${
        pct(p.coveragePercent)
      } of minutes (${p.minutesWithPrices}/${p.minutesExpected}),` +
        ` ${p.tokensWithPrices}/${p.tokensActive} active tokens with prices,` +
        ` ${p.tokensBelow95} below 95%`,
      `    books: ${w.books.snapshots} snapshots of ${w.books.tokens} tokens,` +
        ` one per ${w.books.achievedIntervalS ?? "-"} s per token`,
      `    trades: ${w.trades.live} live trades on ${w.trades.tokensWithTrades}/` +
        `${w.trades.tokensActive} active tokens, ${w.trades.backfilled} backfilled`,
    );
  }
  lines.push("  gaps (7 days):");
  if (q.gaps.length === 0) lines.push("    none");
  for (const g of q.gaps) {
    lines.push(
      `    ${g.collector}/${g.cause}: ${g.gaps} gaps, ${g.minutes} min,` +
        ` ${g.backfilled} backfilled (${g.backfillRows} rows)`,
    );
  }
  lines.push("  rejects (7 days):");
  if (q.rejects.length === 0) lines.push("    none");
  for (const r of q.rejects) {
    lines.push(`    ${r.source}: ${r.reason}: ${r.occurrences} (${r.payloads} payloads)`);
  }
  if (typeof capture === "string") {
    lines.push(`  trade capture: ${capture}`);
  } else {
    lines.push(
      `  trade capture ${capture.from.toISOString()} .. ${capture.to.toISOString()}:` +
        ` ${
          pct(capture.percent)
        } (${capture.live} stored / ${capture.venue} listed by the Data API)`,
    );
    for (const m of capture.markets) {
      lines.push(`    ${m.conditionId}: ${pct(m.percent)} (${m.live}/${m.venue})`);
    }
  }
  for (const note of q.notBackfillable) lines.push(`  note: ${note}`);
  return lines.join("\n");
}
