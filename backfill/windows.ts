/**
 * Backfill work units and their pure arithmetic: window keys, whole-second alignment (a trades
 * window always includes the seconds of both its ends), the fidelity the venue allows
 * for a market state, and the split of a price window into `/prices-history` requests that
 * stay under the venue's ≈4,300-point cap. The plan, the dry-run estimate and the run all use
 * these, so the estimate counts exactly the requests the run sends for price history.
 *
 * @example
 * ```ts
 * import { chunkWindow, fidelityFor } from "./windows.ts";
 * const fidelity = fidelityFor({ closed: false }); // 1
 * chunkWindow(new Date(0), new Date(86_400_000), fidelity).length; // 1
 * ```
 */

/** What a window fills: CLOB price history or Data API trades, for one token. */
export type BackfillKind = "prices" | "trades";

/** One unit of backfill work with its checkpoint state. */
export interface BackfillWindow {
  readonly key: string;
  readonly kind: BackfillKind;
  /** The token id. */
  readonly scope: string;
  /** The token's market (trade walks are per market). */
  readonly conditionId: string;
  readonly startAt: Date;
  readonly endAt: Date;
  /** Minutes per price point (prices); 0 for trades. */
  readonly fidelityMinutes: number;
  /** "gap": a recorded gap; "history": before the first live data. */
  readonly reason: "gap" | "history";
  /** Everything before this is already stored (from a checkpoint), or null. */
  doneUntil: Date | null;
  done: boolean;
}

/** Points per request we ask for: below the venue's ≈4,300 cap with a margin. */
export const MAX_POINTS_PER_REQUEST = 4000;
/** Open markets: the finest fidelity the venue serves (1 minute). */
export const OPEN_FIDELITY_MINUTES = 1;
/**
 * Closed/resolved markets: the venue answers fine fidelities for resolved markets with
 * nothing or with coarse points, so ask for 12-hour buckets ([?] observed, not documented).
 */
export const CLOSED_FIDELITY_MINUTES = 720;

/** The fidelity to request for a market in this state. */
export function fidelityFor(market: { closed: boolean }): number {
  return market.closed ? CLOSED_FIDELITY_MINUTES : OPEN_FIDELITY_MINUTES;
}

/** Whole seconds outward: [floor(start), ceil(end)), so a second is never split. */
export function alignWindow(startAt: Date, endAt: Date): { startAt: Date; endAt: Date } {
  return {
    startAt: new Date(Math.floor(startAt.getTime() / 1000) * 1000),
    endAt: new Date(Math.ceil(endAt.getTime() / 1000) * 1000),
  };
}

/**
 * A trades window: the venue's whole seconds at both ends are uncovered, the second holding
 * `endAt` included even when `endAt` is its first millisecond: [floor(start), floor(end) + 1 s).
 * Data API trades carry whole seconds, so a fill in the second of a stop or a start may or may
 * not have been stored live; fetching the whole second costs nothing, as trade identity drops
 * the fills already stored (db/trade_identity.ts).
 */
export function alignTradeWindow(startAt: Date, endAt: Date): { startAt: Date; endAt: Date } {
  return {
    startAt: new Date(Math.floor(startAt.getTime() / 1000) * 1000),
    endAt: new Date(Math.floor(endAt.getTime() / 1000) * 1000 + 1000),
  };
}

/** The stable checkpoint key of a window. */
export function windowKey(
  kind: BackfillKind,
  scope: string,
  range: { startAt: Date; endAt: Date },
): string {
  return `${kind}|${scope}|${range.startAt.toISOString()}|${range.endAt.toISOString()}`;
}

/** A window before its checkpoint is known. */
export function newWindow(
  kind: BackfillKind,
  scope: string,
  options: {
    conditionId: string;
    startAt: Date;
    endAt: Date;
    fidelityMinutes: number;
    reason: "gap" | "history";
  },
): BackfillWindow {
  const range = kind === "trades"
    ? alignTradeWindow(options.startAt, options.endAt)
    : alignWindow(options.startAt, options.endAt);
  return {
    key: windowKey(kind, scope, range),
    kind,
    scope,
    conditionId: options.conditionId,
    ...range,
    fidelityMinutes: kind === "prices" ? options.fidelityMinutes : 0,
    reason: options.reason,
    doneUntil: null,
    done: false,
  };
}

/**
 * Splits [from, to) into request ranges of at most MAX_POINTS_PER_REQUEST points at
 * `fidelityMinutes`; empty when from ≥ to.
 */
export function chunkWindow(
  from: Date,
  to: Date,
  fidelityMinutes: number,
): { from: Date; to: Date }[] {
  const span = MAX_POINTS_PER_REQUEST * fidelityMinutes * 60_000;
  const out: { from: Date; to: Date }[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += span) {
    out.push({ from: new Date(t), to: new Date(Math.min(t + span, to.getTime())) });
  }
  return out;
}

/** The price requests still to send for a window (after its checkpoint). */
export function remainingChunks(window: BackfillWindow): { from: Date; to: Date }[] {
  if (window.done || window.kind !== "prices") return [];
  return chunkWindow(window.doneUntil ?? window.startAt, window.endAt, window.fidelityMinutes);
}
