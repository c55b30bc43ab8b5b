/**
 * Planted mispricings: a deterministic book-event stream over a few relations (neg-risk groups
 * and implication pairs) whose quiet books hold no edge, with mispricings of each live channel
 * planted at known instants, depths and durations, and the truth of what a correct scanner must
 * report: relation, channel, start, end and the exact profit. Decoys are planted too: the same
 * mispricing on an incomplete group, and on a group whose leg's connection went silent; the
 * truth for those is "no episode".
 *
 * Books: each market has a fair price p (a group's sum to 1), a bid at p − 0.02 and an ask at
 * p + 0.02 (deep levels behind, 1,000 shares each). Plants (depth d on every planted level, all
 * of one plant's changes in one ms):
 * - long basket: a new ask at p − 0.01 on every leg;
 * - conversion: a new bid at p + 0.01 on every leg (NO bought at 0.99 − p, converted);
 * - implication A ⇒ B (p_A 0.40, p_B 0.60): A bids 0.53 (its 0.42 ask moves to 0.55), B asks
 *   0.52 (its 0.58 bid moves to 0.50): buy NO of A at 0.47 and YES of B at 0.52. On a 0.001
 *   tick (`pairTick`) the plant is 0.531 / 0.519 instead.
 * Fees are the venue's: each planted fill pays the taker fee (`feeRateBp`, `feeExponent`),
 * floored to 1e-5 per fill, and a conversion pays the adapter's `convertFeeBips`; the truth's
 * profit is computed from those rules in `plant_profit.ts`, not by the edge engine. The
 * defaults (fee-free, tick 0.01, depth 100) keep the truth plain arithmetic.
 * Noise: every `noiseMs`, a deep bid or ask of some live token changes size (sizes in
 * hundredths; no edge, exercises the pre-checks and keeps connections live).
 *
 * @example
 * ```ts
 * import { plantScenario } from "./plant.ts";
 * const { relations, events, truth } = plantScenario({ seed: 1, depth: "12.37", feeRateBp: 200 });
 * ```
 */
import type { BookEvent, LevelChange } from "../stream/book_event.ts";
import type { ScanMarket, ScanRelation } from "../scanner/relation_set.ts";
import { randomSource } from "../edge/_random_books.ts";
import { formatDec } from "../edge/decimal.ts";
import {
  formatHundredths,
  formatMills,
  parseHundredths,
  plannedProfit,
  type PlantFee,
} from "./plant_profit.ts";

export type PlantedChannel = "neg_risk_conversion" | "neg_risk_basket" | "implication";

/** One planted mispricing and what must be seen of it. */
export interface PlantedTruth {
  readonly relationKey: string;
  readonly channel: PlantedChannel;
  readonly startAt: number;
  readonly endAt: number;
  /** Shares on every planted level (decimal text, hundredths: "12.37"). */
  readonly depth: string;
  /** Exact profit of the best plan while planted, as decimal text. */
  readonly profit: string;
  /** False for decoys (incomplete group, stale leg): no episode may be reported. */
  readonly expected: boolean;
  readonly why: string;
}

export interface PlantOptions {
  readonly seed?: number;
  /** Legs per neg-risk group. */
  readonly legs?: number;
  /** Shares on every planted level, in hundredths at most ("12.37"; default 100). */
  readonly depth?: number | string;
  /** Durations of the real plants, ms (each channel gets each). */
  readonly durationsMs?: readonly number[];
  /** Time between noise events, ms (fractional: several per ms). */
  readonly noiseMs?: number;
  /**
   * Taker fee rate of every market in 1e-4 (400 = 0.04; default 0). The truth's profit is then
   * after fees: each planted fill pays shares × rate × (p(1 − p))^exponent, floored to 1e-5.
   */
  readonly feeRateBp?: number;
  /** The fee schedule's exponent (default 1). */
  readonly feeExponent?: number;
  /** The adapter's conversion fee in basis points, on every group (default 0). */
  readonly convertFeeBips?: number;
  /** Tick of the implication pair's markets (default "0.01"; "0.001" plants in thousandths). */
  readonly pairTick?: "0.01" | "0.001";
  /** Extra complete groups that are never mispriced (the noise spreads over them too). */
  readonly quietGroups?: number;
  /** Quiet time between plants, ms. */
  readonly quietMs?: number;
  /** The scanner's staleness limit: the silent leg's decoy is planted past it. */
  readonly maxBookAgeMs?: number;
  /** Epoch ms of the first event. */
  readonly startAt?: number;
}

export interface PlantedScenario {
  readonly relations: ScanRelation[];
  readonly events: BookEvent[];
  readonly truth: PlantedTruth[];
}

/** Decimal text of a price in whole cents. */
const cents = (c: number) => formatMills(c * 10);

interface Leg {
  readonly market: ScanMarket;
  readonly fairCents: number;
  readonly connection: number;
}

export function plantScenario(options: PlantOptions = {}): PlantedScenario {
  const random = randomSource(options.seed ?? 1);
  const n = options.legs ?? 4;
  const depthH = parseHundredths(String(options.depth ?? 100));
  const depth = formatHundredths(depthH);
  const durations = options.durationsMs ?? [300, 1500, 4000];
  const noiseMs = options.noiseMs ?? 50;
  const quiet = options.quietMs ?? 3000;
  const plantFee: PlantFee = { rateBp: options.feeRateBp ?? 0, exponent: options.feeExponent ?? 1 };
  const convertFeeBips = options.convertFeeBips ?? 0;
  const pairTick = options.pairTick ?? "0.01";
  const fee = {
    rate: formatDec(BigInt(plantFee.rateBp) * 10_000n),
    exponent: plantFee.exponent,
    takerOnly: true,
  } as const;
  /** A planted episode's truth: `mills` are the prices of the planted fills. */
  const real = (
    relationKey: string,
    channel: PlantedChannel,
    span: { startAt: number; endAt: number },
    fills: { payoutPerShare: number; mills: readonly number[] },
  ): PlantedTruth => {
    const profit = plannedProfit({
      sharesH: depthH,
      payoutPerShare: BigInt(fills.payoutPerShare),
      mills: fills.mills,
      fee: plantFee,
      convertFeeBips: channel === "neg_risk_conversion" ? convertFeeBips : 0,
    });
    return {
      relationKey,
      channel,
      ...span,
      depth,
      profit: formatDec(profit),
      // A plant whose fees eat its margin is a decoy: nothing may be reported.
      expected: profit > 0n,
      why: profit > 0n ? "planted" : "fees exceed the margin",
    };
  };
  const maxAge = options.maxBookAgeMs ?? 5000;
  const t0 = options.startAt ?? 1_800_000_000_000;
  const events: BookEvent[] = [];
  const truth: PlantedTruth[] = [];
  let sequence = 0;
  const push = (at: number, leg: Leg, changes: LevelChange[]) =>
    events.push({
      kind: "price_change",
      tokenId: leg.market.yesTokenId,
      exchangeTs: at - 5,
      receivedAt: at,
      connection: leg.connection,
      sequence: sequence++,
      changes,
    });
  let marketNo = 0;
  const market = (fairCents: number, connection: number, tickSize = "0.01"): Leg => {
    const id = String(++marketNo);
    return {
      market: {
        marketId: id,
        conditionId: `0x${id.padStart(64, "0")}`,
        yesTokenId: `${id}01`,
        noTokenId: `${id}02`,
        fee,
        tickSize,
        minOrderSize: "5",
        endDate: "2027-01-01T00:00:00.000Z",
        questionIndex: 0,
      },
      fairCents,
      connection,
    };
  };
  const groupLegs = (connection: (i: number) => number) => {
    const fairs = Array.from({ length: n }, () => 0);
    // Fair prices in whole cents, 10–60 each, summing to 100.
    let left = 100;
    for (let i = 0; i < n - 1; i++) {
      const share = Math.max(10, Math.min(60, Math.round(left / (n - i) + (random() - 0.5) * 8)));
      fairs[i] = share;
      left -= share;
    }
    fairs[n - 1] = left;
    return fairs.map((f, i) => {
      const leg = market(f, connection(i));
      return { ...leg, market: { ...leg.market, questionIndex: i } };
    });
  };
  const groups = {
    basket: groupLegs(() => 1),
    conversion: groupLegs(() => 2),
    incomplete: groupLegs(() => 1),
    stale: groupLegs((i) => (i === 0 ? 9 : 2)),
  };
  const pair = [market(40, 3, pairTick), market(60, 3, pairTick)] as const;
  const quietGroups = Array.from({ length: options.quietGroups ?? 0 }, () => groupLegs(() => 4));
  const relations: ScanRelation[] = [
    group("group-basket", groups.basket, { complete: true, convertFeeBips }),
    group("group-conversion", groups.conversion, { complete: true, convertFeeBips }),
    group("group-incomplete", groups.incomplete, { complete: false, convertFeeBips }),
    group("group-stale", groups.stale, { complete: true, convertFeeBips }),
    {
      key: "pair-implication",
      kind: "implication",
      complete: true,
      convertFeeBips: 0,
      markets: pair.map((l) => l.market),
    },
    ...quietGroups.map((legs, i) =>
      group(`group-quiet-${i}`, legs, { complete: true, convertFeeBips })
    ),
  ];
  const all = [...Object.values(groups).flat(), ...pair, ...quietGroups.flat()];
  // Snapshots: bid p − 2¢ (and 3 deeper), ask p + 2¢ (and 3 deeper), 1,000 shares each.
  for (const leg of all) {
    const p = leg.fairCents;
    events.push({
      kind: "book",
      tokenId: leg.market.yesTokenId,
      exchangeTs: t0 - 5,
      receivedAt: t0,
      connection: leg.connection,
      sequence: sequence++,
      bids: [2, 3, 4, 5].map((k) => [cents(p - k), "1000"] as const),
      asks: [2, 3, 4, 5].map((k) => [cents(p + k), "1000"] as const),
      tickSize: leg.market.tickSize,
    });
  }
  // Plants, one after another with `quietMs` between.
  const d = depth;
  const plants: { at: number; ms: number; kind: string }[] = [];
  let at = t0 + 1000;
  for (const ms of durations) {
    for (const kind of ["basket", "conversion", "implication", "incomplete"]) {
      plants.push({ at, ms, kind });
      at += ms + quiet;
    }
  }
  // The stale decoy: leg 0's connection (9) is silent from t0 on; planted past maxAge.
  at = Math.max(at, t0 + maxAge + 1000);
  plants.push({ at, ms: 2000, kind: "stale" });
  const end = at + 2000 + quiet;
  for (const plant of plants) {
    const { at: s, ms } = plant;
    const e = s + ms;
    if (plant.kind === "implication") {
      const [a, b] = pair;
      // A's bid and B's ask, in mills: a cent inside on 0.01, 1.1¢ on 0.001.
      const [bidA, askB] = pairTick === "0.001" ? [531, 519] : [530, 520];
      push(s, a, [
        { price: formatMills(bidA), size: d, side: "BUY" },
        { price: "0.42", size: "0", side: "SELL" },
        { price: "0.55", size: "1000", side: "SELL" },
      ]);
      push(s, b, [
        { price: "0.58", size: "0", side: "BUY" },
        { price: "0.5", size: "1000", side: "BUY" },
        { price: formatMills(askB), size: d, side: "SELL" },
      ]);
      push(e, a, [
        { price: formatMills(bidA), size: "0", side: "BUY" },
        { price: "0.55", size: "0", side: "SELL" },
        { price: "0.42", size: "1000", side: "SELL" },
      ]);
      push(e, b, [
        { price: formatMills(askB), size: "0", side: "SELL" },
        { price: "0.5", size: "0", side: "BUY" },
        { price: "0.58", size: "1000", side: "BUY" },
      ]);
      const span = { startAt: s, endAt: e };
      truth.push(
        real("pair-implication", "implication", span, {
          payoutPerShare: 1,
          mills: [1000 - bidA, askB],
        }),
      );
      continue;
    }
    const legs = plant.kind === "basket"
      ? groups.basket
      : plant.kind === "conversion"
      ? groups.conversion
      : plant.kind === "incomplete"
      ? groups.incomplete
      : groups.stale;
    const basket = plant.kind !== "conversion" && plant.kind !== "stale";
    // The stale decoy leaves the silent leg alone: a push would wake its connection.
    const moved = legs.filter((leg) => leg.connection !== 9);
    for (const leg of moved) {
      const price = cents(leg.fairCents + (basket ? -1 : 1));
      push(s, leg, [{ price, size: d, side: basket ? "SELL" : "BUY" }]);
    }
    for (const leg of moved) {
      const price = cents(leg.fairCents + (basket ? -1 : 1));
      push(e, leg, [{ price, size: "0", side: basket ? "SELL" : "BUY" }]);
    }
    const channel = basket ? "neg_risk_basket" : "neg_risk_conversion";
    const key = `group-${plant.kind}`;
    // Basket: YES at p − 1¢, paying 1. Conversion: NO at 1 − (p + 1¢), paying n − 1.
    const fills = {
      payoutPerShare: basket ? 1 : n - 1,
      mills: moved.map((leg) => 10 * (basket ? leg.fairCents - 1 : 99 - leg.fairCents)),
    };
    const span = { startAt: s, endAt: e };
    if (plant.kind === "basket" || plant.kind === "conversion") {
      truth.push(real(key, channel, span, fills));
    } else {
      truth.push({
        ...real(key, channel, span, fills),
        expected: false,
        why: plant.kind === "stale" ? "a leg's connection is silent" : "incomplete group",
      });
    }
  }
  // Noise on every connection but the silent one: a deep level's size changes (either side).
  const live = all.filter((l) => l.connection !== 9);
  let noise = 0;
  for (let t = t0 + noiseMs; t < end; t += noiseMs) {
    const leg = live[noise++ % live.length]!;
    const size = formatHundredths(100_000n + BigInt(Math.floor(random() * 50_000)));
    const bid = random() < 0.5;
    const price = cents(leg.fairCents + (bid ? -5 : 5));
    push(Math.round(t), leg, [{ price, size, side: bid ? "BUY" : "SELL" }]);
  }
  events.sort((x, y) => x.receivedAt - y.receivedAt || x.sequence - y.sequence);
  return { relations, events: events.map((e, i) => ({ ...e, sequence: i })), truth };
}

function group(
  key: string,
  legs: readonly Leg[],
  o: { complete: boolean; convertFeeBips: number },
): ScanRelation {
  return { key, kind: "group", ...o, markets: legs.map((l) => l.market) };
}
