/**
 * The exact search over one order size q shared by every leg (a basket, a conversion, an
 * implication pair all buy the same q on each leg). Exact profit is a step function of q: fees
 * are floored per fill, and legs switch on at their minimum order. Its float relaxation (fees
 * unrounded) is linear between breakpoints (level boundaries, minimum orders, depths), and the
 * exact profit exceeds it by at most one fee unit per level plus the adapter's rounding. So the
 * search bounds every breakpoint and every interval between two with the relaxation, and prices
 * them exactly, best bound first, until no bound can beat the best plan found: the same answer
 * as trying every lot, at the cost of a few exact evaluations on a normal book.
 *
 * @example
 * ```ts
 * import { searchQuantity } from "./search.ts";
 * const best = searchQuantity(problem); // { lots, outcome } | null
 * ```
 */
import { ceilDiv, type Dec, floorDiv, SCALE, toNumber, ZERO } from "./decimal.ts";
import {
  type FloatLadder,
  type LegFill,
  type Level,
  prepareWalk,
  relaxedCost,
  walkPrepared,
} from "./book_walk.ts";
import type { ParsedFee } from "./fees.ts";

/** One leg the search may buy: a token's ask ladder with its rules. */
export interface PreparedLeg {
  readonly marketId: string;
  readonly tokenId: string;
  readonly outcome: "YES" | "NO";
  readonly levels: readonly Level[];
  readonly fee: ParsedFee;
  /** Smallest accepted order in lots; null when even the whole ladder is too small. */
  readonly minLots: bigint | null;
  readonly depthLots: bigint;
  readonly float: FloatLadder;
  readonly endDate: string | null;
  readonly questionIndex?: number;
}

/** What a channel makes of q shares on each leg. */
export interface QuantityProblem<T extends { readonly profit: Dec }> {
  readonly legs: readonly PreparedLeg[];
  readonly lot: Dec;
  /** Exact outcome; fills[i] is null when leg i cannot trade q. null = no plan at q. */
  exact(shares: Dec, fills: readonly (LegFill | null)[]): T | null;
  /**
   * Float relaxation with unrounded fees; costs[i] is Infinity when leg i cannot trade q. Must be
   * linear in q wherever every leg stays on one level (true when payoff is linear in q).
   */
  relaxed(shares: number, costs: readonly number[]): number;
  /** Most the adapter's rounding can add to the exact profit. */
  readonly extraSlack?: number;
  /**
   * True when the exact profit is `shares` minus the sum of the legs' costs, with no rounding
   * of its own (a basket, an implication pair): then, on fee-free legs whose prices times a lot
   * are whole units, it is affine in q between two breakpoints and only the ends need pricing.
   */
  readonly profitIsPayoffLessCosts?: boolean;
}

/** Fees are floored to 1e-5 per fill: the most rounding can add per level touched. */
const FEE_UNIT = 1e-5;
const FLOAT_SLACK = 1e-7;

/** The most profitable q (in lots) with a positive exact profit, smallest q on ties. */
export function searchQuantity<T extends { readonly profit: Dec }>(
  problem: QuantityProblem<T>,
): { readonly lots: bigint; readonly outcome: T } | null {
  const { legs, lot } = problem;
  const maxLots = legs.reduce((m, leg) => (leg.depthLots > m ? leg.depthLots : m), 0n);
  if (maxLots < 1n) return null;
  const fixedSlack = (problem.extraSlack ?? 0) + FLOAT_SLACK;
  // Exact profit exceeds the relaxation by at most one fee unit per level the fills touch, so
  // an item's slack counts the levels touched at its largest size, not every level of the book.
  const slackAt = (lots: bigint) => {
    const shares = toNumber(lots * lot);
    let touched = 0;
    for (const leg of legs) touched += levelsTouched(leg.float, shares);
    return touched * FEE_UNIT + fixedSlack;
  };
  const state: { best: { lots: bigint; outcome: T } | null } = { best: null };
  const walks = legs.map((leg) => prepareWalk(leg.levels, leg.fee));
  // Fee-free legs whose every price times a lot is a whole number of units cost an affine
  // function of q on one level (mulDec floors only a constant part), so an interval's exact
  // profit is affine and its best lot is an end (the smaller on a tie).
  const affine = problem.profitIsPayoffLessCosts === true &&
    legs.every((leg) =>
      leg.fee.rate === ZERO && leg.levels.every((level) => (level.price * lot) % SCALE === ZERO)
    );
  const evaluate = (lots: bigint) => {
    const shares = lots * lot;
    const fills = legs.map((leg, i) =>
      leg.minLots !== null && lots >= leg.minLots && lots <= leg.depthLots
        ? walkPrepared(walks[i]!, shares)
        : null
    );
    const outcome = problem.exact(shares, fills);
    if (outcome === null || outcome.profit <= ZERO) return;
    const best = state.best;
    if (
      best === null || outcome.profit > best.outcome.profit ||
      (outcome.profit === best.outcome.profit && lots < best.lots)
    ) state.best = { lots, outcome };
  };
  const relaxedAt = (lots: bigint) => {
    const shares = toNumber(lots * lot);
    const costs = legs.map((leg) =>
      leg.minLots !== null && lots >= leg.minLots && lots <= leg.depthLots
        ? relaxedCost(leg.float, shares)
        : Infinity
    );
    return problem.relaxed(shares, costs);
  };
  // Branch and bound: every breakpoint and every open interval between two gets the relaxation's
  // bound; they are priced best bound first until no bound can beat the best exact plan.
  const points = breakpoints(legs, lot, maxLots);
  const items: Item[] = points.map((p) => {
    const at = relaxedAt(p);
    const slack = slackAt(p);
    return { from: p, to: p, atFrom: at, atTo: at, slack, bound: at + slack };
  });
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]! + 1n;
    const to = points[i + 1]! - 1n;
    if (to < from) continue;
    const [atFrom, atTo] = [relaxedAt(from), relaxedAt(to)];
    const slack = slackAt(to);
    items.push({ from, to, atFrom, atTo, slack, bound: Math.max(atFrom, atTo) + slack });
  }
  items.sort((a, b) => b.bound - a.bound || (a.from < b.from ? -1 : 1));
  for (const item of items) {
    const floor = state.best === null ? 0 : toNumber(state.best.outcome.profit);
    if (!(item.bound > floor)) break;
    if (affine && item.from < item.to) {
      evaluate(item.from);
      evaluate(item.to);
      continue;
    }
    const [first, last] = promisingLots(item, floor - item.slack);
    for (let lots = first; lots <= last; lots++) evaluate(lots);
  }
  return state.best;
}

/** A breakpoint (from = to) or the open interval between two, with the relaxation at its ends. */
interface Item {
  readonly from: bigint;
  readonly to: bigint;
  readonly atFrom: number;
  readonly atTo: number;
  /** Most the exact profit can exceed the relaxation anywhere in the item. */
  readonly slack: number;
  readonly bound: number;
}

/**
 * Levels a walk of `shares` touches on `ladder` (each may round its fee down by one unit).
 * Counts a level whose start is within float error of `shares`, so never too few.
 */
function levelsTouched(ladder: FloatLadder, shares: number): number {
  const { ends } = ladder;
  const limit = shares + 1e-6;
  let [lo, hi] = [0, ends.length];
  // The first level whose start (the previous end) is at or past `limit`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((mid === 0 ? 0 : ends[mid - 1]!) < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The lots of an item where the relaxation, linear inside it, is above `need`; a lot of margin
 * each side absorbs float error. Outside them no exact plan can beat the best one.
 */
function promisingLots(item: Item, need: number): [bigint, bigint] {
  const { from, to, atFrom, atTo } = item;
  if (to - from < 2n || !Number.isFinite(atFrom) || !Number.isFinite(atTo) || atFrom === atTo) {
    return [from, to];
  }
  const cross = Number(from) + ((need - atFrom) * Number(to - from)) / (atTo - atFrom);
  if (!Number.isFinite(cross)) return [from, to];
  const at = BigInt(Math.floor(Math.min(Math.max(cross, Number(from)), Number(to))));
  return atTo > atFrom
    ? [at - 1n > from ? at - 1n : from, to]
    : [from, at + 2n < to ? at + 2n : to];
}

/** Level boundaries, minimum orders and depths of every leg, with their neighbours, in lots. */
function breakpoints(legs: readonly PreparedLeg[], lot: Dec, maxLots: bigint): bigint[] {
  const set = new Set<bigint>([1n, maxLots]);
  const add = (lots: bigint) => {
    for (const p of [lots - 1n, lots, lots + 1n]) if (p >= 1n && p <= maxLots) set.add(p);
  };
  for (const leg of legs) {
    let end = ZERO;
    for (const level of leg.levels) {
      end += level.size;
      add(floorDiv(end, lot));
      add(ceilDiv(end, lot));
    }
    if (leg.minLots !== null) add(leg.minLots);
    add(leg.depthLots);
  }
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
