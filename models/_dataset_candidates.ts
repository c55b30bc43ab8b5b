/**
 * Which resolved markets become dataset rows, from one record per market with a resolution
 * (both builders select the same columns): binary markets (two tokens, outcome 0 = YES) whose
 * winner is one of them. Voided and 50-50 markets (status `ambiguous`), non-binary markets and
 * winners that are neither token are counted, never dropped silently. Also how a price lookup's
 * two answers (a collected snapshot, a backfilled point) become one price point.
 *
 * @example
 * ```ts
 * import { candidatesOf } from "./_dataset_candidates.ts";
 * candidatesOf([{ market_id: "1", event_id: "7", group_key: null, category: null, status: "ambiguous",
 *   winner_token_id: null, tokens: 2, yes_token: "a", no_token: "b", resolved_ms: 0,
 *   closed_ms: null }]).excluded.voided; // 1
 * ```
 */
import type { Candidate, PricePoint } from "./_dataset_features.ts";
import type { CandidateScan } from "./_dataset_build.ts";

/** One market with a resolution, as selected by a builder. */
export interface CandidateRecord {
  market_id: string;
  event_id: string;
  group_key: string | null;
  /** Gamma's category as stored (migration 0016), null when never read. */
  category: string | null;
  status: string;
  winner_token_id: string | null;
  tokens: number;
  yes_token: string | null;
  no_token: string | null;
  /** Resolution time (or when the resolution was first seen), Unix ms. */
  resolved_ms: number;
  /** Gamma's `closedTime`, Unix ms. */
  closed_ms: number | null;
}

/** The candidates and the counts of what was left out. */
export function candidatesOf(records: readonly CandidateRecord[]): CandidateScan {
  const excluded = { voided: 0, notBinary: 0, unknownWinner: 0 };
  const candidates: Candidate[] = [];
  for (const r of records) {
    if (r.status !== "resolved") {
      excluded.voided += 1;
      continue;
    }
    if (r.tokens !== 2 || r.yes_token === null || r.no_token === null) {
      excluded.notBinary += 1;
      continue;
    }
    const label = r.winner_token_id === r.yes_token
      ? 1
      : r.winner_token_id === r.no_token
      ? 0
      : null;
    if (label === null) {
      excluded.unknownWinner += 1;
      continue;
    }
    const resolvedAt = Number(r.resolved_ms);
    const closedAt = r.closed_ms === null ? null : Number(r.closed_ms);
    candidates.push({
      marketId: r.market_id,
      eventId: r.event_id,
      yesToken: r.yes_token,
      noToken: r.no_token,
      groupKey: r.group_key,
      category: r.category === null || r.category === "" ? null : r.category.toLowerCase(),
      resolvedAt,
      endAt: closedAt === null ? resolvedAt : Math.min(resolvedAt, closedAt),
      label,
    });
  }
  return { candidates, excluded };
}

/**
 * The latest price snapshot and the latest backfilled point before a lookup's cut, as numbers
 * (each the double nearest the stored decimal: both backends convert the exact value once).
 */
export interface PriceRecord {
  ts: number | null;
  price: number | null;
  bestBid: number | null;
  bestAsk: number | null;
  last: number | null;
  hTs: number | null;
  hPrice: number | null;
}

/** A record with nothing found yet: copy it (`{ ...NO_PRICES }`), records are filled in place. */
export const NO_PRICES: Readonly<PriceRecord> = {
  ts: null,
  price: null,
  bestBid: null,
  bestAsk: null,
  last: null,
  hTs: null,
  hPrice: null,
};

/**
 * The newer of the two: a collected snapshot, or a backfilled `price_history` point (the
 * venue's price at its time, no book); the snapshot when both share a stamp.
 */
export function pricePointOf(r: PriceRecord): PricePoint | null {
  if (r.hTs !== null && (r.ts === null || r.hTs > r.ts)) {
    return { ts: r.hTs, price: r.hPrice, bestBid: null, bestAsk: null, last: null };
  }
  if (r.ts === null) return null;
  return { ts: r.ts, price: r.price, bestBid: r.bestBid, bestAsk: r.bestAsk, last: r.last };
}
