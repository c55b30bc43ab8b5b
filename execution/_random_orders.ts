/**
 * Seeded random orders that pass the venue's rules, for the signing vectors test and the
 * signing benchmark: random 256-bit token ids, every tick size, prices on the grid, 0.01-share
 * sizes up to 5,000, both sides, every order type (post-only sometimes, GTD with an expiration
 * at least 60 s out), neg-risk or not.
 *
 * @example
 * ```ts
 * import { randomOrders } from "./_random_orders.ts";
 * const source = randomOrders(7);
 * const { request, market, nowMs } = source.next("c-1");
 * ```
 */
import type { OrderRequest, OrderType } from "./broker.ts";
import { TICK_SIZES, type TickSize } from "./order_amounts.ts";
import { checkOrder, type MarketRules } from "./order_rules.ts";
import { randomSource } from "../edge/_random_books.ts";

/** One order, its market and the time it is built. */
export interface RandomOrder {
  readonly request: OrderRequest;
  readonly market: MarketRules;
  readonly nowMs: number;
}

/** A seeded source of valid orders and of the random numbers behind them. */
export interface RandomOrders {
  /** A valid order with client order id `${prefix}-${random hex}`. */
  next(prefix: string): RandomOrder;
  /** Uniform in [0, 1). */
  random(): number;
  /** `bytes` random bytes as lowercase hex (no 0x). */
  hex(bytes: number): string;
}

const TYPES: readonly OrderType[] = ["GTC", "GTD", "FOK", "FAK"];

/** Orders from the seed; the same seed gives the same orders. */
export function randomOrders(seed: number): RandomOrders {
  const random = randomSource(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () => int(0, 255).toString(16).padStart(2, "0")).join("");
  const gridPrice = (tick: TickSize) => {
    const places = tick.split(".")[1]!.length;
    const step = Math.round(Number(tick) * 10 ** places);
    const k = int(1, Math.round(1 / Number(tick)) - 1) * step;
    return (k / 10 ** places).toFixed(places).replace(/\.?0+$/, "");
  };
  const next = (prefix: string): RandomOrder => {
    for (;;) {
      const tickSize = pick(TICK_SIZES);
      const orderType = pick(TYPES);
      const nowMs = 1_780_000_000_000 + int(0, 10_000_000_000);
      const resting = orderType === "GTC" || orderType === "GTD";
      const request: OrderRequest = {
        clientOrderId: `${prefix}-${hex(4)}`,
        tokenId: BigInt(`0x${hex(32)}`).toString(),
        side: pick(["BUY", "SELL"] as const),
        orderType,
        price: gridPrice(tickSize),
        size: (int(100, 500_000) / 100).toString(),
        postOnly: resting && random() < 0.3,
        expiration: orderType === "GTD" ? Math.floor(nowMs / 1000) + 60 + int(0, 86_400) : null,
      };
      const market = { tickSize, minOrderSize: pick(["1", "5", "15"]), negRisk: random() < 0.5 };
      if (checkOrder(request, market, nowMs).ok) return { request, market, nowMs };
    }
  };
  return { next, random, hex };
}
