/**
 * Maker and taker amounts of a V2 order, in 6-decimal base units (pUSD and outcome shares both
 * have 6 decimals), computed exactly as the official client computes them
 * (`@polymarket/clob-client-v2` 1.1.0, `order-builder/helpers/get*RawAmounts` and
 * `roundingConfig`), but in exact decimals instead of floats.
 *
 * - Limit (GTC/GTD) BUY: taker = shares (size floored to 2 dp), maker = shares × price.
 * - Limit SELL: maker = shares, taker = shares × price.
 * - Market (FOK/FAK) BUY: maker = dollars (floored to 2 dp), taker = dollars ÷ price.
 * - Market SELL: maker = shares, taker = shares × price.
 *
 * A computed amount with more decimals than the tick's `amount` places is first rounded UP at
 * `amount + 4` places and then DOWN at `amount` places (the client's two-step rounding, which
 * absorbs its float noise). With a price on the grid and a size in 0.01 lots, a limit order's
 * product never needs rounding; a market BUY's quotient usually does.
 *
 * A FOK/FAK BUY is a market BUY worth dollars on the venue (its maker amount may carry at most
 * 2 decimals): `orderAmounts` asks for size × price dollars, floored to cents, at the request's
 * worst price, as `broker.ts` describes.
 *
 * @example
 * ```ts
 * import { limitOrderAmounts } from "./order_amounts.ts";
 * limitOrderAmounts("BUY", "0.52", "10", "0.01"); // { makerAmount: 5_200_000n, takerAmount: 10_000_000n }
 * ```
 */
import type { OrderRequest, Side } from "./broker.ts";
import {
  ceilDiv,
  type Dec,
  floorDiv,
  floorTo,
  formatDec,
  mulDec,
  parseDec,
} from "../edge/decimal.ts";

/** The venue's tick sizes (0.005 and 0.0025 since 2026-07). */
export type TickSize = "0.1" | "0.01" | "0.005" | "0.0025" | "0.001" | "0.0001";

/** Decimal places the client rounds price, size and amounts to, per tick size. */
export interface Rounding {
  readonly price: number;
  readonly size: number;
  readonly amount: number;
}

/** The client's rounding table (`roundingConfig.ts`). */
export const ROUNDING: Readonly<Record<TickSize, Rounding>> = Object.freeze({
  "0.1": { price: 1, size: 2, amount: 3 },
  "0.01": { price: 2, size: 2, amount: 4 },
  "0.005": { price: 3, size: 2, amount: 5 },
  "0.0025": { price: 4, size: 2, amount: 6 },
  "0.001": { price: 3, size: 2, amount: 5 },
  "0.0001": { price: 4, size: 2, amount: 6 },
});

/** Every tick size, coarsest first. */
export const TICK_SIZES: readonly TickSize[] = Object.freeze(
  Object.keys(ROUNDING) as TickSize[],
);

/** True when `text` is one of the venue's tick sizes, spelled as the venue spells it. */
export function isTickSize(text: string): text is TickSize {
  return Object.hasOwn(ROUNDING, text);
}

/** Amounts in base units (1e-6). */
export interface OrderAmounts {
  readonly makerAmount: bigint;
  readonly takerAmount: bigint;
}

/** Dec (1e-8) units per base unit (1e-6). */
const DEC_PER_BASE = 100n;

/** Amounts of a GTC/GTD order of `size` shares at `price` (decimal text). */
export function limitOrderAmounts(
  side: Side,
  price: string,
  size: string,
  tick: TickSize,
): OrderAmounts {
  const rounding = roundingOf(tick);
  const rawPrice = roundHalfUp(parseDec(price), rounding.price);
  const shares = floorPlaces(parseDec(size), rounding.size);
  const value = roundAmount(shares * rawPrice, 10n ** 16n, rounding.amount);
  const sharesBase = shares / DEC_PER_BASE;
  return side === "BUY"
    ? { makerAmount: value, takerAmount: sharesBase }
    : { makerAmount: sharesBase, takerAmount: value };
}

/**
 * Amounts of a FOK/FAK order: `amount` is dollars for a BUY and shares for a SELL; `price` is
 * the worst price accepted.
 * @throws {RangeError} when the price rounds to 0.
 */
export function marketOrderAmounts(
  side: Side,
  amount: string,
  price: string,
  tick: TickSize,
): OrderAmounts {
  const rounding = roundingOf(tick);
  const rawPrice = floorPlaces(parseDec(price), rounding.price);
  if (rawPrice <= 0n) throw new RangeError(`Cannot price a market order at ${price}`);
  const maker = floorPlaces(parseDec(amount), rounding.size);
  // BUY: dollars ÷ price (the Dec units cancel); SELL: shares × price at scale 1e16.
  const taker = side === "BUY"
    ? roundAmount(maker, rawPrice, rounding.amount)
    : roundAmount(maker * rawPrice, 10n ** 16n, rounding.amount);
  return { makerAmount: maker / DEC_PER_BASE, takerAmount: taker };
}

/**
 * The amounts the venue sees for `request`: limit arithmetic for GTC/GTD, market arithmetic
 * for FOK/FAK (a BUY worth size × price dollars, floored to cents).
 */
export function orderAmounts(
  request: Pick<OrderRequest, "side" | "orderType" | "price" | "size">,
  tick: TickSize,
): OrderAmounts {
  const { side, orderType, price, size } = request;
  if (orderType === "GTC" || orderType === "GTD") return limitOrderAmounts(side, price, size, tick);
  const amount = side === "BUY" ? formatDec(mulDec(parseDec(size), parseDec(price))) : size;
  return marketOrderAmounts(side, amount, price, tick);
}

/** Base units as the decimal text the client would print ("5.2" for 5_200_000n). */
export function formatBaseUnits(units: bigint): string {
  return formatPlain(units, 6);
}

function roundingOf(tick: TickSize): Rounding {
  const rounding = ROUNDING[tick];
  if (rounding === undefined) throw new RangeError(`Unknown tick size: ${tick}`);
  return rounding;
}

/**
 * The client's amount rounding of the exact quotient n ÷ d: up at `places + 4` decimals, then
 * down at `places`; returned in base units (1e-6).
 */
function roundAmount(n: bigint, d: bigint, places: number): bigint {
  const up = ceilDiv(n * 10n ** BigInt(places + 4), d);
  return floorDiv(up, 10_000n) * 10n ** BigInt(6 - places);
}

/** Floors a Dec to `places` decimals. */
function floorPlaces(value: Dec, places: number): Dec {
  return floorTo(value, 10n ** BigInt(8 - places));
}

/** Rounds a Dec half up to `places` decimals (the client's `roundNormal`). */
function roundHalfUp(value: Dec, places: number): Dec {
  const unit = 10n ** BigInt(8 - places);
  return floorDiv(value + unit / 2n, unit) * unit;
}

/** A non-negative integer count of 10^-places as plain decimal text. */
function formatPlain(units: bigint, places: number): string {
  const scale = 10n ** BigInt(places);
  const fraction = (units % scale).toString().padStart(places, "0").replace(/0+$/, "");
  return `${units / scale}${fraction === "" ? "" : `.${fraction}`}`;
}
