import assert from "node:assert/strict";
import { type Dec, formatDec, parseDec as d } from "../edge/decimal.ts";
import { loadConfig } from "../runtime/config.ts";
import type { Fill, OpenOrder } from "./broker.ts";
import { RiskEngine, type RiskLimits, riskLimits, type RiskOrder } from "./risk.ts";

const T0 = Date.UTC(2026, 11, 6, 10);

const LIMITS: RiskLimits = {
  maxOrderNotional: d("10"),
  maxMarketNotional: d("15"),
  maxGroupNotional: d("25"),
  maxTotalNotional: d("40"),
  maxOpenOrders: 3,
  maxOrdersPerSecond: 5,
  maxDailyLoss: d("5"),
  priceBand: d("0.02"),
  maxBookAgeMs: 1000,
  minEdge: d("0.01"),
};

let seq = 0;
function buy(fields: Partial<RiskOrder> = {}): RiskOrder {
  return {
    clientOrderId: `c-${seq++}`,
    tokenId: "t1",
    marketId: "m1",
    groupId: "g1",
    side: "BUY",
    price: d("0.5"),
    size: d("10"),
    ...fields,
  };
}

function ctx(fields: { now?: number; bookPrice?: Dec; bookAt?: number; edge?: Dec | null } = {}) {
  return {
    now: fields.now ?? T0,
    bookPrice: fields.bookPrice ?? d("0.5"),
    bookAt: fields.bookAt ?? fields.now ?? T0,
    edge: fields.edge === undefined ? d("0.02") : fields.edge,
  };
}

function fillOf(order: RiskOrder, size: string, price = order.price, fee = "0"): Fill {
  return {
    fillId: `f-${seq++}`,
    orderId: `o-${order.clientOrderId}`,
    clientOrderId: order.clientOrderId,
    tokenId: order.tokenId,
    side: order.side,
    price: formatDec(price),
    size,
    fee,
    liquidity: "taker",
    at: T0,
  };
}

function update(order: RiskOrder, status: OpenOrder["status"], matched: string): OpenOrder {
  return {
    orderId: `o-${order.clientOrderId}`,
    clientOrderId: order.clientOrderId,
    tokenId: order.tokenId,
    side: order.side,
    orderType: "GTC",
    price: "0.5",
    originalSize: "10",
    sizeMatched: matched,
    status,
    createdAt: T0,
  };
}

function refusedBy(verdict: ReturnType<RiskEngine["admit"]>): string {
  return verdict.ok ? "ok" : verdict.limit;
}

Deno.test("riskLimits() parses the configured defaults exactly", () => {
  const limits = riskLimits(loadConfig({}).risk);
  assert.equal(limits.maxOrderNotional, d("50"));
  assert.equal(limits.maxOrdersPerSecond, 100);
  assert.equal(limits.priceBand, d("0.02"));
  const custom = riskLimits(loadConfig({ PMCOLLECT_RISK_MIN_EDGE: "0.0125" }).risk);
  assert.equal(custom.minEdge, d("0.0125"));
  assert.throws(() => loadConfig({ PMCOLLECT_RISK_MAX_DAILY_LOSS: "-1" }), /DAILY_LOSS/);
});

Deno.test("admit() refuses by each per-order limit and says which", () => {
  const risk = new RiskEngine(LIMITS);
  assert.equal(refusedBy(risk.admit(buy({ size: d("21") }), ctx())), "order_notional");
  assert.equal(refusedBy(risk.admit(buy(), ctx({ bookAt: T0 - 1001 }))), "book_age");
  assert.equal(refusedBy(risk.admit(buy(), ctx({ bookPrice: d("0.47") }))), "price_band");
  assert.equal(refusedBy(risk.admit(buy(), ctx({ bookPrice: d("0.52") }))), "ok");
  assert.equal(refusedBy(risk.admit(buy(), ctx({ edge: d("0.009") }))), "min_edge");
  assert.equal(refusedBy(risk.admit(buy(), ctx({ edge: null }))), "min_edge");
  assert.equal(refusedBy(risk.admit(buy({ price: d("0") }), ctx())), "bad_order");
  const snap = risk.snapshot(T0);
  assert.equal(snap.admitted, 1);
  assert.deepEqual(snap.refused, {
    order_notional: 1,
    book_age: 1,
    price_band: 1,
    min_edge: 2,
    bad_order: 1,
  });
});

Deno.test("admit() counts open BUYs against the market, group and total limits", () => {
  const risk = new RiskEngine({ ...LIMITS, maxOpenOrders: 10, maxOrdersPerSecond: 100 });
  assert.ok(risk.admit(buy(), ctx()).ok); // m1: 5
  assert.ok(risk.admit(buy({ size: d("20") }), ctx()).ok); // m1: 15
  const third = risk.admit(buy({ size: d("2") }), ctx());
  assert.equal(refusedBy(third), "market_notional");
  assert.ok(!third.ok && /market m1 exposure 15 \+ 1 > 15/.test(third.reason));
  assert.ok(risk.admit(buy({ marketId: "m2", tokenId: "t2", size: d("20") }), ctx()).ok); // g1: 25
  assert.equal(
    refusedBy(risk.admit(buy({ marketId: "m3", tokenId: "t3", size: d("2") }), ctx())),
    "group_notional",
  );
  assert.ok(risk.admit(buy({ marketId: "m4", tokenId: "t4", groupId: null }), ctx()).ok);
  assert.ok(risk.admit(buy({ marketId: "m5", tokenId: "t5", groupId: null }), ctx()).ok);
  assert.equal(risk.exposureOf("total"), d("35"));
  assert.equal(
    refusedBy(
      risk.admit(buy({ marketId: "m6", tokenId: "t6", groupId: null, size: d("12") }), ctx()),
    ),
    "total_notional",
  );
  assert.equal(risk.exposureOf({ group: "g1" }), d("25"));
});

Deno.test("a cancel frees the room, a fill keeps it as cost, a short fill frees the rest", () => {
  const risk = new RiskEngine(LIMITS);
  const a = buy({ size: d("20") });
  assert.ok(risk.admit(a, ctx()).ok);
  assert.equal(risk.exposureOf({ market: "m1" }), d("10"));
  risk.applyBrokerEvent({ kind: "fill", fill: fillOf(a, "8", d("0.45")) });
  // 8 held at 0.45 (3.6) + 12 still open at 0.5 (6).
  assert.equal(risk.exposureOf({ market: "m1" }), d("9.6"));
  risk.applyBrokerEvent({ kind: "order", order: update(a, "CANCELED", "8"), at: T0 });
  assert.equal(risk.exposureOf({ market: "m1" }), d("3.6"));
  assert.equal(risk.snapshot(T0).openOrders, 0);
});

Deno.test("a MATCHED status that overtakes its fill frees nothing until the fill comes", () => {
  const risk = new RiskEngine(LIMITS);
  const a = buy();
  assert.ok(risk.admit(a, ctx()).ok);
  risk.applyBrokerEvent({ kind: "order", order: update(a, "MATCHED", "10"), at: T0 });
  assert.equal(risk.exposureOf({ market: "m1" }), d("5"));
  risk.applyBrokerEvent({ kind: "fill", fill: fillOf(a, "10") });
  assert.equal(risk.exposureOf({ market: "m1" }), d("5"));
  assert.equal(risk.snapshot(T0).openOrders, 0);
});

Deno.test("release() frees an order the broker refused", () => {
  const risk = new RiskEngine(LIMITS);
  const a = buy({ size: d("20") });
  assert.ok(risk.admit(a, ctx()).ok);
  risk.release(a.clientOrderId);
  assert.equal(risk.exposureOf("total"), 0n);
});

Deno.test("the throttle refuses the sixth order within a second and lets it through after", () => {
  const risk = new RiskEngine({ ...LIMITS, maxOpenOrders: 100, maxTotalNotional: d("1000") });
  const small = (i: number) => buy({ marketId: `m${i}`, tokenId: `t${i}`, groupId: null });
  for (let i = 0; i < 5; i++) assert.ok(risk.admit(small(i), ctx({ now: T0 + i * 100 })).ok);
  assert.equal(refusedBy(risk.admit(small(5), ctx({ now: T0 + 999 }))), "order_rate");
  assert.ok(risk.admit(small(6), ctx({ now: T0 + 1000 })).ok);
});

Deno.test("open orders beyond the limit are refused", () => {
  const risk = new RiskEngine({ ...LIMITS, maxTotalNotional: d("1000") });
  for (let i = 0; i < 3; i++) {
    assert.ok(risk.admit(buy({ marketId: `m${i}`, groupId: null, size: d("1") }), ctx()).ok);
  }
  assert.equal(refusedBy(risk.admit(buy({ marketId: "m9", size: d("1") }), ctx())), "open_orders");
});

Deno.test("reducing lets through only a SELL of shares held and not already offered", () => {
  const risk = new RiskEngine(LIMITS);
  risk.seedHolding({ tokenId: "t1", marketId: "m1", groupId: "g1", size: d("10"), cost: d("5") });
  risk.setMode("reducing", "test");
  assert.equal(refusedBy(risk.admit(buy({ size: d("1") }), ctx())), "mode");
  const sell = (size: string) => buy({ side: "SELL", size: d(size) });
  // A reducing order needs no edge.
  assert.ok(risk.admit(sell("6"), ctx({ edge: null })).ok);
  assert.equal(refusedBy(risk.admit(sell("5"), ctx({ edge: null }))), "mode");
  assert.ok(risk.admit(sell("4"), ctx({ edge: null })).ok);
  risk.setMode("halted", "kill");
  const halted = risk.admit(sell("1"), ctx({ edge: null }));
  assert.ok(!halted.ok && halted.limit === "mode" && /halted \(kill\)/.test(halted.reason));
});

Deno.test("assess() halts on a marked daily loss and reduces on exposure beyond a limit", () => {
  const risk = new RiskEngine(LIMITS);
  const a = buy({ size: d("20") });
  assert.ok(risk.admit(a, ctx()).ok);
  risk.applyBrokerEvent({ kind: "fill", fill: fillOf(a, "20", d("0.5"), "0.1") });
  assert.deepEqual(risk.assess(T0), []);
  // The day started (at the first check) before the fill: its fee is today's loss.
  assert.equal(risk.snapshot(T0).dailyPnl, d("-0.1"));
  risk.mark("t1", d("0.3")); // 20 × −0.2 = −4
  assert.equal(risk.snapshot(T0).dailyPnl, d("-4.1"));
  assert.deepEqual(risk.assess(T0), []);
  risk.mark("t1", d("0.25")); // −5.1: beyond the limit
  const breaches = risk.assess(T0);
  assert.equal(breaches.length, 1);
  assert.equal(breaches[0]!.limit, "daily_loss");
  assert.equal(breaches[0]!.mode, "halted");
  // A new UTC day starts from the equity it first sees.
  assert.deepEqual(risk.assess(T0 + 86_400_000), []);

  const seeded = new RiskEngine(LIMITS);
  seeded.seedHolding({
    tokenId: "t9",
    marketId: "m9",
    groupId: null,
    size: d("40"),
    cost: d("20"),
  });
  assert.deepEqual(seeded.assess(T0).map((b) => [b.limit, b.mode]), [
    ["market_notional", "reducing"],
  ]);
});

Deno.test("a conversion swaps shares for collateral and frees their exposure", () => {
  const risk = new RiskEngine(LIMITS);
  risk.seedHolding({ tokenId: "no1", marketId: "m1", groupId: "g1", size: d("10"), cost: d("9") });
  risk.seedHolding({ tokenId: "no2", marketId: "m2", groupId: "g1", size: d("10"), cost: d("9") });
  assert.equal(risk.exposureOf({ group: "g1" }), d("18"));
  risk.applyConversion({
    legs: [{ tokenId: "no1", size: d("-10") }, { tokenId: "no2", size: d("-10") }],
    collateral: d("10"),
  });
  assert.equal(risk.exposureOf({ group: "g1" }), 0n);
});

Deno.test("seedOrder() counts an order open at startup against the limits but not the throttle", () => {
  const risk = new RiskEngine({ ...LIMITS, maxOrdersPerSecond: 1 });
  const old = buy({ size: d("20") });
  risk.seedOrder(old);
  assert.equal(risk.exposureOf({ market: "m1" }), d("10"));
  assert.equal(refusedBy(risk.admit(buy({ size: d("12") }), ctx())), "market_notional");
  assert.ok(risk.admit(buy({ size: d("2") }), ctx()).ok);
  risk.applyBrokerEvent({ kind: "order", order: update(old, "CANCELED", "0"), at: T0 });
  assert.equal(risk.exposureOf({ market: "m1" }), d("1"));
});
