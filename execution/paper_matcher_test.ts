import assert from "node:assert/strict";

import type { BrokerEvent, Fill, OrderRequest } from "./broker.ts";
import type { BookEvent, LevelChange } from "../stream/book_event.ts";
import type { FeeSchedule } from "../edge/market.ts";
import { unitsOf } from "./_paper_book.ts";
import { parseDec } from "../edge/decimal.ts";
import {
  FAK_NO_MATCH,
  FOK_NOT_FILLED,
  type MatcherOptions,
  PaperMatcher,
  POST_ONLY_CROSSES,
} from "./paper_matcher.ts";

const T = "tok-yes";
const T0 = Date.UTC(2026, 11, 6, 10); // unix ms
const FEE_5: FeeSchedule = { rate: "0.05", exponent: 1, takerOnly: true };
let seq = 0;

function snapshot(
  at: number,
  bids: [string, string][],
  asks: [string, string][],
  tokenId = T,
): BookEvent {
  return {
    kind: "book",
    tokenId,
    exchangeTs: at,
    receivedAt: at,
    connection: 1,
    sequence: seq++,
    bids,
    asks,
    tickSize: "0.01",
  };
}

function change(at: number, ...changes: LevelChange[]): BookEvent {
  return {
    kind: "price_change",
    tokenId: T,
    exchangeTs: at,
    receivedAt: at,
    connection: 1,
    sequence: seq++,
    changes,
  };
}

const bid = (price: string, size: string): LevelChange => ({ price, size, side: "BUY" });
const ask = (price: string, size: string): LevelChange => ({ price, size, side: "SELL" });

function order(fields: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId: `c-${seq++}`,
    tokenId: T,
    side: "BUY",
    orderType: "GTC",
    price: "0.5",
    size: "10",
    postOnly: false,
    expiration: null,
    ...fields,
  };
}

function matcher(options: Partial<MatcherOptions> = {}): PaperMatcher {
  return new PaperMatcher({ feeOf: () => FEE_5, ...options });
}

function fillsOf(events: readonly BrokerEvent[]): Fill[] {
  return events.flatMap((e) => (e.kind === "fill" ? [e.fill] : []));
}

/** [price, size, fee, liquidity] of each fill, for compact comparison. */
function brief(events: readonly BrokerEvent[]): string[][] {
  return fillsOf(events).map((f) => [f.price, f.size, f.fee, f.liquidity]);
}

Deno.test("FAK fills what is there up to its limit, level by level, and cancels the rest", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.38", "50"]], [["0.40", "10"], ["0.42", "5"], ["0.45", "100"]]));
  const r = m.submit(order({ orderType: "FAK", price: "0.42", size: "20" }), T0 + 10);
  assert(r.ok);
  // 10 @ 0.40: fee 10 × 0.05 × 0.40 × 0.60 = 0.12; 5 @ 0.42: 5 × 0.05 × 0.42 × 0.58 = 0.0609.
  // The 0.45 level is beyond the limit; 5 of the 20 are canceled.
  assert.deepStrictEqual(brief(r.events), [
    ["0.4", "10", "0.12", "taker"],
    ["0.42", "5", "0.0609", "taker"],
  ]);
  assert.deepStrictEqual(r.order.sizeMatched, "15");
  assert.deepStrictEqual(r.order.status, "MATCHED");
  assert.deepStrictEqual(m.openOrders(), []);
  // What we took is gone from our copy until the stream sets those levels again.
  assert.deepStrictEqual(m.book(T)!.asks, [["0.45", "100"]]);
});

Deno.test("FAK with nothing to take is refused with the venue's text", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [], [["0.60", "10"]]));
  const r = m.submit(order({ orderType: "FAK", price: "0.55" }), T0);
  assert.deepStrictEqual(r, { ok: false, error: FAK_NO_MATCH, retryable: false });
});

Deno.test("FOK that cannot fill whole is refused and takes nothing; one that can fills whole", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [], [["0.40", "10"], ["0.42", "5"]]));
  // 15 shares at or below 0.42: 16 cannot fill whole.
  const refused = m.submit(order({ orderType: "FOK", price: "0.42", size: "16" }), T0);
  assert.deepStrictEqual(refused, { ok: false, error: FOK_NOT_FILLED, retryable: false });
  // Only 10 at or below 0.40.
  const tooLow = m.submit(order({ orderType: "FOK", price: "0.40", size: "12" }), T0);
  assert.deepStrictEqual(tooLow.ok, false);
  assert.deepStrictEqual(m.book(T)!.asks, [["0.4", "10"], ["0.42", "5"]]);
  const whole = m.submit(order({ orderType: "FOK", price: "0.42", size: "12" }), T0);
  assert(whole.ok);
  // 10 @ 0.40 (fee 0.12) and 2 @ 0.42: 2 × 0.05 × 0.42 × 0.58 = 0.02436.
  assert.deepStrictEqual(brief(whole.events), [
    ["0.4", "10", "0.12", "taker"],
    ["0.42", "2", "0.02436", "taker"],
  ]);
  assert.deepStrictEqual(m.book(T)!.asks, [["0.42", "3"]]);
});

Deno.test("a SELL takes the bids from the highest down", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.55", "4"], ["0.54", "10"], ["0.50", "10"]], []));
  const r = m.submit(order({ side: "SELL", orderType: "FAK", price: "0.54", size: "6" }), T0);
  assert(r.ok);
  // 4 @ 0.55: 4 × 0.05 × 0.55 × 0.45 = 0.0495; 2 @ 0.54: 2 × 0.05 × 0.54 × 0.46 = 0.02484.
  assert.deepStrictEqual(brief(r.events), [
    ["0.55", "4", "0.0495", "taker"],
    ["0.54", "2", "0.02484", "taker"],
  ]);
});

Deno.test("the taker fee is floored to 5 decimals, at the schedule in force at the fill", () => {
  const at = T0 + 5_000;
  const m = matcher({
    // 0.05 until T0 + 1 s, then 0.04.
    feeOf: (_token, t) => ({
      rate: t < T0 + 1_000 ? "0.05" : "0.04",
      exponent: 1,
      takerOnly: true,
    }),
  });
  m.onBookEvent(snapshot(T0, [], [["0.37", "100"]]));
  const r = m.submit(order({ orderType: "FAK", price: "0.37", size: "3" }), at);
  // 3 × 0.04 × 0.37 × 0.63 = 0.027972 → 0.02797 (the 0.05 rate would give 0.034965 → 0.03496).
  assert.deepStrictEqual(brief(r.ok ? r.events : []), [["0.37", "3", "0.02797", "taker"]]);
  const early = m.submit(order({ orderType: "FAK", price: "0.37", size: "3" }), T0 + 500);
  // 3 × 0.05 × 0.37 × 0.63 = 0.034965: floored, not rounded half up to 0.03497.
  assert.deepStrictEqual(brief(early.ok ? early.events : []), [["0.37", "3", "0.03496", "taker"]]);
});

Deno.test("an order that would take without a known fee schedule is refused", () => {
  const m = matcher({ feeOf: () => null });
  m.onBookEvent(snapshot(T0, [["0.30", "10"]], [["0.40", "10"]]));
  const r = m.submit(order({ orderType: "FAK", price: "0.40" }), T0);
  assert.deepStrictEqual(r.ok, false);
  assert(!r.ok && r.error.includes("no fee schedule"));
  // A resting order that takes nothing needs none.
  assert(m.submit(order({ price: "0.35" }), T0).ok);
});

Deno.test("a resting order behind 100 shares fills only after the 100 have gone", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.45", "100"], ["0.44", "50"]], [["0.47", "20"]]));
  const r = m.submit(order({ price: "0.45", size: "10" }), T0 + 1);
  assert(r.ok);
  assert.deepStrictEqual(r.order.status, "LIVE");
  const id = r.order.orderId;
  assert.deepStrictEqual(m.queueAhead(id), "100");
  // 100 → 40: 60 gone, all ahead of us (ahead_first): 40 ahead, nothing for us.
  assert.deepStrictEqual(m.onBookEvent(change(T0 + 2, bid("0.45", "40"))), []);
  assert.deepStrictEqual(m.queueAhead(id), "40");
  // New orders join behind us: the queue ahead does not grow.
  assert.deepStrictEqual(m.onBookEvent(change(T0 + 3, bid("0.45", "90"))), []);
  assert.deepStrictEqual(m.queueAhead(id), "40");
  // 90 → 50: 40 gone, exactly the queue ahead: we are first, still unfilled.
  assert.deepStrictEqual(fillsOf(m.onBookEvent(change(T0 + 4, bid("0.45", "50")))), []);
  assert.deepStrictEqual(m.queueAhead(id), "0");
  // 50 → 44: 6 traded at our price, and we are first: a maker fill of 6, no fee.
  const events = m.onBookEvent(change(T0 + 5, bid("0.45", "44")));
  assert.deepStrictEqual(brief(events), [["0.45", "6", "0", "maker"]]);
  assert.deepStrictEqual(m.order(id)!.sizeMatched, "6");
  assert.deepStrictEqual(m.order(id)!.status, "LIVE");
  // 44 → 30: 14 gone, we take the 4 left and are done.
  const last = m.onBookEvent(change(T0 + 6, bid("0.45", "30")));
  assert.deepStrictEqual(brief(last), [["0.45", "4", "0", "maker"]]);
  assert.deepStrictEqual(m.order(id)!.status, "MATCHED");
  assert.deepStrictEqual(m.openOrders(), []);
});

Deno.test("two of our orders at one price share a decrease, the older first", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.45", "10"]], [["0.50", "20"]]));
  const a = m.submit(order({ price: "0.45", size: "5" }), T0);
  m.onBookEvent(change(T0 + 1, bid("0.45", "30"))); // 20 join behind A
  const b = m.submit(order({ price: "0.45", size: "5" }), T0 + 2);
  assert(a.ok && b.ok);
  assert.deepStrictEqual([m.queueAhead(a.order.orderId), m.queueAhead(b.order.orderId)], [
    "10",
    "30",
  ]);
  // 30 → 12: 18 gone. A: 10 ahead eaten, 8 beyond, takes its 5. B: 30 − 18 = 12 still ahead.
  const first = m.onBookEvent(change(T0 + 3, bid("0.45", "12")));
  assert.deepStrictEqual(fillsOf(first).map((f) => [f.orderId, f.size]), [[a.order.orderId, "5"]]);
  assert.deepStrictEqual(m.queueAhead(b.order.orderId), "12");
  // 12 → 0: B's queue is gone, nothing beyond it; 10 join behind, 10 → 7: B takes 3.
  m.onBookEvent(change(T0 + 4, bid("0.45", "0")));
  m.onBookEvent(change(T0 + 5, bid("0.45", "10")));
  const last = m.onBookEvent(change(T0 + 6, bid("0.45", "7")));
  assert.deepStrictEqual(fillsOf(last).map((f) => [f.orderId, f.size]), [[b.order.orderId, "3"]]);
});

Deno.test("an ask that comes down to our bid fills us as maker at our price, without a fee", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.44", "30"]], [["0.47", "20"]]));
  const r = m.submit(order({ price: "0.45", size: "10" }), T0);
  assert(r.ok);
  assert.deepStrictEqual(m.queueAhead(r.order.orderId), "0");
  // A seller posts 4 at 0.44 (below our 0.45 bid): on the venue it would have met us at 0.45.
  const events = m.onBookEvent(change(T0 + 1, ask("0.44", "4")));
  assert.deepStrictEqual(brief(events), [["0.45", "4", "0", "maker"]]);
  // The 4 it met are gone from our copy of the book.
  assert.deepStrictEqual(m.book(T)!.asks, [["0.47", "20"]]);
});

Deno.test("proportional queue: decreases shrink the queue in proportion and never fill alone", () => {
  const m = matcher({ queue: "proportional" });
  m.onBookEvent(snapshot(T0, [["0.45", "100"]], [["0.50", "20"]]));
  const r = m.submit(order({ price: "0.45", size: "10" }), T0);
  assert(r.ok);
  const id = r.order.orderId;
  // Q = 100 × 60 / 100 = 60 (with 100 ahead and none behind, it is all ahead).
  m.onBookEvent(change(T0 + 1, bid("0.45", "60")));
  assert.deepStrictEqual(m.queueAhead(id), "60");
  m.onBookEvent(change(T0 + 2, bid("0.45", "120"))); // 60 join behind us
  // 120 → 60: Q = 60 × 60 / 120 = 30.
  m.onBookEvent(change(T0 + 3, bid("0.45", "60")));
  assert.deepStrictEqual(m.queueAhead(id), "30");
  // The level empties: Q = 0, still no fill from a decrease.
  assert.deepStrictEqual(fillsOf(m.onBookEvent(change(T0 + 4, bid("0.45", "0")))), []);
  assert.deepStrictEqual(m.queueAhead(id), "0");
});

Deno.test("a trade at our price eats the queue then fills us; its book change is not eaten twice", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.45", "20"]], [["0.50", "20"]]));
  const r = m.submit(order({ price: "0.45", size: "10" }), T0);
  assert(r.ok);
  const id = r.order.orderId;
  // A taker sells 25 at 0.45: the 20 ahead, then 5 of ours.
  const events = m.onTrade({ tokenId: T, price: "0.45", size: "25", side: "SELL", at: T0 + 1 });
  assert.deepStrictEqual(brief(events), [["0.45", "5", "0", "maker"]]);
  // The venue's book change for that trade (20 → 0 of theirs) is already counted.
  assert.deepStrictEqual(fillsOf(m.onBookEvent(change(T0 + 2, bid("0.45", "0")))), []);
  assert.deepStrictEqual(m.order(id)!.sizeMatched, "5");
  // A trade through our price (a sale at 0.44) fills what is left.
  const through = m.onTrade({ tokenId: T, price: "0.44", size: "50", side: "SELL", at: T0 + 3 });
  assert.deepStrictEqual(brief(through), [["0.45", "5", "0", "maker"]]);
  assert.deepStrictEqual(m.order(id)!.status, "MATCHED");
});

Deno.test("a GTC that crosses takes as taker and rests the rest; post-only crossing is refused", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.40", "7"]], [["0.42", "4"], ["0.43", "50"]]));
  const post = m.submit(order({ price: "0.42", size: "10", postOnly: true }), T0);
  assert.deepStrictEqual(post, { ok: false, error: POST_ONLY_CROSSES, retryable: false });
  const passive = m.submit(order({ price: "0.41", size: "10", postOnly: true }), T0);
  assert(passive.ok && passive.order.status === "LIVE");
  const r = m.submit(order({ price: "0.42", size: "10" }), T0);
  assert(r.ok);
  // 4 @ 0.42: 4 × 0.05 × 0.42 × 0.58 = 0.04872; 6 rest at 0.42 with nobody ahead.
  assert.deepStrictEqual(brief(r.events), [["0.42", "4", "0.04872", "taker"]]);
  assert.deepStrictEqual(r.order.status, "LIVE");
  assert.deepStrictEqual(r.order.sizeMatched, "4");
  assert.deepStrictEqual(m.queueAhead(r.order.orderId), "0");
  assert.deepStrictEqual(m.openOrders().length, 2);
});

Deno.test("a GTD order stops at its expiration minus the venue's one-minute threshold", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.40", "7"]], [["0.60", "4"]]));
  const expiration = T0 / 1000 + 120; // stops at T0 + 60 s
  const tooSoon = m.submit(
    order({ orderType: "GTD", price: "0.45", expiration: T0 / 1000 + 60 }),
    T0,
  );
  assert.deepStrictEqual(tooSoon.ok, false);
  const r = m.submit(order({ orderType: "GTD", price: "0.45", expiration }), T0);
  assert(r.ok && r.order.status === "LIVE");
  assert.deepStrictEqual(m.onBookEvent(change(T0 + 59_999, bid("0.40", "8"))), []);
  const events = m.onBookEvent(change(T0 + 60_001, bid("0.40", "9")));
  assert.deepStrictEqual(events.length, 1);
  const [e] = events;
  assert(e?.kind === "order");
  assert.deepStrictEqual([e.order.status, e.at], ["CANCELED", T0 + 60_000]);
  assert.deepStrictEqual(m.openOrders(), []);
});

Deno.test("cancel ends a live order once; a second cancel and an unknown id say why not", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.40", "7"]], [["0.60", "4"]]));
  const r = m.submit(order({ price: "0.45" }), T0);
  assert(r.ok);
  const done = m.cancel(r.order.orderId, T0 + 1);
  assert(done.ok);
  assert.deepStrictEqual(done.events.map((e) => e.kind === "order" && e.order.status), [
    "CANCELED",
  ]);
  assert.deepStrictEqual(m.cancel(r.order.orderId, T0 + 2), {
    ok: false,
    reason: "already canceled or matched",
  });
  assert.deepStrictEqual(m.cancel("nope", T0 + 2), { ok: false, reason: "order not found" });
  // A canceled order no longer fills.
  assert.deepStrictEqual(m.onBookEvent(change(T0 + 3, ask("0.45", "10"))), []);
});

Deno.test("a resolution cancels resting orders; a gated book refuses orders as retryable", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.40", "7"]], [["0.60", "4"]]));
  const r = m.submit(order({ price: "0.45" }), T0);
  assert(r.ok);
  m.onBookEvent({
    kind: "tick_size_change",
    tokenId: T,
    exchangeTs: T0 + 1,
    receivedAt: T0 + 1,
    connection: 1,
    sequence: seq++,
    newTickSize: "0.001",
  });
  const gated = m.submit(order({ price: "0.45" }), T0 + 2);
  assert(!gated.ok && gated.retryable);
  const events = m.onBookEvent({
    kind: "book_closed",
    tokenId: T,
    exchangeTs: T0 + 3,
    receivedAt: T0 + 3,
    connection: 1,
    sequence: seq++,
    reason: "resolved",
  });
  assert.deepStrictEqual(events.map((e) => e.kind === "order" && e.order.status), [
    "CANCELED_MARKET_RESOLVED",
  ]);
  const after = m.submit(order({ price: "0.45" }), T0 + 4);
  assert(!after.ok && !after.retryable);
});

Deno.test("after a gap, the next snapshot keeps at most its own size ahead of us", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.45", "100"]], [["0.60", "4"]]));
  const r = m.submit(order({ price: "0.45" }), T0);
  assert(r.ok);
  m.onBookEvent({
    kind: "book_closed",
    tokenId: T,
    exchangeTs: T0 + 1,
    receivedAt: T0 + 1,
    connection: 1,
    sequence: seq++,
    reason: "gap",
  });
  // What happened in the gap is unknown: the 30 now at 0.45 may all be ahead, never more.
  assert.deepStrictEqual(
    fillsOf(m.onBookEvent(snapshot(T0 + 2, [["0.45", "30"]], [["0.60", "4"]]))),
    [],
  );
  assert.deepStrictEqual(m.queueAhead(r.order.orderId), "30");
});

Deno.test("bad input gets a clear refusal", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.40", "7"]], [["0.60", "4"]]));
  for (
    const bad of [{ price: "1" }, { price: "abc" }, { size: "0" }, {
      orderType: "FOK" as const,
      postOnly: true,
    }]
  ) {
    const r = m.submit(order(bad), T0);
    assert(!r.ok && r.error.startsWith("invalid"), JSON.stringify(r));
  }
});

Deno.test("unitsOf() reads a decimal's exact 1e-8 units as parseDec does, NaN for the rest", () => {
  for (const text of ["0.52", ".48", "1", "0", "123.45", "0.00000001", "90000000.5", "7."]) {
    assert.deepStrictEqual(BigInt(unitsOf(text)), parseDec(text), text);
  }
  for (const text of ["", ".", "1.2.3", "-1", " 1", "0.000000001", "1e-2", "99999999999"]) {
    assert(Number.isNaN(unitsOf(text)), text);
  }
});

Deno.test("a resting SELL fills when a bid reaches it; a level we took comes back when the stream sets it", () => {
  const m = matcher();
  m.onBookEvent(snapshot(T0, [["0.50", "40"]], [["0.55", "10"], ["0.57", "30"]]));
  const r = m.submit(order({ side: "SELL", price: "0.56", size: "8" }), T0);
  assert(r.ok && r.order.status === "LIVE");
  // A buyer bids 0.58 for 3: above our 0.56 ask, so it meets us at 0.56 (maker, no fee).
  const events = m.onBookEvent(change(T0 + 1, bid("0.58", "3")));
  assert.deepStrictEqual(brief(events), [["0.56", "3", "0", "maker"]]);
  assert.deepStrictEqual(m.book(T)!.bids, [["0.5", "40"]]);
  // A FAK takes the 10 at 0.55; the stream then sets that level to 4: the venue's word wins.
  const take = m.submit(order({ orderType: "FAK", price: "0.55", size: "10" }), T0 + 2);
  assert(take.ok && take.order.sizeMatched === "10");
  assert.deepStrictEqual(m.book(T)!.asks, [["0.57", "30"]]);
  m.onBookEvent(change(T0 + 3, ask("0.55", "4")));
  assert.deepStrictEqual(m.book(T)!.asks, [["0.55", "4"], ["0.57", "30"]]);
});
