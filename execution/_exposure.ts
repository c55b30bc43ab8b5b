/**
 * The risk engine's books (execution/risk.ts): shares held and their cost basis per token, the
 * orders admitted that may still fill, collateral in and out, marks, and the equity at the start
 * of the UTC day. Exact decimals (edge/decimal.ts); no I/O.
 *
 * An order counts at price × the size that may still fill: its original size less what fills
 * have booked. When the broker closes it (matched, canceled), what it reported as matched but
 * whose fills have not arrived yet still counts, so a status that overtakes its fill never frees
 * room early.
 */
import { type Dec, divDec, formatDec, mulDec, ZERO } from "../edge/decimal.ts";
import type { Fill, OpenOrder, Side } from "./broker.ts";
import type { RiskLimitName, RiskLimits, RiskOrder } from "./risk.ts";
import { parseDec } from "../edge/decimal.ts";

interface Held {
  size: Dec;
  cost: Dec;
}

interface Tracked {
  readonly tokenId: string;
  readonly side: Side;
  readonly price: Dec;
  readonly size: Dec;
  filled: Dec;
  matched: Dec;
  open: boolean;
  orderId: string | null;
}

interface Place {
  readonly marketId: string;
  readonly groupId: string | null;
}

const DAY_MS = 86_400_000;

export class Exposure {
  readonly #held = new Map<string, Held>();
  readonly #orders = new Map<string, Tracked>();
  readonly #byOrderId = new Map<string, string>();
  readonly #places = new Map<string, Place>();
  readonly #marks = new Map<string, Dec>();
  #cash: Dec = ZERO;
  #day = -1;
  #dayStartEquity: Dec = ZERO;

  open(order: RiskOrder): void {
    this.#places.set(order.tokenId, { marketId: order.marketId, groupId: order.groupId });
    this.#orders.set(order.clientOrderId, {
      tokenId: order.tokenId,
      side: order.side,
      price: order.price,
      size: order.size,
      filled: ZERO,
      matched: ZERO,
      open: true,
      orderId: null,
    });
  }

  close(clientOrderId: string): void {
    const orderId = this.#orders.get(clientOrderId)?.orderId;
    if (orderId !== undefined && orderId !== null) this.#byOrderId.delete(orderId);
    this.#orders.delete(clientOrderId);
  }

  update(order: OpenOrder): void {
    const key = this.#key(order.orderId, order.clientOrderId);
    const tracked = key === null ? undefined : this.#orders.get(key);
    if (tracked === undefined || key === null) return;
    const matched = parseDec(order.sizeMatched);
    if (matched > tracked.matched) tracked.matched = matched;
    if (order.status !== "LIVE") tracked.open = false;
    this.#forgetIfDone(key, tracked);
  }

  fill(fill: Fill): void {
    const qty = parseDec(fill.size);
    const price = parseDec(fill.price);
    const notional = mulDec(price, qty);
    const fee = parseDec(fill.fee);
    const held = this.#held.get(fill.tokenId) ?? { size: ZERO, cost: ZERO };
    if (fill.side === "BUY") {
      this.#held.set(fill.tokenId, { size: held.size + qty, cost: held.cost + notional });
      this.#cash -= notional + fee;
    } else {
      this.#held.set(fill.tokenId, shed(held, qty));
      this.#cash += notional - fee;
    }
    const key = this.#key(fill.orderId, fill.clientOrderId);
    const tracked = key === null ? undefined : this.#orders.get(key);
    if (tracked !== undefined && key !== null) {
      tracked.filled += qty;
      this.#forgetIfDone(key, tracked);
    }
  }

  seed(h: { tokenId: string; marketId: string; groupId: string | null; size: Dec; cost: Dec }) {
    this.#places.set(h.tokenId, { marketId: h.marketId, groupId: h.groupId });
    this.#held.set(h.tokenId, { size: h.size, cost: h.cost });
  }

  convert(legs: readonly { tokenId: string; size: Dec }[], collateral: Dec): void {
    for (const leg of legs) {
      const held = this.#held.get(leg.tokenId) ?? { size: ZERO, cost: ZERO };
      // Shares that come in carry no cost basis: what they cost was paid for the ones that left.
      this.#held.set(
        leg.tokenId,
        leg.size >= ZERO ? { size: held.size + leg.size, cost: held.cost } : shed(held, -leg.size),
      );
    }
    this.#cash += collateral;
  }

  mark(tokenId: string, price: Dec): void {
    this.#marks.set(tokenId, price);
  }

  /** True when the order only sells shares held and not already offered. */
  reduces(order: RiskOrder): boolean {
    if (order.side !== "SELL") return false;
    const held = this.#held.get(order.tokenId)?.size ?? ZERO;
    let offered = ZERO;
    for (const o of this.#orders.values()) {
      if (o.tokenId === order.tokenId && o.side === "SELL") offered += pending(o);
    }
    return order.size <= held - offered;
  }

  openCount(): number {
    let n = 0;
    for (const o of this.#orders.values()) if (o.open) n++;
    return n;
  }

  /** Exposure per token: cost basis held + price × what open BUYs may still add. */
  #perToken(): Map<string, Dec> {
    const out = new Map<string, Dec>();
    for (const [tokenId, held] of this.#held) {
      if (held.size > ZERO && held.cost > ZERO) out.set(tokenId, held.cost);
    }
    for (const o of this.#orders.values()) {
      if (o.side !== "BUY") continue;
      out.set(o.tokenId, (out.get(o.tokenId) ?? ZERO) + mulDec(o.price, pending(o)));
    }
    return out;
  }

  #sum(match: (place: Place | undefined) => boolean): Dec {
    let sum = ZERO;
    for (const [tokenId, value] of this.#perToken()) {
      if (match(this.#places.get(tokenId))) sum += value;
    }
    return sum;
  }

  ofMarket(marketId: string): Dec {
    return this.#sum((p) => p?.marketId === marketId);
  }

  ofGroup(groupId: string): Dec {
    return this.#sum((p) => p?.groupId === groupId);
  }

  total(): Dec {
    return this.#sum(() => true);
  }

  /** The first limit the order would exceed if it filled whole, or null. */
  wouldExceed(
    order: RiskOrder,
    notional: Dec,
    limits: RiskLimits,
  ): { limit: RiskLimitName; reason: string } | null {
    const checks: [RiskLimitName, string, Dec, Dec][] = [
      [
        "market_notional",
        `market ${order.marketId}`,
        this.ofMarket(order.marketId),
        limits
          .maxMarketNotional,
      ],
    ];
    if (order.groupId !== null) {
      checks.push([
        "group_notional",
        `group ${order.groupId}`,
        this.ofGroup(order.groupId),
        limits.maxGroupNotional,
      ]);
    }
    checks.push(["total_notional", "total", this.total(), limits.maxTotalNotional]);
    for (const [limit, scope, now, max] of checks) {
      if (now + notional > max) {
        return {
          limit,
          reason: `${scope} exposure ${formatDec(now)} + ${formatDec(notional)} > ${
            formatDec(max)
          }`,
        };
      }
    }
    return null;
  }

  /** Every market, group and the total whose exposure is beyond its limit now. */
  overLimits(limits: RiskLimits): { limit: RiskLimitName; reason: string }[] {
    const markets = new Map<string, Dec>();
    const groups = new Map<string, Dec>();
    let total = ZERO;
    for (const [tokenId, value] of this.#perToken()) {
      const place = this.#places.get(tokenId);
      total += value;
      const market = place?.marketId ?? `token ${tokenId}`;
      markets.set(market, (markets.get(market) ?? ZERO) + value);
      if (place?.groupId) groups.set(place.groupId, (groups.get(place.groupId) ?? ZERO) + value);
    }
    const out: { limit: RiskLimitName; reason: string }[] = [];
    const over = (limit: RiskLimitName, scope: string, value: Dec, max: Dec) => {
      if (value > max) {
        out.push({
          limit,
          reason: `${scope} exposure ${formatDec(value)} > ${formatDec(max)}`,
        });
      }
    };
    for (const [m, v] of markets) {
      over("market_notional", `market ${m}`, v, limits.maxMarketNotional);
    }
    for (const [g, v] of groups) over("group_notional", `group ${g}`, v, limits.maxGroupNotional);
    over("total_notional", "total", total, limits.maxTotalNotional);
    return out;
  }

  /** Equity now less equity at the first look of this UTC day. */
  dailyPnl(now: number): Dec {
    const equity = this.#equity();
    const day = Math.floor(now / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayStartEquity = equity;
    }
    return equity - this.#dayStartEquity;
  }

  #equity(): Dec {
    let value = this.#cash;
    for (const [tokenId, held] of this.#held) {
      const mark = this.#marks.get(tokenId);
      value += mark === undefined ? held.cost : mulDec(mark, held.size);
    }
    return value;
  }

  #key(orderId: string, clientOrderId: string | null): string | null {
    const tracked = clientOrderId === null ? undefined : this.#orders.get(clientOrderId);
    if (tracked !== undefined && clientOrderId !== null) {
      tracked.orderId = orderId;
      this.#byOrderId.set(orderId, clientOrderId);
      return clientOrderId;
    }
    return this.#byOrderId.get(orderId) ?? null;
  }

  #forgetIfDone(key: string, tracked: Tracked): void {
    if (tracked.open || tracked.filled < tracked.matched) return;
    this.#orders.delete(key);
    if (tracked.orderId !== null) this.#byOrderId.delete(tracked.orderId);
  }
}

/** What may still fill: the rest of an open order, the matched-not-yet-filled of a closed one. */
function pending(o: Tracked): Dec {
  const rest = (o.open ? o.size : o.matched) - o.filled;
  return rest > ZERO ? rest : ZERO;
}

/** Takes `qty` shares off a holding with their average cost. */
function shed(held: Held, qty: Dec): Held {
  if (held.size <= ZERO) return { size: held.size - qty, cost: held.cost };
  const rest = held.size - qty;
  if (rest <= ZERO) return { size: rest, cost: ZERO };
  return { size: rest, cost: mulDec(divDec(held.cost, held.size), rest) };
}
