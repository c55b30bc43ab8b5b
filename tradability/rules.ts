/**
 * The venue's rules for "may this market be traded at instant t, and at which fee?", pure: one
 * answer that `edge`, the scanner, `backtest` and (later) execution all take.
 *
 * A market stops being tradable at the first of: its resolution (`resolutions`, status
 * `resolved`), its close (Gamma `closed`, at `closedTime` when known, else when it was seen
 * closed), or the venue no longer accepting orders (`acceptingOrders: false`, from when it was
 * seen). `endDate` is only the expected resolution: markets trade past it, so it closes
 * nothing. A tick change makes the book unknown until the next snapshot (the book's coverage,
 * `stream/book_at.ts`), not the market.
 *
 * The taker fee is the schedule in force at t: `feeSchedule` rate and exponent; a market with
 * `feesEnabled: false` and no schedule is fee-free (rate 0); anything else without a rate is
 * unknown, and no plan may use the market. Never a default rate.
 *
 * @example
 * ```ts
 * import { closedAtOf, tradableAt } from "./rules.ts";
 * const facts = { closed: true, closedTime: new Date("2026-11-30T12:00:00Z"), acceptingOrders: null,
 *   resolvedAt: null, seenAt: new Date("2026-11-30T12:05:00Z") };
 * closedAtOf(facts); // { at: 2026-11-30T12:00:00Z, reason: "closed" }
 * tradableAt(facts, new Date("2026-11-30T11:00:00Z")); // { open: true, reason: null }
 * ```
 */
import type { MarketMetadata } from "../db/market_metadata.ts";
import type { FeeSchedule } from "../edge/market.ts";

/** Why a market cannot be traded. */
export type ClosedReason = "resolved" | "closed" | "not_accepting_orders";

/** What the database knows of a market's status (current row plus its resolution). */
export interface MarketStatusFacts {
  readonly closed: boolean | null;
  readonly closedTime: Date | null;
  readonly acceptingOrders: boolean | null;
  /** When the market resolved (null: not resolved, as far as is known). */
  readonly resolvedAt: Date | null;
  /** When the current status was last observed (the `markets` row's `updated_at`). */
  readonly seenAt: Date;
}

/** The first instant the market is known not tradable, and why; null while it is open. */
export function closedAtOf(facts: MarketStatusFacts): { at: Date; reason: ClosedReason } | null {
  const candidates: { at: Date; reason: ClosedReason }[] = [];
  if (facts.resolvedAt !== null) candidates.push({ at: facts.resolvedAt, reason: "resolved" });
  if (facts.closed === true) {
    candidates.push({ at: facts.closedTime ?? facts.seenAt, reason: "closed" });
  }
  if (facts.acceptingOrders === false) {
    candidates.push({ at: facts.seenAt, reason: "not_accepting_orders" });
  }
  let first: { at: Date; reason: ClosedReason } | null = null;
  for (const c of candidates) if (first === null || c.at < first.at) first = c;
  return first;
}

/** Whether the market may be traded at `at`. */
export function tradableAt(
  facts: MarketStatusFacts,
  at: Date,
): { open: true; reason: null } | { open: false; reason: ClosedReason } {
  const closed = closedAtOf(facts);
  if (closed !== null && closed.at <= at) return { open: false, reason: closed.reason };
  return { open: true, reason: null };
}

/** The fields a fee schedule is read from (a metadata version, or the `markets` row). */
export type FeeFacts = Pick<
  MarketMetadata,
  "feesEnabled" | "feeRate" | "feeExponent" | "feeTakerOnly"
>;

/** The taker fee schedule in force (see the module header); null = unknown. */
export function feeScheduleOf(facts: FeeFacts | null): FeeSchedule | null {
  if (facts === null) return null;
  if (facts.feeRate !== null && facts.feeExponent !== null) {
    const exponent = Number(facts.feeExponent);
    return { rate: facts.feeRate, exponent, takerOnly: facts.feeTakerOnly ?? true };
  }
  if (facts.feesEnabled === false && facts.feeRate === null) {
    return { rate: "0", exponent: 1, takerOnly: true };
  }
  return null;
}
