/**
 * Walking one side of a book level by level: the exact cost of buying q shares (price × size
 * plus the taker fee of each level's fill), the book's depth, the smallest order the venue
 * accepts (orderMinSize shares and the $1 minimum of a marketable order), and the float
 * relaxation used only to bound searches.
 *
 * @example
 * ```ts
 * import { parseLadder, walkBuy } from "./book_walk.ts";
 * import { parseDec } from "./decimal.ts";
 * const asks = parseLadder([["0.42", "10"], ["0.43", "5"]], parseDec("0.01"));
 * walkBuy(asks!, parseDec("12"), { rate: parseDec("0.05"), exponent: 1 }); // 2 fills, cost 5.0903…
 * ```
 */
import { ceilDiv, type Dec, mulDec, ONE, parseDec, toNumber, ZERO } from "./decimal.ts";
import { feePerShare, type ParsedFee, takerFee } from "./fees.ts";
import type { LevelText } from "./market.ts";

/** One price level on the side we take from, in trade order (cheapest ask first). */
export interface Level {
  readonly price: Dec;
  readonly size: Dec;
}

/** One fill of a walk: the level's price, the shares taken there and that fill's fee. */
export interface Fill {
  readonly price: Dec;
  readonly shares: Dec;
  readonly fee: Dec;
}

/** The result of buying `shares` through a ladder. */
export interface LegFill {
  readonly fills: readonly Fill[];
  readonly shares: Dec;
  /** Σ price × shares, fees excluded. */
  readonly notional: Dec;
  readonly fees: Dec;
  /** notional + fees. */
  readonly cost: Dec;
}

/**
 * Parses an ask ladder: sorted cheapest first, equal prices merged. Returns null when a price
 * is off the tick grid or outside (0, 1), or a size is not positive: such a book is not traded.
 */
export function parseLadder(levels: readonly LevelText[], tick: Dec): Level[] | null {
  const parsed: Level[] = [];
  for (const [priceText, sizeText] of levels) {
    let price: Dec, size: Dec;
    try {
      price = parseDec(priceText);
      size = parseDec(sizeText);
    } catch {
      return null;
    }
    if (price <= ZERO || price >= ONE || size <= ZERO || tick <= ZERO || price % tick !== 0n) {
      return null;
    }
    parsed.push({ price, size });
  }
  parsed.sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0));
  const merged: Level[] = [];
  for (const level of parsed) {
    const last = merged.at(-1);
    if (last !== undefined && last.price === level.price) {
      merged[merged.length - 1] = { price: last.price, size: last.size + level.size };
    } else merged.push(level);
  }
  return merged;
}

/** NO asks from YES bids: price 1 − p, same depth, cheapest first. */
export function mirrorLadder(yesBids: readonly Level[]): Level[] {
  return yesBids.map((level) => ({ price: ONE - level.price, size: level.size }))
    .sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0));
}

/** Total shares on the ladder. */
export function depth(levels: readonly Level[]): Dec {
  return levels.reduce((sum, level) => sum + level.size, ZERO);
}

/** Buys `shares` level by level; null when the ladder is too thin. */
export function walkBuy(levels: readonly Level[], shares: Dec, fee: ParsedFee): LegFill | null {
  const fills: Fill[] = [];
  let left = shares;
  let notional = ZERO;
  let fees = ZERO;
  for (const level of levels) {
    if (left <= ZERO) break;
    const take = left < level.size ? left : level.size;
    const fillFee = takerFee(take, level.price, fee);
    fills.push({ price: level.price, shares: take, fee: fillFee });
    notional += mulDec(take, level.price);
    fees += fillFee;
    left -= take;
  }
  if (left > ZERO) return null;
  return { fills, shares, notional, fees, cost: notional + fees };
}

/**
 * A ladder prepared for many walks (a search prices one ladder at hundreds of sizes): each
 * level's full fill and the totals of the levels before it, so a walk only prices its last,
 * partial level. The same sums in the same units as `walkBuy`, so the same result.
 */
export interface PreparedWalk {
  readonly levels: readonly Level[];
  readonly fee: ParsedFee;
  readonly full: readonly Fill[];
  /** Shares, notional and fees of levels [0, i). */
  readonly sharesBefore: readonly Dec[];
  readonly notionalBefore: readonly Dec[];
  readonly feesBefore: readonly Dec[];
}

export function prepareWalk(levels: readonly Level[], fee: ParsedFee): PreparedWalk {
  const full: Fill[] = [];
  const sharesBefore: Dec[] = [];
  const notionalBefore: Dec[] = [];
  const feesBefore: Dec[] = [];
  let [shares, notional, fees] = [ZERO, ZERO, ZERO];
  for (const level of levels) {
    sharesBefore.push(shares);
    notionalBefore.push(notional);
    feesBefore.push(fees);
    const fill = {
      price: level.price,
      shares: level.size,
      fee: takerFee(level.size, level.price, fee),
    };
    full.push(fill);
    shares += level.size;
    notional += mulDec(level.size, level.price);
    fees += fill.fee;
  }
  return { levels, fee, full, sharesBefore, notionalBefore, feesBefore };
}

/** `walkBuy(walk.levels, shares, walk.fee)`, pricing only the last level touched. */
export function walkPrepared(walk: PreparedWalk, shares: Dec): LegFill | null {
  if (shares <= ZERO) return walkBuy(walk.levels, shares, walk.fee);
  const { levels, sharesBefore } = walk;
  // The last level touched: the first whose end reaches `shares` (binary search on the ends).
  let [lo, hi] = [0, levels.length - 1];
  if (hi < 0 || sharesBefore[hi]! + levels[hi]!.size < shares) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sharesBefore[mid]! + levels[mid]!.size >= shares) hi = mid;
    else lo = mid + 1;
  }
  const level = levels[lo]!;
  const take = shares - sharesBefore[lo]!;
  const last = take === level.size
    ? walk.full[lo]!
    : { price: level.price, shares: take, fee: takerFee(take, level.price, walk.fee) };
  const notional = walk.notionalBefore[lo]! + mulDec(take, level.price);
  const fees = walk.feesBefore[lo]! + last.fee;
  return {
    fills: [...walk.full.slice(0, lo), last],
    shares,
    notional,
    fees,
    cost: notional + fees,
  };
}

/**
 * The smallest whole number of lots the venue accepts on this ladder: at least `minSize`
 * shares and a notional of at least `minNotional`. null when the whole ladder is too small.
 */
export function minimumLots(
  levels: readonly Level[],
  rules: { readonly minSize: Dec; readonly minNotional: Dec; readonly lot: Dec },
): bigint | null {
  let shares = ZERO;
  let notional = ZERO;
  let needed: Dec | null = null;
  for (const level of levels) {
    const levelNotional = mulDec(level.size, level.price);
    if (notional + levelNotional >= rules.minNotional) {
      // Shares at this level that bring the notional to the minimum, rounded up to 1e-8.
      needed = shares + ceilDiv((rules.minNotional - notional) * ONE, level.price);
      break;
    }
    shares += level.size;
    notional += levelNotional;
  }
  if (needed === null) return null;
  const atLeast = needed > rules.minSize ? needed : rules.minSize;
  const lots = ceilDiv(atLeast, rules.lot);
  return lots * rules.lot <= depth(levels) ? lots : null;
}

/** A ladder as floats with each level's all-in price per share, for relaxations. */
export interface FloatLadder {
  readonly ends: readonly number[];
  readonly unitCost: readonly number[];
}

export function floatLadder(levels: readonly Level[], fee: ParsedFee): FloatLadder {
  let end = 0;
  return {
    ends: levels.map((level) => (end += toNumber(level.size))),
    unitCost: levels.map((level) => toNumber(level.price) + feePerShare(level.price, fee)),
  };
}

/** The unrounded cost of `shares` (a float), Infinity when the ladder is too thin. */
export function relaxedCost(ladder: FloatLadder, shares: number): number {
  let cost = 0;
  let start = 0;
  for (let i = 0; i < ladder.ends.length; i++) {
    const end = ladder.ends[i]!;
    const take = Math.min(shares, end) - start;
    if (take <= 0) return cost;
    cost += take * ladder.unitCost[i]!;
    start = end;
  }
  return shares > start + 1e-9 ? Infinity : cost;
}
