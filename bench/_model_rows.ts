/**
 * The model benchmark's rows from the simulator's closed history (`simulator/history.ts`, read
 * in process through its public class rather than over HTTP): one DatasetRow per resolved
 * market at `horizon` before its end date, the price being the quote at the last grid point at
 * or before that instant (the full grid: how much of it `/prices-history` still serves is the
 * dataset builder's concern, not the model's), the hidden probability at the same point kept
 * for the oracle. Markets whose end minus the horizon falls before their start are excluded and
 * counted.
 *
 * @example
 * ```ts ignore
 * import { simulatorRows } from "./_model_rows.ts";
 * const { rows, hidden, excluded } = simulatorRows({ count: 24_000, seed: 4, horizon: "24h" });
 * ```
 */
import { ClosedHistory } from "../simulator/history.ts";
import type { DatasetRow } from "../models/dataset_row.ts";

const HOUR = 3_600_000;

export interface BenchRows {
  readonly rows: DatasetRow[];
  readonly hidden: number[];
  /** Why markets were left out, with counts. */
  readonly excluded: string[];
}

/** Builds the rows; deterministic by seed and (UTC day of) `now`. */
export function simulatorRows(
  options: {
    readonly count: number;
    readonly seed: number;
    readonly horizonHours: number;
    readonly now?: number;
  },
): BenchRows {
  const history = new ClosedHistory({
    count: options.count,
    seed: options.seed,
    now: options.now ?? Date.UTC(2026, 11, 1),
  });
  const rows: DatasetRow[] = [];
  const hidden: number[] = [];
  let tooShort = 0;
  const groupSize = new Map<string, number>();
  for (let i = 0; i < history.count; i++) {
    const m = history.market(i);
    groupSize.set(m.eventId, (groupSize.get(m.eventId) ?? 0) + 1);
  }
  for (let i = 0; i < history.count; i++) {
    const m = history.market(i);
    const instant = m.endMs - options.horizonHours * HOUR;
    if (instant < m.startMs) {
      tooShort++;
      continue;
    }
    const s = history.series(i);
    const step = Math.min(m.steps, Math.floor((instant - m.startMs) / (m.stepMinutes * 60_000)));
    rows.push({
      marketId: m.id,
      eventId: m.eventId,
      tokenId: m.tokenIds[0],
      horizon: `${options.horizonHours}h`,
      instant,
      resolvedAt: m.closedMs,
      domain: m.domain,
      negRiskGroupSize: groupSize.get(m.eventId)!,
      price: s.quoteUnits[step] / 10_000,
      label: m.yesWon ? 1 : 0,
      features: { logDepthUsd: Math.log(m.liquidity), tickSize: m.tickUnits / 10_000 },
    });
    hidden.push(s.hidden[step]);
  }
  return {
    rows,
    hidden,
    excluded: [`${tooShort} markets whose life was shorter than the horizon`],
  };
}
