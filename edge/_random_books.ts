/**
 * Test-only: seeded random markets for the property tests, and a brute-force pricer that tries
 * every order size lot by lot and every set of legs, applying the tick, minimum-size, $1 and
 * fee rules by walking levels directly (no search, no relaxation).
 */
import { type Dec, formatDec, ONE, parseDec, ZERO } from "./decimal.ts";
import type { LevelText, MarketInput, NegRiskGroupInput } from "./market.ts";

/** mulberry32: a small deterministic generator so failures reproduce from the seed. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TICKS = ["0.01", "0.01", "0.001", "0.1", "0.005"];
const RATES = ["0", "0.03", "0.04", "0.05", "0.07", "0.072", "0.25"];

/** A random binary market whose fair YES probability is near `fair`. */
export function randomMarket(
  random: () => number,
  id: number,
  fair: number,
  maxSizeCents = 1500,
): MarketInput {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const tickText = pick(TICKS);
  const tick = Number(tickText);
  const ticks = Math.round(1 / tick);
  const noise = (random() - 0.5) * 0.3;
  let bidTicks = Math.min(ticks - 2, Math.max(1, Math.round((fair + noise) * ticks)));
  const spread = 1 + Math.floor(random() * 3);
  const askTicks = Math.min(ticks - 1, bidTicks + spread);
  bidTicks = Math.min(bidTicks, askTicks - 1);
  const side = (start: number, step: number): LevelText[] => {
    const levels: LevelText[] = [];
    const count = Math.floor(random() * 4);
    for (let i = 0, at = start; i < count && at >= 1 && at <= ticks - 1; i++) {
      levels.push([formatDec(BigInt(at) * parseDec(tickText)), randomSize(random, maxSizeCents)]);
      at += step * (1 + Math.floor(random() * 2));
    }
    return levels;
  };
  return {
    marketId: `m${id}`,
    conditionId: `0xc${id}`,
    yesTokenId: `${id}1`,
    noTokenId: `${id}2`,
    book: { bids: side(bidTicks, -1), asks: side(askTicks, 1) },
    fee: { rate: pick(RATES), exponent: random() < 0.9 ? 1 : 2, takerOnly: true },
    tickSize: tickText,
    minOrderSize: pick(["0", "1", "5"]),
    endDate: "2027-01-01T00:00:00Z",
    questionIndex: id,
  };
}

function randomSize(random: () => number, maxCents: number): string {
  const cents = 50 + Math.floor(random() * maxCents);
  return formatDec(BigInt(random() < 0.5 ? cents - (cents % 100) || 100 : cents) * 1_000_000n);
}

/** Fair probabilities that sum to `total` (1 for a partition). */
export function randomFairs(random: () => number, n: number, total: number): number[] {
  const weights = Array.from({ length: n }, () => 0.05 + random());
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (w / sum) * total);
}

/**
 * A random complete neg-risk group and the rules to price it: one in five sits within ticks of
 * no-arbitrage (`nearZeroEdgeMarkets`), the rest has 2 to `maxLegs` markets around fair prices
 * summing to 0.8–1.2. The lot is drawn from `lots` (no draw when there is one), the adapter's
 * `convertFeeBips` from `feeBips` (0 without a draw when it is not given).
 */
export function randomGroup(
  random: () => number,
  outcome: "YES" | "NO",
  options: {
    maxLegs: number;
    lots: readonly string[];
    maxSizeCents?: number;
    near?: { legs?: number; sizeCents?: number };
    feeBips?: readonly number[];
  },
): { group: NegRiskGroupInput; lot: string; minNotional: string } {
  const draw = options.feeBips;
  const convertFeeBips = draw === undefined ? 0 : draw[Math.floor(random() * draw.length)]!;
  if (random() < 0.2) {
    const markets = nearZeroEdgeMarkets(random, outcome, options.near);
    return {
      group: { groupId: "g", complete: true, convertFeeBips, markets },
      lot: "0.01",
      minNotional: "0",
    };
  }
  const count = 2 + Math.floor(random() * (options.maxLegs - 1));
  const fairs = randomFairs(random, count, 0.8 + random() * 0.4);
  const markets = fairs.map((fair, i) => randomMarket(random, i, fair, options.maxSizeCents));
  const { lots } = options;
  return {
    group: { groupId: "g", complete: true, convertFeeBips, markets },
    lot: lots.length > 1 ? lots[Math.floor(random() * lots.length)]! : lots[0]!,
    minNotional: ["0", "0.5", "1"][Math.floor(random() * 3)]!,
  };
}

/** One leg for `bruteCost`: the outcome's ladder with the market's fee and minimum size. */
export function bruteLeg(market: MarketInput, outcome: "YES" | "NO", minNotional: Dec) {
  return {
    levels: bruteLadder(market, outcome),
    rate: parseDec(market.fee!.rate),
    exponent: market.fee!.exponent,
    minSize: parseDec(market.minOrderSize),
    minNotional,
  };
}

/** Independent level walk: the cost of q shares, or null when the book or rules forbid it. */
export function bruteCost(
  levels: readonly (readonly [Dec, Dec])[],
  q: Dec,
  rules: { rate: Dec; exponent: number; minSize: Dec; minNotional: Dec },
): Dec | null {
  if (q < rules.minSize) return null;
  let left = q;
  let notional = ZERO;
  let fees = ZERO;
  for (const [price, size] of levels) {
    if (left === ZERO) break;
    const take = left < size ? left : size;
    notional += (take * price) / ONE;
    let exact = take * rules.rate;
    let scale = ONE * ONE;
    for (let e = 0; e < rules.exponent; e++) {
      exact *= price * (ONE - price);
      scale *= ONE * ONE;
    }
    fees += ((exact * 100_000n) / scale) * 1_000n;
    left -= take;
  }
  if (left > ZERO || notional < rules.minNotional) return null;
  return notional + fees;
}

/** A YES ask ladder, or the NO ask ladder mirrored from YES bids, cheapest first. */
export function bruteLadder(market: MarketInput, outcome: "YES" | "NO"): [Dec, Dec][] {
  const side = outcome === "YES" ? market.book.asks : market.book.bids;
  return side.map(([p, s]): [Dec, Dec] => [
    outcome === "YES" ? parseDec(p) : ONE - parseDec(p),
    parseDec(s),
  ]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * A neg-risk group priced within a few ticks of no-arbitrage, with tiny fee rates, fine ticks
 * and lots of 0.01: where a profit exists at all it may come from fee rounding alone at an
 * order size strictly inside a book level, which a search over level boundaries misses.
 */
export function nearZeroEdgeMarkets(
  random: () => number,
  outcome: "YES" | "NO",
  options: { legs?: number; sizeCents?: number } = {},
): MarketInput[] {
  const n = options.legs ?? 2 + Math.floor(random() * 2);
  const prices = randomFairs(random, n, 1).map((p) => Math.max(1, Math.round(p * 10_000)));
  prices[0] = prices[0]! + (10_000 - prices.reduce((a, b) => a + b, 0)) +
    Math.floor(random() * 5) - 2;
  if (prices.some((p) => p <= 0 || p >= 10_000)) {
    return nearZeroEdgeMarkets(random, outcome, options);
  }
  return prices.map((ticks, i) => {
    const at = (t: number) => formatDec(BigInt(t) * 10_000n);
    const cents = options.sizeCents ?? 250;
    const size = () => formatDec(BigInt(5 + Math.floor(random() * cents)) * 1_000_000n);
    const levels: LevelText[] = [[at(ticks), size()]];
    if (random() < 0.5) levels.push([at(outcome === "YES" ? ticks + 1 : ticks - 1), size()]);
    const other: LevelText[] = [[at(outcome === "YES" ? ticks - 1 : ticks + 1), "10"]];
    return {
      marketId: `m${i}`,
      conditionId: `0xc${i}`,
      yesTokenId: `${i}1`,
      noTokenId: `${i}2`,
      book: outcome === "YES" ? { bids: other, asks: levels } : { bids: levels, asks: other },
      fee: {
        rate: ["0.0005", "0.001", "0.0003"][Math.floor(random() * 3)]!,
        exponent: 1,
        takerOnly: true,
      },
      tickSize: "0.0001",
      minOrderSize: "0",
      endDate: "2027-01-01T00:00:00Z",
      questionIndex: i,
    };
  });
}
