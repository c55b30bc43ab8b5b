import assert from "node:assert/strict";
import type { BrokerEvent, OrderRequest } from "./broker.ts";
import type { BookEvent, LevelChange } from "../stream/book_event.ts";
import { PaperBroker, type PaperBrokerOptions } from "./paper_broker.ts";

const T0 = Date.UTC(2026, 11, 6, 10);
let seq = 0;

function snapshot(
  tokenId: string,
  at: number,
  bids: [string, string][],
  asks: [string, string][],
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

function change(tokenId: string, at: number, ...changes: LevelChange[]): BookEvent {
  return {
    kind: "price_change",
    tokenId,
    exchangeTs: at,
    receivedAt: at,
    connection: 1,
    sequence: seq++,
    changes,
  };
}

const ask = (price: string, size: string): LevelChange => ({ price, size, side: "SELL" });

function order(fields: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId: `c-${seq++}`,
    tokenId: "yes",
    side: "BUY",
    orderType: "FAK",
    price: "0.42",
    size: "10",
    postOnly: false,
    expiration: null,
    ...fields,
  };
}

/** A broker on a clock the test moves, recording every event it emits. */
function setup(options: Partial<PaperBrokerOptions> = {}) {
  const clock = { now: T0 };
  const events: BrokerEvent[] = [];
  const broker = new PaperBroker({
    now: () => clock.now,
    latencyMs: 100,
    cash: "1000",
    feeOf: () => ({ rate: "0.05", exponent: 1, takerOnly: true }),
    ...options,
  });
  broker.onEvent((e) => events.push(e));
  return { clock, events, broker };
}

Deno.test("an order meets the book as it is after the latency, not as it was when sent", async () => {
  const { events, broker } = setup();
  broker.onBookEvent(snapshot("yes", T0, [], [["0.40", "10"]]));
  const sent = broker.submit(order({ size: "10", price: "0.42" }));
  // During the 100 ms in flight, the 0.40 asks go and 6 appear at 0.42.
  broker.onBookEvent(change("yes", T0 + 50, ask("0.40", "0"), ask("0.42", "6")));
  // An event at the arrival instant is part of the book the order meets.
  broker.onBookEvent(change("yes", T0 + 100, ask("0.43", "9")));
  assert.equal(events.length, 0);
  broker.onBookEvent(change("yes", T0 + 150, ask("0.44", "1")));
  const result = await sent;
  assert(result.ok);
  assert.deepStrictEqual(result.status, "MATCHED");
  const fills = events.flatMap((e) => (e.kind === "fill" ? [e.fill] : []));
  // 6 @ 0.42 at T0 + 100: fee 6 × 0.05 × 0.42 × 0.58 = 0.07308.
  assert.deepStrictEqual(
    fills.map((f) => [f.price, f.size, f.fee, f.at]),
    [["0.42", "6", "0.07308", T0 + 100]],
  );
  // Cash 1000 − 6 × 0.42 − 0.07308 = 997.40692.
  assert.deepStrictEqual(broker.cash(), "997.40692");
  assert.deepStrictEqual(await broker.positions(), [{ tokenId: "yes", size: "6" }]);
});

Deno.test("with no latency an order meets the book at once", async () => {
  const { broker } = setup({ latencyMs: 0 });
  broker.onBookEvent(snapshot("yes", T0, [], [["0.40", "10"]]));
  const result = await broker.submit(order({ size: "4", price: "0.40" }));
  assert(result.ok);
  // 4 × 0.40 = 1.6, fee 4 × 0.05 × 0.4 × 0.6 = 0.048.
  assert.deepStrictEqual(broker.cash(), "998.352");
});

Deno.test("a cancel in flight loses to a fill that comes first", async () => {
  const { clock, broker } = setup();
  broker.onBookEvent(snapshot("yes", T0, [["0.30", "5"]], [["0.50", "10"]]));
  const placed = broker.submit(order({ orderType: "GTC", price: "0.45", size: "10" }));
  broker.advanceTo(T0 + 100);
  const live = await placed;
  assert(live.ok && live.status === "LIVE");
  clock.now = T0 + 200;
  const canceling = broker.cancel([live.orderId]);
  // Before the cancel arrives (T0 + 300) an ask of 10 at 0.45 meets our bid.
  broker.onBookEvent(change("yes", T0 + 250, ask("0.45", "10")));
  broker.advanceTo(T0 + 300);
  assert.deepStrictEqual(await canceling, {
    canceled: [],
    notCanceled: { [live.orderId]: "already canceled or matched" },
  });
  // A maker fill: 10 × 0.45 = 4.5 and no fee.
  assert.deepStrictEqual(broker.cash(), "995.5");
  assert.deepStrictEqual((await broker.orderByClientId(live.clientOrderId))?.status, "MATCHED");
});

Deno.test("cancelAll cancels what is open when it arrives", async () => {
  const { clock, broker } = setup({ latencyMs: 0 });
  broker.onBookEvent(snapshot("yes", T0, [["0.30", "5"]], [["0.50", "10"]]));
  const a = await broker.submit(order({ orderType: "GTC", price: "0.40" }));
  const b = await broker.submit(order({ orderType: "GTC", price: "0.41" }));
  assert(a.ok && b.ok);
  clock.now = T0 + 1;
  const result = await broker.cancelAll();
  assert.deepStrictEqual([...result.canceled].sort(), [a.orderId, b.orderId].sort());
  assert.deepStrictEqual(await broker.openOrders(), []);
});

Deno.test("balances are checked when the order arrives, as the venue does", async () => {
  const { broker } = setup({ latencyMs: 0, cash: "5" });
  broker.onBookEvent(snapshot("yes", T0, [["0.30", "50"]], [["0.40", "50"]]));
  // Nothing held: a SELL is refused.
  const sell = await broker.submit(order({ side: "SELL", price: "0.30" }));
  assert(!sell.ok && sell.error === "not enough balance / allowance");
  // A resting BUY of 10 at 0.40 holds 4 of the 5; another 10 at 0.40 needs 4 more.
  assert((await broker.submit(order({ orderType: "GTC", price: "0.39" }))).ok);
  const second = await broker.submit(order({ orderType: "GTC", price: "0.39" }));
  assert(!second.ok);
  assert.deepStrictEqual(
    (await broker.orderByClientId(second.clientOrderId))?.status,
    "REJECTED",
  );
});

Deno.test("validate refuses before the order is sent; a reused clientOrderId is refused", async () => {
  const { broker } = setup({
    latencyMs: 0,
    validate: (o) => (o.price.length > 4 ? "invalid tick size" : null),
  });
  broker.onBookEvent(snapshot("yes", T0, [], [["0.40", "50"]]));
  const bad = await broker.submit(order({ price: "0.405" }));
  assert.deepStrictEqual(bad, {
    ok: false,
    clientOrderId: bad.clientOrderId,
    error: "invalid tick size",
    retryable: false,
  });
  const once = order({ price: "0.40", size: "1" });
  assert((await broker.submit(once)).ok);
  const twice = await broker.submit(once);
  assert(!twice.ok && twice.error.includes("already used"));
  assert.deepStrictEqual(await broker.orderByClientId("never"), null);
});

Deno.test("live, the broker wakes itself when an order is due", async () => {
  const timers: { ms: number; run: () => void }[] = [];
  const { clock, broker } = setup({ setTimer: (ms, run) => timers.push({ ms, run }) });
  broker.onBookEvent(snapshot("yes", T0, [], [["0.40", "10"]]));
  const sent = broker.submit(order({ price: "0.40", size: "2" }));
  assert.deepStrictEqual(timers.map((t) => t.ms), [100]);
  clock.now = T0 + 100;
  timers[0]!.run();
  const result = await sent;
  assert(result.ok && result.status === "MATCHED");
});

Deno.test("a neg-risk conversion burns NO, credits (|S| − 1) × (amount − fee) and YES outside S", async () => {
  const { broker } = setup({ latencyMs: 0 });
  // Buy 10 NO of each of markets A, B, C at 0.80: 3 × (8 + fee 10 × 0.05 × 0.8 × 0.2 = 0.08).
  for (const token of ["noA", "noB", "noC"]) {
    broker.onBookEvent(snapshot(token, T0, [], [["0.80", "100"]]));
    assert((await broker.submit(order({ tokenId: token, price: "0.80", size: "10" }))).ok);
  }
  assert.deepStrictEqual(broker.cash(), "975.76"); // 1000 − 3 × 8.08
  // S = {A, B, C}, D outside (its YES). feeBips 100: fee = ⌊10 × 100 / 10,000⌋ = 0.1 a NO.
  const result = broker.convert({
    marketId: "0xgroup",
    noTokenIds: ["noA", "noB", "noC"],
    complementYesTokenIds: ["yesD"],
    amount: "10",
    feeBips: 100,
  });
  // (3 − 1) × (10 − 0.1) = 19.8 collateral, 9.9 YES of D.
  assert.deepStrictEqual(result, { collateralOut: "19.8", feePerAmount: "0.1", yesOut: "9.9" });
  assert.deepStrictEqual(broker.cash(), "995.56");
  assert.deepStrictEqual(await broker.positions(), [{ tokenId: "yesD", size: "9.9" }]);
  assert.throws(
    () =>
      broker.convert({
        marketId: "0xgroup",
        noTokenIds: ["noA"],
        complementYesTokenIds: [],
        amount: "1",
        feeBips: 0,
      }),
    /IndexSetTooSmall/,
  );
  assert.throws(
    () =>
      broker.convert({
        marketId: "0xgroup",
        noTokenIds: ["noA", "noB"],
        complementYesTokenIds: [],
        amount: "1",
        feeBips: 0,
      }),
    /holds 0 free/,
  );
  // D wins: 9.9 YES pay 9.9.
  assert.deepStrictEqual(broker.redeem("yesD", "1"), "9.9");
  assert.deepStrictEqual(broker.cash(), "1005.46");
  assert.deepStrictEqual(await broker.positions(), []);
});

Deno.test("a bad latency is refused at construction", () => {
  assert.throws(() => setup({ latencyMs: -1 }), /latencyMs/);
});

Deno.test("a caller that stops waiting gets the abort; the order sent still reaches the book", async () => {
  const { broker } = setup();
  broker.onBookEvent(snapshot("yes", T0, [], [["0.40", "10"]]));
  const stop = new AbortController();
  const sent = broker.submit(
    order({ clientOrderId: "gone", price: "0.40", size: "2" }),
    stop.signal,
  );
  stop.abort(new Error("shutting down"));
  await assert.rejects(sent, /shutting down/);
  assert.deepStrictEqual(await broker.orderByClientId("gone"), null); // still in flight
  broker.advanceTo(T0 + 100);
  assert.deepStrictEqual((await broker.orderByClientId("gone"))?.status, "MATCHED");
  await assert.rejects(broker.submit(order({}), stop.signal), /shutting down/);
});
