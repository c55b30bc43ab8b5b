import assert from "node:assert/strict";
import { type Dec, parseDec, ZERO } from "../edge/decimal.ts";
import type { Plan, PlanLeg } from "../edge/plan.ts";
import {
  type BookView,
  decide,
  finishOrders,
  type LegOrder,
  pricedOnBook,
  surplusOf,
  type TokenBook,
  unwindOrders,
} from "./playbook.ts";

const d = parseDec;
const FREE = { rate: ZERO, exponent: 1 };

function leg(tokenId: string, price: string, shares: string): PlanLeg {
  const notional = d(price) * d(shares) / d("1");
  return {
    marketId: tokenId,
    tokenId,
    outcome: "YES",
    side: "BUY",
    shares: d(shares),
    fills: [{ price: d(price), shares: d(shares), fee: ZERO }],
    notional,
    fees: ZERO,
    cost: notional,
  };
}

/** A basket of three legs at 0.30 each, 10 shares: cost 9, payoff 10, profit 1. */
function basket(): Plan {
  const legs = [leg("a", "0.3", "10"), leg("b", "0.3", "10"), leg("c", "0.3", "10")];
  return {
    channel: "neg_risk_basket",
    path: "buy YES of every leg",
    shares: d("10"),
    legs,
    cost: d("9"),
    payoff: d("10"),
    profit: d("1"),
    capitalLocked: d("9"),
    lockedUntil: null,
    annualisedReturn: null,
  };
}

function book(
  asks: [string, string][],
  options: { bids?: [string, string][]; at?: number; seen?: number } = {},
) {
  const level = ([p, s]: [string, string]) => ({ price: d(p), size: d(s) });
  return {
    asks: asks.map(level),
    bids: (options.bids ?? []).map(level),
    changedAt: options.at ?? 0,
    seenAt: options.seen ?? options.at ?? 0,
    tick: d("0.01"),
    fee: FREE,
  } satisfies TokenBook;
}

function view(books: Record<string, TokenBook | null>): BookView {
  return (tokenId) => books[tokenId] ?? null;
}

const limits = { maxBookAgeMs: 1000, minEdge: d("0.5") };

Deno.test("decide() sends the thinnest leg alone as FOK, the others together as FAK", () => {
  const books = view({
    a: book([["0.3", "40"]]),
    b: book([["0.3", "12"], ["0.31", "500"]]),
    c: book([["0.3", "25"]]),
  });
  const decision = decide(basket(), { relationKey: "g", at: 100, books, limits });
  assert.equal(decision.action, "act");
  assert.deepEqual(decision.first.map((o) => [o.tokenId, o.orderType]), [["b", "FOK"]]);
  assert.deepEqual(decision.rest.map((o) => [o.tokenId, o.orderType]), [["c", "FAK"], [
    "a",
    "FAK",
  ]]);
  assert.equal(decision.first[0]!.price, d("0.3"));
  assert.equal(decision.nowProfit, d("1"));
  assert.deepEqual(decision.bookAgesMs, [100, 100, 100]);
});

Deno.test("decide() declines stale, gated, moved and thin-edge plans and says why", () => {
  const fresh = { a: book([["0.3", "40"]]), b: book([["0.3", "40"]]), c: book([["0.3", "40"]]) };
  const at = (books: Record<string, TokenBook | null>, when = 100) =>
    decide(basket(), { relationKey: "g", at: when, books: view(books), limits });
  assert.match(at({ ...fresh, b: null }).reason, /leg 1's book is gated/);
  const silent = at({ ...fresh, c: book([["0.3", "40"]], { at: -5000 }) });
  assert.match(silent.reason, /leg 2's connection has been silent for 5100 ms/);
  // An old book whose connection spoke since is known current: not declined, its age reported.
  const quiet = at({ ...fresh, c: book([["0.3", "40"]], { at: -5000, seen: 90 }) });
  assert.equal(quiet.action, "act");
  assert.deepEqual(quiet.bookAgesMs, [100, 100, 5100]);
  const moved = at({ ...fresh, a: book([["0.3", "4"], ["0.32", "40"]]) });
  assert.equal(moved.action, "decline");
  assert.match(moved.reason, /leg 0 no longer fills at its limit 0.3/);
  const thin = decide(basket(), {
    relationKey: "g",
    at: 0,
    books: view(fresh),
    limits: { maxBookAgeMs: 1000, minEdge: d("1.5") },
  });
  assert.match(thin.reason, /below the minimum edge/);
  assert.equal(thin.first.length + thin.rest.length, 0);
});

Deno.test("pricedOnBook() asks no more than the current asks need, never above the decided price", () => {
  // The rest leg decided at 0.36 (its ask then); 10 shares.
  const order: LegOrder = {
    leg: 1,
    tokenId: "b",
    side: "BUY",
    orderType: "FAK",
    price: d("0.36"),
    shares: d("10"),
    role: "rest",
  };
  const price = (v: TokenBook | null, o = order) => pricedOnBook(o, v).price;
  // Its ask improved to 0.33 with room for all 10: priced there.
  assert.equal(price(book([["0.33", "10"], ["0.36", "50"]])), d("0.33"));
  // 6 at 0.33, the other 4 at 0.34: the worst level it needs.
  assert.equal(price(book([["0.33", "6"], ["0.34", "4"], ["0.35", "50"]])), d("0.34"));
  // The same ask as decided, a worse one, or too little within 0.36: the decided price stands.
  assert.equal(price(book([["0.36", "50"]])), d("0.36"));
  assert.equal(price(book([["0.38", "50"]])), d("0.36"));
  assert.equal(price(book([["0.33", "6"], ["0.37", "50"]])), d("0.36"));
  // No book (gated), or a SELL: unchanged.
  assert.equal(price(null), d("0.36"));
  const sell = { ...order, side: "SELL" as const, role: "unwind" as const };
  assert.equal(price(book([["0.2", "50"]]), sell), d("0.36"));
  // Everything else is the order as decided.
  const priced = pricedOnBook(order, book([["0.33", "10"]]));
  assert.deepEqual({ ...priced, price: order.price }, order);
});

Deno.test("finishOrders() buys the missing shares no dearer than the edge left allows", () => {
  // Leg c filled 4 of 10 at plan; the edge left is the whole 1.00 for its 6 missing shares:
  // 6 × p ≤ 6 × 0.30 + 1.00 → p ≤ 0.4666…, the highest tick 0.46.
  const filled = [
    { shares: d("10"), cost: d("3") },
    { shares: d("10"), cost: d("3") },
    { shares: d("4"), cost: d("1.2") },
  ];
  const books = view({ c: book([["0.45", "100"]]) });
  const orders = finishOrders(basket(), filled, books);
  assert.deepEqual(orders.map((o) => [o.tokenId, o.price, o.shares, o.orderType]), [
    ["c", d("0.46"), d("6"), "FAK"],
  ]);
  // Leg a cost 0.90 beyond plan: 0.10 left for 6 shares, p ≤ 0.3166…: one tick up, 0.31.
  const dear = [{ shares: d("10"), cost: d("3.9") }, filled[1]!, filled[2]!];
  assert.deepEqual(finishOrders(basket(), dear, books).map((o) => o.price), [d("0.31")]);
  // 0.95 beyond plan: 0.05 left, p ≤ 0.3083…, no tick above the limit: no finish.
  const dearer = [{ shares: d("10"), cost: d("3.95") }, filled[1]!, filled[2]!];
  assert.deepEqual(finishOrders(basket(), dearer, books), []);
});

Deno.test("surplusOf() and unwindOrders(): complete sets kept, the rest sold at the best bid", () => {
  const held: Dec[] = [d("10"), d("10"), d("4")];
  assert.deepEqual(surplusOf("neg_risk_basket", held), [d("6"), d("6"), ZERO]);
  // A conversion converts all but the largest leg's excess over the second.
  assert.deepEqual(surplusOf("neg_risk_conversion", [d("7"), d("10"), d("4")]), [
    ZERO,
    d("3"),
    ZERO,
  ]);
  const books = view({ a: book([], { bids: [["0.28", "50"]] }), b: book([]) });
  const orders = unwindOrders(basket(), [d("6"), d("6"), ZERO], books);
  assert.deepEqual(orders.map((o) => [o.tokenId, o.side, o.price, o.shares]), [
    ["a", "SELL", d("0.28"), d("6")],
  ]);
});
