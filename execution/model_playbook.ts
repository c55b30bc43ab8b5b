/**
 * The model-edge playbook (issue 30): from one token's forecast (models/forecast_at.ts) and that
 * token's book as it is now, one FAK BUY sized by a capped Kelly fraction of the ledger's equity,
 * or a decline with its reason. Pure: no I/O and no clock; the executor (`tradeForecast`) passes
 * the instant, the book, the equity and the limits, and sends what comes back through the risk
 * engine and the ledger.
 *
 * - **Refusals first**: a baseline forecast (no stored model: its probability is the market's
 *   own price, so its edge is the model's error, not the market's); a forecast older than
 *   `maxForecastAgeMs`; a market that is not tradable (closed, resolved, gated: `notTradable`);
 *   no book; a book whose connection has been silent for longer than `maxBookAgeMs`.
 * - **EV at the executable price**: the token wins with probability q (the forecast's). One share
 *   bought at ask p costs c(p) = p + fee(p), fee(p) = rate × (p(1 − p))^exponent (the taker fee
 *   per share before the venue's rounding to 1e-5 a fill), and is worth q: EV(p) = q − c(p).
 *   c rises with p, so the levels worth taking are a prefix of the asks: those with
 *   EV(p) ≥ `minEv` (the larger of the playbook's threshold and the risk engine's minimum edge)
 *   and p within `priceBand` of the best ask (the risk engine's band).
 * - **Kelly size**: buying at cost c a share that pays 1, the growth-optimal fraction of a
 *   bankroll is f* = (q − c)/(1 − c). The playbook spends f = min(cap, multiplier × f*) of the
 *   ledger's equity (cash + positions marked at their best bid), with c the cost of the worst
 *   level taken (the conservative price): going one level deeper lowers f, so the walk stops at
 *   the first level k where the levels 1..k cost more than f_k × equity, buying into level k
 *   only as far as that budget allows (and never fewer shares than levels 1..k−1 whole).
 * - **The order**: shares floored to the venue's 0.01 lot, then to what keeps price × shares
 *   within `maxOrderNotional`; one FAK BUY at the worst level's price. Its EV is q × shares less
 *   the exact cost of walking those shares (each level's fee floored as a fill's).
 *
 * @example
 * ```ts ignore
 * import { decideModel } from "./model_playbook.ts";
 * const d = decideModel(forecast, { at: Date.now(), book, equity, notTradable: null, limits });
 * if (d.action === "act") send(d.order!);
 * ```
 */
import {
  type Dec,
  divDec,
  floorDiv,
  floorTo,
  formatDec,
  mulDec,
  ONE,
  parseDec,
  ZERO,
} from "../edge/decimal.ts";
import { type ParsedFee, takerFee } from "../edge/fees.ts";
import type { TokenBook } from "./playbook.ts";

/** The venue's share lot. */
const LOT: Dec = parseDec("0.01");

/** One token's forecast, as the forecasts task makes it and the `forecasts` table keeps it. */
export interface ModelForecast {
  readonly marketId: string;
  readonly tokenId: string;
  readonly outcomeIndex: 0 | 1;
  /** The token's probability of winning, 0–1. */
  readonly probability: number;
  /** Unix ms of the forecast's instant. */
  readonly instant: number;
  /** The stored model's version; null for the market baseline (never traded). */
  readonly modelVersion: number | null;
}

export interface ModelLimits {
  /** Least EV per share after the taker fee worth buying (with the risk minimum edge). */
  readonly minEv: Dec;
  /** Fraction of full Kelly spent. */
  readonly kellyMultiplier: Dec;
  /** Largest fraction of equity one order may spend. */
  readonly kellyCap: Dec;
  readonly maxBookAgeMs: number;
  readonly maxForecastAgeMs: number;
  /** The risk engine's price band: no level further than this from the best ask. */
  readonly priceBand: Dec;
  /** The risk engine's largest price × size of one order. */
  readonly maxOrderNotional: Dec;
}

/** The order the playbook asks for. */
export interface ModelOrder {
  readonly tokenId: string;
  readonly side: "BUY";
  readonly orderType: "FAK";
  /** The worst level taken (the order's limit). */
  readonly price: Dec;
  readonly shares: Dec;
}

export interface ModelDecision {
  readonly marketId: string;
  readonly tokenId: string;
  readonly at: number;
  readonly action: "act" | "decline";
  readonly reason: string;
  readonly probability: Dec;
  readonly modelVersion: number | null;
  readonly equity: Dec;
  /** Best ask when a book was read. */
  readonly bestAsk: Dec | null;
  /** EV per share at the best ask (null: no ask). */
  readonly evAtBest: Dec | null;
  /** The Kelly fraction spent (after multiplier and cap) at the order's price. */
  readonly kelly: Dec | null;
  /** Kelly fraction × equity. */
  readonly budget: Dec | null;
  /** Exact cost of walking the order's shares (notional + fees per level). */
  readonly cost: Dec | null;
  /** (q × shares − cost) ÷ shares. */
  readonly evPerShare: Dec | null;
  readonly bookAgeMs: number | null;
  readonly order: ModelOrder | null;
}

/** The unrounded taker fee per share at `price` (floored to 1e-8). */
export function feePerShareDec(price: Dec, fee: ParsedFee): Dec {
  let variance = ONE;
  const pq = mulDec(price, ONE - price);
  for (let i = 0; i < fee.exponent; i++) variance = mulDec(variance, pq);
  return mulDec(fee.rate, variance);
}

/** min(cap, multiplier × (q − c)/(1 − c)); 0 when q ≤ c. */
export function kellyFraction(
  q: Dec,
  cost: Dec,
  limits: Pick<ModelLimits, "kellyMultiplier" | "kellyCap">,
): Dec {
  if (q <= cost || cost >= ONE) return ZERO;
  const full = divDec(q - cost, ONE - cost);
  const scaled = mulDec(limits.kellyMultiplier, full);
  return scaled < limits.kellyCap ? scaled : limits.kellyCap;
}

/** The probability as an exact decimal (8 places, clamped to 0–1). */
export function probabilityDec(probability: number): Dec {
  if (!Number.isFinite(probability)) return ZERO;
  const q = parseDec(Math.min(1, Math.max(0, probability)).toFixed(8));
  return q;
}

/** The playbook's decision for `forecast` on the token's book now (module header). */
export function decideModel(
  forecast: ModelForecast,
  context: {
    readonly at: number;
    readonly book: TokenBook | null;
    readonly equity: Dec;
    /** Why the market cannot be traded now (closed, resolved, gated); null when it can. */
    readonly notTradable: string | null;
    readonly limits: ModelLimits;
  },
): ModelDecision {
  const { at, book, equity, limits } = context;
  const q = probabilityDec(forecast.probability);
  const best = book?.asks[0];
  const evOf = (price: Dec) => q - price - (book === null ? ZERO : feePerShareDec(price, book.fee));
  const base = {
    marketId: forecast.marketId,
    tokenId: forecast.tokenId,
    at,
    probability: q,
    modelVersion: forecast.modelVersion,
    equity,
    bestAsk: best?.price ?? null,
    evAtBest: best === undefined ? null : evOf(best.price),
    bookAgeMs: book === null ? null : at - book.changedAt,
  };
  const decline = (reason: string, rest: Partial<ModelDecision> = {}): ModelDecision => ({
    ...base,
    kelly: null,
    budget: null,
    cost: null,
    evPerShare: null,
    order: null,
    ...rest,
    action: "decline",
    reason,
  });
  if (forecast.modelVersion === null) {
    return decline("baseline forecast (no stored model): its probability is the market's price");
  }
  if (at - forecast.instant > limits.maxForecastAgeMs) {
    return decline(`forecast is ${at - forecast.instant} ms old > ${limits.maxForecastAgeMs} ms`);
  }
  if (context.notTradable !== null) return decline(`not tradable: ${context.notTradable}`);
  if (book === null) return decline("no book: gated, or not followed by the scanner");
  if (at - book.seenAt > limits.maxBookAgeMs) {
    return decline(`book's connection silent for ${at - book.seenAt} ms`);
  }
  if (best === undefined) return decline("no ask");
  const ev1 = evOf(best.price);
  if (ev1 < limits.minEv) {
    return decline(
      `EV ${formatDec(ev1)} a share at the best ask ${formatDec(best.price)} below the threshold ${
        formatDec(limits.minEv)
      }`,
    );
  }
  if (equity <= ZERO) return decline(`equity ${formatDec(equity)} is not positive`);
  // Walk the worthwhile levels (module header): stop at the first whose Kelly budget binds.
  let shares = ZERO;
  let cost = ZERO;
  let limit = best.price;
  let kelly = ZERO;
  let budget = ZERO;
  for (const level of book.asks) {
    if (evOf(level.price) < limits.minEv || level.price - best.price > limits.priceBand) break;
    const unit = level.price + feePerShareDec(level.price, book.fee);
    const f = kellyFraction(q, unit, limits);
    const b = mulDec(f, equity);
    const levelCost = mulDec(level.price, level.size) + takerFee(level.size, level.price, book.fee);
    if (cost + levelCost <= b) {
      shares += level.size;
      cost += levelCost;
      limit = level.price;
      kelly = f;
      budget = b;
      continue;
    }
    // Part of this level, within its (smaller) budget, if that buys more than the levels before.
    let take = floorTo(floorDiv((b - cost) * ONE, unit), LOT);
    while (
      take > ZERO && cost + mulDec(level.price, take) + takerFee(take, level.price, book.fee) > b
    ) take -= LOT;
    if (take > ZERO) {
      shares += take;
      cost += mulDec(level.price, take) + takerFee(take, level.price, book.fee);
      limit = level.price;
      kelly = f;
      budget = b;
    } else if (shares === ZERO) {
      kelly = f;
      budget = b;
    }
    break;
  }
  shares = floorTo(shares, LOT);
  const notionalCap = floorTo(floorDiv(limits.maxOrderNotional * ONE, limit), LOT);
  let capped = "";
  if (shares > notionalCap) {
    shares = notionalCap;
    capped = `, capped by the order notional limit ${formatDec(limits.maxOrderNotional)}`;
  }
  if (shares <= ZERO) {
    return decline(
      `Kelly size rounds to nothing (fraction ${formatDec(kelly)} of equity ${formatDec(equity)})`,
      { kelly, budget },
    );
  }
  ({ cost, worst: limit } = walkCost(book, shares));
  const evPerShare = divDec(mulDec(q, shares) - cost, shares);
  if (evPerShare < limits.minEv) {
    return decline(
      `EV ${formatDec(evPerShare)} a share at the executable price below the threshold ${
        formatDec(limits.minEv)
      }`,
      { kelly, budget, cost, evPerShare },
    );
  }
  return {
    ...base,
    action: "act",
    reason: `EV ${formatDec(evPerShare)} a share ≥ ${formatDec(limits.minEv)}; Kelly ${
      formatDec(kelly)
    } of equity ${formatDec(equity)} = ${formatDec(budget)}${capped}`,
    kelly,
    budget,
    cost,
    evPerShare,
    order: { tokenId: forecast.tokenId, side: "BUY", orderType: "FAK", price: limit, shares },
  };
}

/** The cost (notional + each level's fee as one fill) of buying `shares`, and the worst price. */
function walkCost(book: TokenBook, shares: Dec): { cost: Dec; worst: Dec } {
  let left = shares;
  let cost = ZERO;
  let worst = ZERO;
  for (const level of book.asks) {
    if (left === ZERO) break;
    const take = left < level.size ? left : level.size;
    cost += mulDec(level.price, take) + takerFee(take, level.price, book.fee);
    worst = level.price;
    left -= take;
  }
  return { cost, worst };
}

/** The decision as a log record (decimals as text). */
export function modelDecisionRecord(decision: ModelDecision): Record<string, unknown> {
  const text = (x: Dec | null) => (x === null ? null : formatDec(x));
  return {
    marketId: decision.marketId,
    tokenId: decision.tokenId,
    at: new Date(decision.at).toISOString(),
    action: decision.action,
    reason: decision.reason,
    probability: formatDec(decision.probability),
    modelVersion: decision.modelVersion,
    equity: formatDec(decision.equity),
    bestAsk: text(decision.bestAsk),
    evAtBest: text(decision.evAtBest),
    kelly: text(decision.kelly),
    budget: text(decision.budget),
    cost: text(decision.cost),
    evPerShare: text(decision.evPerShare),
    bookAgeMs: decision.bookAgeMs,
    order: decision.order === null ? null : {
      side: decision.order.side,
      orderType: decision.order.orderType,
      price: formatDec(decision.order.price),
      shares: formatDec(decision.order.shares),
    },
  };
}
