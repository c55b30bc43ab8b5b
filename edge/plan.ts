/**
 * A channel's answer: the leg-by-leg plan (token, side, fills with price, shares and fee),
 * total cost, guaranteed payoff, profit, the capital it locks and until when, and the JSON shape
 * `pmcollect edge --json` prints (decimals as strings).
 *
 * @example
 * ```ts
 * import { channelJson } from "./plan.ts";
 * JSON.stringify(results.map(channelJson));
 * ```
 */
import { type Dec, floorDiv, formatDec, SCALE, ZERO } from "./decimal.ts";
import type { Fill, LegFill } from "./book_walk.ts";
import type { PreparedLeg } from "./search.ts";

export type Channel = "neg_risk_conversion" | "neg_risk_basket" | "implication" | "lp";

/** One order of a plan: a taker buy walked through the book. */
export interface PlanLeg {
  readonly marketId: string;
  readonly tokenId: string;
  readonly outcome: "YES" | "NO";
  readonly side: "BUY";
  readonly shares: Dec;
  readonly fills: readonly Fill[];
  readonly notional: Dec;
  readonly fees: Dec;
  readonly cost: Dec;
}

/** One `convertPositions` call: `amount` NO of each market in the set. */
export interface ConversionCall {
  readonly marketIds: readonly string[];
  /** Bit i = question index i; null when a question index is unknown. */
  readonly indexSet: string | null;
  readonly amount: Dec;
  /** (|set| − 1) × amount minus the adapter's fee. */
  readonly collateralOut: Dec;
  readonly adapterFee: Dec;
}

/** What the conversion calls return (neg-risk conversion only). */
export interface ConversionStep {
  /** Largest amount first; each call's set contains the next call's. */
  readonly calls: readonly ConversionCall[];
  readonly collateralOut: Dec;
  readonly adapterFee: Dec;
}

export interface Plan {
  readonly channel: Channel;
  /** The protocol path, in words. */
  readonly path: string;
  readonly shares: Dec;
  readonly legs: readonly PlanLeg[];
  readonly cost: Dec;
  /** The least the plan pays in any valid outcome (at conversion or at resolution). */
  readonly payoff: Dec;
  readonly profit: Dec;
  readonly capitalLocked: Dec;
  /** When the capital comes back: an ISO instant, "now" for a conversion, null if unknown. */
  readonly lockedUntil: string | null;
  /** profit / cost × 365 / days locked, floored to 1e-8; null when the lock is unknown or 0. */
  readonly annualisedReturn: Dec | null;
  readonly conversion?: ConversionStep;
}

/** A channel evaluated on one group or pair. `plan` is null when nothing is profitable. */
export interface ChannelResult {
  readonly channel: Channel;
  readonly subject: string;
  readonly complete: boolean;
  readonly plan: Plan | null;
  readonly reason?: string;
}

export function planLeg(leg: PreparedLeg, fill: LegFill): PlanLeg {
  return {
    marketId: leg.marketId,
    tokenId: leg.tokenId,
    outcome: leg.outcome,
    side: "BUY",
    shares: fill.shares,
    fills: fill.fills,
    notional: fill.notional,
    fees: fill.fees,
    cost: fill.cost,
  };
}

/**
 * The plan of a channel that buys `shares` of every leg and holds them to resolution, where
 * they pay `shares` in every valid outcome: capital is locked until the last leg resolves.
 */
export function holdToResolution(
  legs: readonly PreparedLeg[],
  outcome: { readonly profit: Dec; readonly fills: readonly LegFill[] },
  options: { readonly channel: Channel; readonly path: string; shares: Dec; asOf: string },
): Plan {
  const planLegs = legs.map((leg, i) => planLeg(leg, outcome.fills[i]!));
  const cost = planLegs.reduce((sum, leg) => sum + leg.cost, ZERO);
  const until = latestEnd(legs);
  return {
    channel: options.channel,
    path: options.path,
    shares: options.shares,
    legs: planLegs,
    cost,
    payoff: options.shares,
    profit: outcome.profit,
    capitalLocked: cost,
    lockedUntil: until,
    annualisedReturn: annualise(outcome.profit, cost, { asOf: options.asOf, until }),
  };
}

/** The latest end date of the legs, or null when one is unknown. */
export function latestEnd(legs: readonly PreparedLeg[]): string | null {
  let latest: string | null = null;
  for (const leg of legs) {
    if (leg.endDate === null || Number.isNaN(Date.parse(leg.endDate))) return null;
    if (latest === null || Date.parse(leg.endDate) > Date.parse(latest)) latest = leg.endDate;
  }
  return latest;
}

/** profit / cost × 365 days / (until − asOf), exact and floored; null without a positive lock. */
export function annualise(
  profit: Dec,
  cost: Dec,
  span: { readonly asOf: string; readonly until: string | null },
): Dec | null {
  if (span.until === null || cost <= ZERO) return null;
  const ms = BigInt(Date.parse(span.until) - Date.parse(span.asOf));
  if (ms <= 0n) return null;
  return floorDiv(profit * 365n * 86_400_000n * SCALE, cost * ms);
}

/** The average price of a leg (notional / shares), floored to 1e-8. */
export function averagePrice(leg: PlanLeg): Dec {
  return leg.shares === ZERO ? ZERO : floorDiv(leg.notional * SCALE, leg.shares);
}

/** One JSON object per channel: decimals as strings, nulls when there is no plan. */
export function channelJson(result: ChannelResult): Record<string, unknown> {
  const plan = result.plan;
  const text = (value: Dec | null | undefined) =>
    value === null || value === undefined ? null : formatDec(value);
  return {
    channel: result.channel,
    subject: result.subject,
    complete: result.complete,
    reason: result.reason ?? null,
    path: plan?.path ?? null,
    profit: text(plan?.profit),
    shares: text(plan?.shares),
    cost: text(plan?.cost),
    payoff: text(plan?.payoff),
    capitalLocked: text(plan?.capitalLocked),
    lockedUntil: plan?.lockedUntil ?? null,
    annualisedReturn: text(plan?.annualisedReturn),
    conversion: plan?.conversion === undefined ? null : {
      collateralOut: formatDec(plan.conversion.collateralOut),
      adapterFee: formatDec(plan.conversion.adapterFee),
      calls: plan.conversion.calls.map((call) => ({
        marketIds: call.marketIds,
        indexSet: call.indexSet,
        amount: formatDec(call.amount),
        collateralOut: formatDec(call.collateralOut),
        adapterFee: formatDec(call.adapterFee),
      })),
    },
    legs: (plan?.legs ?? []).map((leg) => ({
      marketId: leg.marketId,
      token: leg.tokenId,
      outcome: leg.outcome,
      side: leg.side,
      shares: formatDec(leg.shares),
      avgPrice: formatDec(averagePrice(leg)),
      fees: formatDec(leg.fees),
      cost: formatDec(leg.cost),
      levels: leg.fills.map((fill) => ({
        price: formatDec(fill.price),
        shares: formatDec(fill.shares),
        fee: formatDec(fill.fee),
      })),
    })),
  };
}
