/**
 * The realistic activity model (`simulate --activity realistic`, and the storage benchmark's
 * default): how often each market of the universe moves, calibrated to public figures of the
 * whole Polymarket market channel (sources in docs/activity_model.md):
 *
 * - ~46,500 active markets (~93,000 tokens);
 * - ~510 market-channel messages a second on average (308 M in 7 days, May 2026), ~99.7% of
 *   them `price_change`;
 * - heavy-tailed: most markets quiet for hours, a few hundred very busy;
 * - trades in the low millions a day at most.
 *
 * Market i's share of the messages falls with its rank as a shifted power law, with ranks
 * assigned by a seeded shuffle so busy markets are spread over the universe. A smaller
 * simulated universe gets the same per-market rates (the venue's total scaled by its size).
 * The `busy` mode (the engine's fixed events per tick on subscribed markets) stays for load
 * tests.
 *
 * @example
 * ```ts
 * import { ActivityModel } from "./activity_model.ts";
 * import { Random } from "./_random.ts";
 * const model = new ActivityModel(46_500, 1);
 * const r = new Random(1);
 * const events = model.eventsIn(100, r); // about 51 events in 100 ms
 * const market = model.pickMarket(r); // an index in [0, 46,500)
 * ```
 */
import { Random } from "./_random.ts";

/** `busy`: fixed events per tick on subscribed markets; `realistic`: this model. */
export type ActivityMode = "busy" | "realistic";

/** Active markets of the venue (~93,000 tokens). */
export const VENUE_MARKETS = 46_500;
/** Market-channel messages a second over the whole venue: 308 M in 7 days. */
export const VENUE_MESSAGES_PER_SECOND = 308e6 / (7 * 86_400);
/**
 * Probability that an activity event is a trade. A trade sends ~2.5 messages (the trade, its
 * price_change, sometimes two books), a quote change one, so 0.2% trades keep `price_change`
 * at ~99.7% of messages and the venue at ~90,000 trades a day.
 */
export const TRADE_SHARE = 0.002;
/**
 * The heavy tail, share ∝ 1 / (rank + ZIPF_OFFSET)^ZIPF_EXPONENT: over the venue's 46,500
 * markets the busiest gets ~8 events/s, the 300th ~15 a minute, the top 300 ~79% of all
 * messages, the median market one event every ~2 hours and the quietest one every ~7.5 hours.
 */
export const ZIPF_EXPONENT = 1.8;
/** Flattens the head so that no single market carries a large part of the venue. */
export const ZIPF_OFFSET = 50;

/** Per-market event rates of a universe of `markets` markets. */
export class ActivityModel {
  readonly markets: number;
  /** Activity events a second over this universe. */
  readonly eventsPerSecond: number;
  /** cumulative[k]: share of events of the markets ranked 0..k. */
  readonly #cumulative: Float64Array;
  /** market index of each rank. */
  readonly #marketOfRank: Uint32Array;
  /** events a second of each market index. */
  readonly #rate: Float64Array;

  constructor(markets: number, seed: number) {
    this.markets = Math.max(1, Math.floor(markets));
    this.eventsPerSecond = (VENUE_MESSAGES_PER_SECOND * this.markets) / VENUE_MARKETS /
      (1 + 1.5 * TRADE_SHARE);
    // The shares follow the venue's ranks: a universe of 1/10 the venue samples every 10th
    // rank, so it has the venue's mix of busy and quiet markets, not only the busiest.
    const stride = VENUE_MARKETS / this.markets;
    const weights = new Float64Array(this.markets);
    let total = 0;
    for (let k = 0; k < this.markets; k++) {
      weights[k] = 1 / (k * stride + ZIPF_OFFSET) ** ZIPF_EXPONENT;
      total += weights[k]!;
    }
    this.#cumulative = new Float64Array(this.markets);
    let sum = 0;
    for (let k = 0; k < this.markets; k++) this.#cumulative[k] = sum += weights[k]! / total;
    this.#marketOfRank = shuffled(this.markets, new Random(seed ^ 0xac71));
    this.#rate = new Float64Array(this.markets);
    for (let k = 0; k < this.markets; k++) {
      this.#rate[this.#marketOfRank[k]!] = (weights[k]! / total) * this.eventsPerSecond;
    }
  }

  /** Activity events a second of market `index`. */
  rateOf(index: number): number {
    return this.#rate[index] ?? 0;
  }

  /** A Poisson count of the universe's events in `ms` milliseconds. */
  eventsIn(ms: number, r: Random): number {
    return poisson((this.eventsPerSecond * ms) / 1000, r);
  }

  /** A market index drawn by activity share. */
  pickMarket(r: Random): number {
    const u = r.next();
    let lo = 0, hi = this.markets - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return this.#marketOfRank[lo]!;
  }

  /** True when the next event is a trade. */
  isTrade(r: Random): boolean {
    return r.chance(TRADE_SHARE);
  }
}

/** A Poisson draw: exact for small means, normal approximation above 30. */
export function poisson(mean: number, r: Random): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
    return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = r.next();
  while (p > limit) {
    k++;
    p *= r.next();
  }
  return k;
}

function shuffled(n: number, r: Random): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
