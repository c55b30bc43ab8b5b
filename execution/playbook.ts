/**
 * Playbooks (issue 30): per channel, a pure function from a plan and the current books to the
 * orders that trade it, and the rules for a leg that fills short. No I/O and no clock: the
 * executor (`executor.ts`) passes the instant and a view of the books, and sends what comes back.
 *
 * Every channel the scanner finds buys every leg of a plan (`edge/plan.ts`), so the playbooks
 * share one shape and differ only in what a filled set becomes:
 * - **Decide** (`decide`): decline, with a reason, when the plan's edge is below `minEdge`, a
 *   leg's book is gated or its connection silent for longer than `maxBookAgeMs`, or the plan no
 *   longer fills at its own
 *   limit prices on the books as they are now (the limit of a leg is its worst planned fill).
 * - **Thinnest leg first**: legs are ordered by the depth at or inside their limit divided by the
 *   shares planned (least first). The thinnest goes alone as FOK: if it cannot fill whole,
 *   nothing is held and the episode is missed. The others then go together as FAK at their
 *   limits (they are deeper, and waiting for each in turn would only add leg risk).
 * - **Short fill** (`finishOrders`): a leg that filled short may buy its missing shares at a
 *   worse price, once, as FAK, within the edge that is left (the plan's profit less what the
 *   fills so far cost beyond plan), shared among the short legs by missing shares.
 * - **Unwind** (`unwindOrders`): whatever is still unmatched is sold back, FAK at the best bid
 *   (nothing resting is left behind); what cannot be sold is held and reported.
 * - **Then**: neg-risk conversion converts the held NO sets (the executor calls the adapter);
 *   basket and implication pairs hold the complete sets to resolution, their capital locked.
 *
 * @example
 * ```ts
 * import { decide } from "./playbook.ts";
 * const decision = decide(plan, { relationKey, at, books, limits: { maxBookAgeMs: 5000, minEdge: 0n } });
 * if (decision.action === "act") for (const order of decision.first) send(order);
 * ```
 */
import { type Dec, floorDiv, floorTo, formatDec, mulDec, ONE, ZERO } from "../edge/decimal.ts";
import type { Level } from "../edge/book_walk.ts";
import { type ParsedFee, takerFee } from "../edge/fees.ts";
import type { Plan, PlanLeg } from "../edge/plan.ts";
import type { OrderType, Side } from "./broker.ts";

/** One token's book as a playbook reads it: its own asks and bids (Dec), best first. */
export interface TokenBook {
  readonly asks: readonly Level[];
  readonly bids: readonly Level[];
  /** Local receive ms of the book's last change (its age, as the scanner reports it). */
  readonly changedAt: number;
  /**
   * Local receive ms of the last data on the book's connection: the book is known to be as it
   * is up to then (the venue sends every change of a token on its connection, in order).
   */
  readonly seenAt: number;
  readonly tick: Dec;
  readonly fee: ParsedFee;
}

/** The current books: a token's view, or null while its book is gated (unknown). */
export type BookView = (tokenId: string) => TokenBook | null;

export interface PlaybookLimits {
  /** A leg whose book has not changed for longer is not traded on. */
  readonly maxBookAgeMs: number;
  /** The least profit (after fees, on the current books) worth sending orders for. */
  readonly minEdge: Dec;
}

/** An order a playbook asks for; the executor turns it into an `OrderRequest`. */
export interface LegOrder {
  /** Index of the leg in `plan.legs`. */
  readonly leg: number;
  readonly tokenId: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly price: Dec;
  readonly shares: Dec;
  /** Why this order (first leg, rest, finish, unwind). */
  readonly role: "first" | "rest" | "finish" | "unwind";
}

/** Why a plan was acted on or declined, with what the books looked like. */
export interface Decision {
  readonly relationKey: string;
  readonly channel: Plan["channel"];
  readonly at: number;
  readonly action: "act" | "decline";
  readonly reason: string;
  readonly planProfit: Dec;
  /** The plan's profit re-priced on the current books within its limits (null: not fillable). */
  readonly nowProfit: Dec | null;
  /** Per leg: ms since its book last changed (null: gated); staleness is the connection's. */
  readonly bookAgesMs: readonly (number | null)[];
  /** The thinnest leg, alone (FOK). */
  readonly first: readonly LegOrder[];
  /** The other legs, together (FAK), once the first has filled. */
  readonly rest: readonly LegOrder[];
}

/** The worst price a leg's plan fills at: its limit. */
export function limitOf(leg: PlanLeg): Dec {
  return leg.fills.reduce((worst, f) => (f.price > worst ? f.price : worst), ZERO);
}

/** Shares of `levels` at or better than `limit` (asks: price ≤ limit). */
export function depthWithin(levels: readonly Level[], limit: Dec): Dec {
  let total = ZERO;
  for (const level of levels) {
    if (level.price > limit) break;
    total += level.size;
  }
  return total;
}

/** Cost (notional + per-fill fees) of buying `shares` through `levels` up to `limit`; null if short. */
export function costWithin(
  levels: readonly Level[],
  shares: Dec,
  options: { readonly limit: Dec; readonly fee: ParsedFee },
): Dec | null {
  let left = shares;
  let cost = ZERO;
  for (const level of levels) {
    if (left === ZERO || level.price > options.limit) break;
    const take = left < level.size ? left : level.size;
    cost += mulDec(level.price, take) + takerFee(take, level.price, options.fee);
    left -= take;
  }
  return left === ZERO ? cost : null;
}

/** The playbook's decision for `plan` on the current books. */
export function decide(
  plan: Plan,
  context: {
    readonly relationKey: string;
    readonly at: number;
    readonly books: BookView;
    readonly limits: PlaybookLimits;
  },
): Decision {
  const { at, books, limits } = context;
  const views = plan.legs.map((leg) => books(leg.tokenId));
  const bookAgesMs = views.map((v) => (v === null ? null : at - v.changedAt));
  const base = {
    relationKey: context.relationKey,
    channel: plan.channel,
    at,
    planProfit: plan.profit,
    bookAgesMs,
  };
  const decline = (reason: string, nowProfit: Dec | null = null): Decision => ({
    ...base,
    action: "decline",
    reason,
    nowProfit,
    first: [],
    rest: [],
  });
  if (plan.legs.length === 0) return decline("the plan has no legs");
  if (plan.profit < limits.minEdge) {
    return decline(`planned profit ${formatDec(plan.profit)} below the minimum edge`);
  }
  const gated = views.findIndex((v) => v === null);
  if (gated >= 0) return decline(`leg ${gated}'s book is gated`);
  const silent = views.findIndex((v) => at - v!.seenAt > limits.maxBookAgeMs);
  if (silent >= 0) {
    return decline(
      `leg ${silent}'s connection has been silent for ${at - views[silent]!.seenAt} ms`,
    );
  }
  let cost = ZERO;
  const thinness: { leg: number; ratio: Dec }[] = [];
  for (let i = 0; i < plan.legs.length; i++) {
    const leg = plan.legs[i]!;
    const view = views[i]!;
    const limit = limitOf(leg);
    const legCost = costWithin(view.asks, leg.shares, { limit, fee: view.fee });
    if (legCost === null) {
      return decline(`leg ${i} no longer fills at its limit ${formatDec(limit)}`);
    }
    cost += legCost;
    thinness.push({ leg: i, ratio: floorDiv(depthWithin(view.asks, limit) * ONE, leg.shares) });
  }
  // A conversion's payoff is already net of the adapter's fee.
  const nowProfit = plan.payoff - cost;
  if (nowProfit < limits.minEdge || nowProfit <= ZERO) {
    return decline(
      `profit on the current books ${formatDec(nowProfit)} below the minimum edge`,
      nowProfit,
    );
  }
  thinness.sort((a, b) => (a.ratio < b.ratio ? -1 : a.ratio > b.ratio ? 1 : a.leg - b.leg));
  const order = (i: number, role: "first" | "rest"): LegOrder => ({
    leg: i,
    tokenId: plan.legs[i]!.tokenId,
    side: "BUY",
    orderType: role === "first" ? "FOK" : "FAK",
    price: limitOf(plan.legs[i]!),
    shares: plan.legs[i]!.shares,
    role,
  });
  return {
    ...base,
    action: "act",
    reason: `profit ${formatDec(nowProfit)} on the current books; thinnest leg ${
      thinness[0]!.leg
    } first`,
    nowProfit,
    first: [order(thinness[0]!.leg, "first")],
    rest: thinness.slice(1).map((t) => order(t.leg, "rest")),
  };
}

/**
 * A BUY order priced on its book as it is when the order is sent: at the worst level the
 * current asks need for its shares, never above the price it was decided at. A FAK fills at the
 * book's prices either way; what changes is the risk engine's price band, which measures the
 * order's price against the best ask. A trade's other orders go once its first leg has filled,
 * and a leg's ask may have improved since the decision (its update can arrive after the
 * others'): at its decided price that order would be refused as far from the book, and the trade
 * unwound at a loss. Unchanged when the asks cannot fill the shares within that price, when the book is
 * gated (null), and for a SELL.
 */
export function pricedOnBook(order: LegOrder, view: TokenBook | null): LegOrder {
  if (order.side !== "BUY" || view === null) return order;
  let left = order.shares;
  for (const level of view.asks) {
    if (level.price > order.price) break;
    if (level.size >= left) {
      return level.price < order.price ? { ...order, price: level.price } : order;
    }
    left -= level.size;
  }
  return order;
}

/** What one leg has bought so far. */
export interface LegFilled {
  readonly shares: Dec;
  /** Notional + fees paid. */
  readonly cost: Dec;
}

/**
 * The one finishing round for legs that filled short: the edge left (the plan's profit less
 * what the filled shares cost beyond their planned cost) is shared among the short legs by
 * missing shares; each buys its missing shares FAK at the highest tick whose cost (fees
 * included) stays within its planned cost plus its share of that edge. None when no edge is left.
 */
export function finishOrders(
  plan: Plan,
  filled: readonly LegFilled[],
  books: BookView,
): LegOrder[] {
  let overrun = ZERO;
  let missingTotal = ZERO;
  plan.legs.forEach((leg, i) => {
    const got = filled[i]!;
    overrun += got.cost - plannedCost(leg, got.shares);
    missingTotal += leg.shares - got.shares;
  });
  const edge = plan.profit - overrun;
  if (edge <= ZERO || missingTotal <= ZERO) return [];
  const orders: LegOrder[] = [];
  plan.legs.forEach((leg, i) => {
    const missing = leg.shares - filled[i]!.shares;
    const view = books(leg.tokenId);
    if (missing <= ZERO || view === null) return;
    const budget = plannedCost(leg, missing) + floorDiv(edge * missing, missingTotal);
    // The highest tick p < 1 with missing × p + fee(missing, p) ≤ budget.
    let price = floorTo(floorDiv(budget * ONE, missing), view.tick);
    if (price >= ONE) price = ONE - view.tick;
    while (
      price > limitOf(leg) && mulDec(price, missing) + takerFee(missing, price, view.fee) > budget
    ) {
      price -= view.tick;
    }
    if (price <= limitOf(leg)) return;
    orders.push({
      leg: i,
      tokenId: leg.tokenId,
      side: "BUY",
      orderType: "FAK",
      price,
      shares: missing,
      role: "finish",
    });
  });
  return orders;
}

/** The planned cost of `shares` of a leg (pro rata of its plan, floored). */
export function plannedCost(leg: PlanLeg, shares: Dec): Dec {
  return leg.shares === ZERO ? ZERO : floorDiv(leg.cost * shares, leg.shares);
}

/**
 * What a filled set is and what is left over: for a conversion, every NO held converts (nested
 * calls release Σ x − max x) except the largest leg's excess over the second; for a basket or an
 * implication pair, the complete sets are the least held, the rest of each leg is surplus.
 */
export function surplusOf(channel: Plan["channel"], held: readonly Dec[]): Dec[] {
  if (channel === "neg_risk_conversion") {
    const sorted = [...held].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    const second = sorted[1] ?? ZERO;
    let done = false;
    return held.map((x) => {
      if (done || x <= second) return ZERO;
      done = true;
      return x - second;
    });
  }
  const least = held.reduce((m, x) => (x < m ? x : m), held[0] ?? ZERO);
  return held.map((x) => x - least);
}

/** Sells each leg's surplus FAK at its token's best bid; a leg with no bid is held. */
export function unwindOrders(plan: Plan, surplus: readonly Dec[], books: BookView): LegOrder[] {
  const orders: LegOrder[] = [];
  plan.legs.forEach((leg, i) => {
    const shares = surplus[i]!;
    const bid = books(leg.tokenId)?.bids[0];
    if (shares <= ZERO || bid === undefined) return;
    orders.push({
      leg: i,
      tokenId: leg.tokenId,
      side: "SELL",
      orderType: "FAK",
      price: bid.price,
      shares,
      role: "unwind",
    });
  });
  return orders;
}

/** The decision as a log record (decimals as text). */
export function decisionRecord(decision: Decision): Record<string, unknown> {
  const order = (o: LegOrder) => ({
    leg: o.leg,
    tokenId: o.tokenId,
    side: o.side,
    orderType: o.orderType,
    price: formatDec(o.price),
    shares: formatDec(o.shares),
  });
  return {
    relationKey: decision.relationKey,
    channel: decision.channel,
    at: new Date(decision.at).toISOString(),
    action: decision.action,
    reason: decision.reason,
    planProfit: formatDec(decision.planProfit),
    nowProfit: decision.nowProfit === null ? null : formatDec(decision.nowProfit),
    bookAgesMs: decision.bookAgesMs,
    first: decision.first.map(order),
    rest: decision.rest.map(order),
  };
}
