/**
 * Test-only: tiny random markets (cent prices, whole-share levels) and a brute force for the
 * joint-outcome LP that shares nothing with the engine. It reads the books' text itself, tries
 * every whole number of shares on every YES and NO leg (0, or from the minimum order to the
 * depth), and keeps the best "least payoff over the valid outcomes minus cost", as an exact
 * integer count of 1e-12: once with fees unrounded (the LP's objective) and once with each
 * fill's fee floored to 1e-5 (what the venue charges).
 *
 * @example
 * ```ts
 * import { bruteJointOutcomes, tinyMarket } from "./_lp_brute.ts";
 * const markets = [0.3, 0.6].map((fair, i) => tinyMarket(Math.random, i, fair));
 * bruteJointOutcomes(markets, [[true, false], [false, true]]).relaxed; // bigint, 1e-12 units
 * ```
 */
import type { LevelText, MarketInput } from "./market.ts";

/** 10^12: the brute force's unit of collateral. */
const UNIT = 10n ** 12n;
/** A fee is charged in whole 1e-5: 10^7 brute-force units. */
const FEE_STEP = 10n ** 7n;

/** A market with 0–2 levels a side of 1–2 shares each, near `fair`, on the 0.01 tick. */
export function tinyMarket(random: () => number, id: number, fair: number): MarketInput {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const ask = Math.min(97, Math.max(2, Math.round((fair + (random() - 0.5) * 0.2) * 100)));
  const bid = Math.max(1, ask - 1 - Math.floor(random() * 3));
  const side = (start: number, step: number): LevelText[] => {
    const levels: LevelText[] = [];
    const count = pick([0, 1, 1, 2, 2]);
    for (let i = 0, at = start; i < count && at >= 1 && at <= 99; i++) {
      levels.push([`0.${String(at).padStart(2, "0")}`, String(1 + Math.floor(random() * 2))]);
      at += step * (1 + Math.floor(random() * 2));
    }
    return levels;
  };
  return {
    marketId: `m${id}`,
    conditionId: `0xc${id}`,
    yesTokenId: `${id}1`,
    noTokenId: `${id}2`,
    book: { bids: side(bid, -1), asks: side(ask, 1) },
    fee: {
      rate: pick(["0", "0", "0.05", "0.072", "0.25"]),
      exponent: random() < 0.85 ? 1 : 2,
      takerOnly: true,
    },
    tickSize: "0.01",
    minOrderSize: pick(["0", "1", "2"]),
    endDate: "2027-01-01T00:00:00Z",
    questionIndex: id,
  };
}

/** "0.37" → 37; only cent prices are generated. */
function cents(text: string): bigint {
  const match = /^0\.(\d\d)$/.exec(text);
  if (match === null) throw new RangeError(`Not a cent price: ${text}`);
  return BigInt(match[1]!);
}

/** "0.072" → 72 thousandths. */
function thousandths(text: string): bigint {
  const [whole, fraction = ""] = text.split(".");
  if (fraction.length > 3) throw new RangeError(`More than 3 places: ${text}`);
  return BigInt(whole!) * 1000n + BigInt(fraction.padEnd(3, "0"));
}

/** One leg: for each allowed whole number of shares, its cost unrounded and as charged. */
interface BruteLeg {
  readonly market: number;
  readonly yes: boolean;
  readonly options: readonly { shares: number; relaxed: bigint; exact: bigint }[];
}

function bruteLeg(market: MarketInput, index: number, yes: boolean): BruteLeg {
  // YES asks as printed; NO asks at 100 − YES bid cents, same depth. Cheapest first.
  const ladder = (yes ? market.book.asks : market.book.bids)
    .map(([price, size]) => [yes ? cents(price) : 100n - cents(price), BigInt(size)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const rate = thousandths(market.fee!.rate);
  const exponent = market.fee!.exponent;
  if (exponent > 2) throw new RangeError("exponent above 2");
  // Per share, in 1e-12: price c/100 and rate/1000 × (c(100 − c)/10^4)^exponent.
  const perShare = (c: bigint) => ({
    price: c * 10n ** 10n,
    fee: rate * (c * (100n - c)) ** BigInt(exponent) * 10n ** BigInt(9 - 4 * exponent),
  });
  const depth = ladder.reduce((sum, [, size]) => sum + Number(size), 0);
  const least = Math.max(1, Number(market.minOrderSize));
  const options = [{ shares: 0, relaxed: 0n, exact: 0n }];
  for (let shares = least; shares <= depth; shares++) {
    let [left, relaxed, exact] = [BigInt(shares), 0n, 0n];
    for (const [c, size] of ladder) {
      const take = left < size ? left : size;
      if (take === 0n) break;
      const { price, fee } = perShare(c);
      relaxed += take * (price + fee);
      exact += take * price + ((take * fee) / FEE_STEP) * FEE_STEP;
      left -= take;
    }
    options.push({ shares, relaxed, exact });
  }
  return { market: index, yes, options };
}

/**
 * The best value over every vector of whole share amounts, as 1e-12 counts (0 when nothing
 * pays): `relaxed` with unrounded fees, `exact` with fees floored per fill; `relaxedShares`
 * is one best vector, for failure messages.
 */
export function bruteJointOutcomes(
  markets: readonly MarketInput[],
  outcomes: readonly (readonly boolean[])[],
): { relaxed: bigint; exact: bigint; relaxedShares: string } {
  const legs = markets.flatMap((m, i) => [bruteLeg(m, i, true), bruteLeg(m, i, false)]);
  const best = { relaxed: 0n, exact: 0n, relaxedShares: "" };
  const paid = outcomes.map(() => 0);
  const chosen: number[] = [];
  const visit = (j: number, relaxed: bigint, exact: bigint) => {
    if (j === legs.length) {
      const least = BigInt(Math.min(...paid)) * UNIT;
      if (least - relaxed > best.relaxed) {
        best.relaxed = least - relaxed;
        best.relaxedShares = chosen.join(",");
      }
      if (least - exact > best.exact) best.exact = least - exact;
      return;
    }
    const leg = legs[j]!;
    for (const option of leg.options) {
      outcomes.forEach((outcome, r) => {
        if (outcome[leg.market] === leg.yes) paid[r]! += option.shares;
      });
      chosen.push(option.shares);
      visit(j + 1, relaxed + option.relaxed, exact + option.exact);
      chosen.pop();
      outcomes.forEach((outcome, r) => {
        if (outcome[leg.market] === leg.yes) paid[r]! -= option.shares;
      });
    }
  };
  visit(0, 0n, 0n);
  return best;
}
