/**
 * The executor's short-fill rules end to end (execution/executor.ts, docs/execution.md
 * "Playbooks"), through a real PostgreSQL ledger and the paper broker: the books the plan was
 * made on (the scanner's) show 10 shares at each leg's price, but by the time the orders arrive
 * someone has taken 6 of leg b's. Fee-free, latency 0, every figure worked by hand below.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { type Dec, formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import type { Plan, PlanLeg } from "../edge/plan.ts";
import { mirrorEvent, scannerBookView } from "../execution/_book_view.ts";
import type { Broker, BrokerEvent } from "../execution/broker.ts";
import { Executor, type TradeResult } from "../execution/executor.ts";
import { RiskEngine } from "../execution/risk.ts";
import { createLedger } from "../execution/ledger.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { silentLogger } from "../runtime/log.ts";
import { RelationSet, type ScanRelation } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { withDatabase } from "./_db.ts";
import { AT, book, FREE, leg, market, PLAN, RELATION } from "./_executor_plan.ts";

/**
 * The paper broker as the venue behaves: it answers a matched order first and tells its fills
 * (and order updates) a moment later, as the user channel does. `sayMatched`: the answer
 * carries the matched size, as the venue's does. `lookups` counts `orderByClientId` calls.
 * `holdFills`: the fills are told only when `releaseHeld()` is called (after the trade), so a
 * trade that does not wait for them cannot see them however slow the host is.
 */
function fillsAfterAnswer(
  inner: PaperBroker,
  options: {
    readonly sayMatched: boolean;
    readonly lookups: { count: number };
    readonly holdFills: boolean;
  },
): Broker & { releaseHeld(): void } {
  const listeners = new Set<(event: BrokerEvent) => void>();
  const held: BrokerEvent[] = [];
  inner.onEvent((event) => held.push(event));
  const releaseHeld = () => {
    for (const event of held.splice(0)) for (const listener of listeners) listener(event);
  };
  return {
    releaseHeld,
    submit: async (order, signal) => {
      const answer = await inner.submit(order, signal);
      if (!options.holdFills) setTimeout(releaseHeld, 20);
      if (!options.sayMatched || !answer.ok || answer.status !== "MATCHED") return answer;
      const matched = await inner.orderByClientId(order.clientOrderId);
      return { ...answer, sizeMatched: matched!.sizeMatched };
    },
    cancel: (ids, signal) => inner.cancel(ids, signal),
    cancelAll: () => inner.cancelAll(),
    openOrders: () => inner.openOrders(),
    orderByClientId: (id) => {
      options.lookups.count++;
      return inner.orderByClientId(id);
    },
    positions: () => inner.positions(),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

async function trade(
  bAsksNow: [string, string][],
  venue: {
    late?: boolean;
    fillWaitMs?: number;
    sayMatched?: boolean;
    lookups?: { count: number };
    /** Checks every order (none by default). */
    risk?: RiskEngine;
    /** A book the scanner receives while the first order is on its way. */
    later?: BookEvent;
    /** Each order the venue receives: token and price. */
    submitted?: { tokenId: string; price: string }[];
  } = {},
): Promise<TradeResult> {
  let result: TradeResult | null = null;
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const set = new RelationSet([RELATION]);
    // The scanner's books: what the plan was made on.
    const books = new L2Books();
    books.apply(book("a-yes", [["0.35", "100"]], [["0.4", "10"]]));
    books.apply(book("b-yes", [["0.45", "100"]], [["0.5", "10"]]));
    // The venue's, as the orders find it: 6 of b's 10 at 0.50 gone.
    const broker = new PaperBroker({
      now: () => AT,
      latencyMs: 0,
      cash: "100",
      feeOf: () => FREE,
    });
    broker.onBookEvent(book("a-yes", [["0.35", "100"]], [["0.4", "10"]]));
    broker.onBookEvent(book("b-yes", [["0.45", "100"]], bAsksNow));
    const submit = broker.submit.bind(broker);
    broker.submit = (order, signal) => {
      if (venue.later !== undefined && venue.submitted?.length === 0) books.apply(venue.later);
      venue.submitted?.push({ tokenId: order.tokenId, price: order.price });
      return submit(order, signal);
    };
    const late = venue.late
      ? fillsAfterAnswer(broker, {
        sayMatched: venue.sayMatched === true,
        lookups: venue.lookups ?? { count: 0 },
        holdFills: venue.fillWaitMs === 0,
      })
      : null;
    const executor = new Executor({
      ledger: createLedger(db.sql, { log: silentLogger() }),
      broker: late ?? broker,
      books: scannerBookView(books, set),
      limits: { maxBookAgeMs: 5000, minEdge: ZERO },
      ...(venue.risk === undefined ? {} : { risk: venue.risk }),
      now: () => AT,
      log: silentLogger(),
      idPrefix: "x",
      ...(venue.fillWaitMs === undefined ? {} : { fillWaitMs: venue.fillWaitMs }),
    });
    result = await executor.trade(PLAN, { relation: RELATION, at: AT });
    late?.releaseHeld();
    await executor.flush();
    executor.close();
  });
  return result!;
}

const text = (d: Dec) => formatDec(d);

Deno.test("a leg that fills short is finished at a worse price within the edge left", async () => {
  // a: FOK 10 @ 0.40 (4.00). b: FAK 10 @ 0.50 fills 4 (2.00). Edge left 1.00 for 6 shares:
  // 6p ≤ 6 × 0.50 + 1.00 → p ≤ 0.666…, FAK 6 @ 0.66 takes 6 @ 0.55 (3.30).
  // P&L = 10 sets − 4.00 − 2.00 − 3.30 = 0.70; capital locked 4.00 + 2.00 + 3.30 = 9.30.
  const result = await trade([["0.5", "4"], ["0.55", "20"]]);
  assert.equal(result.outcome, "filled_whole");
  assert.deepEqual(result.legs.map((l) => text(l.bought)), ["10", "10"]);
  assert.equal(text(result.completeSets), "10");
  assert.equal(text(result.pnl), "0.7");
  assert.equal(text(result.capitalLocked), "9.3");
  assert.equal(result.orders, 3);
});

Deno.test("fills told after the broker's answer (as the venue's user channel does) are waited for before the next leg", async () => {
  // The same trade as above, through a broker that answers MATCHED before it tells the fills.
  // Waiting for them, the executor sees a's 10 and b's 4 and finishes b as before.
  const result = await trade([["0.5", "4"], ["0.55", "20"]], { late: true });
  assert.equal(result.outcome, "filled_whole");
  assert.deepEqual(result.legs.map((l) => text(l.bought)), ["10", "10"]);
  assert.equal(text(result.pnl), "0.7");
  assert.equal(result.orders, 3);
  // Not waiting (a zero bound), the first leg looks unfilled and the trade is called missed
  // although a's 10 were bought: what the wait is for.
  const hasty = await trade([["0.5", "4"], ["0.55", "20"]], { late: true, fillWaitMs: 0 });
  assert.equal(hasty.outcome, "missed");
});

Deno.test("an answer that says how much matched is waited on without looking the order up", async () => {
  // As above: three matched orders (a's FOK, b's FAK, b's finish). Asked, each is looked up
  // once for its matched size; told in the answer (as the venue's POST /order does), none is.
  const asked = { count: 0 };
  const lookedUp = await trade([["0.5", "4"], ["0.55", "20"]], { late: true, lookups: asked });
  const told = { count: 0 };
  const result = await trade([["0.5", "4"], ["0.55", "20"]], {
    late: true,
    sayMatched: true,
    lookups: told,
  });
  assert.equal(asked.count, 3);
  assert.equal(told.count, 0);
  for (const r of [lookedUp, result]) {
    assert.equal(r.outcome, "filled_whole");
    assert.deepEqual(r.legs.map((l) => text(l.bought)), ["10", "10"]);
    assert.equal(text(r.pnl), "0.7");
  }
});

Deno.test("a leg that cannot be finished within the edge is sold back at the best bid", async () => {
  // As above, but b's next ask is 0.70, above the 0.66 the edge allows: the finish finds
  // nothing. 4 complete sets; a's other 6 are sold FAK at its bid 0.35 (2.10).
  // P&L = 4 sets − 4.00 − 2.00 + 2.10 = 0.10; capital locked 4 × 0.40 + 4 × 0.50 = 3.60.
  const result = await trade([["0.5", "4"], ["0.7", "20"]]);
  assert.equal(result.outcome, "unwound");
  assert.deepEqual(result.legs.map((l) => [text(l.bought), text(l.sold)]), [["10", "6"], [
    "4",
    "0",
  ]]);
  assert.equal(text(result.completeSets), "4");
  assert.deepEqual(result.held.map(text), ["0", "0"]);
  assert.equal(text(result.pnl), "0.1");
  assert.equal(text(result.capitalLocked), "3.6");
  assert.equal(result.orders, 4);
});

Deno.test("a neg-risk conversion finishes its short leg, converts the NO held and books it in the ledger", async () => {
  // Three questions, YES bids 0.35 on the scanner's books: NO asks 0.65, 10 each. The plan buys
  // 10 NO of each (19.50) and converts them into (3 − 1) × 10 = 20 collateral: profit 0.50.
  // At the venue c's NO ask holds 4 at 0.65, then 20 at 0.70. a: FOK 10 @ 0.65 (6.50); b: 10 @
  // 0.65 (6.50); c: 4 @ 0.65 (2.60), short 6; edge left 0.50: 6p ≤ 6 × 0.65 + 0.50 → p ≤ 0.733…,
  // FAK 6 @ 0.73 takes 6 @ 0.70 (4.20). Converted: 20. P&L = 20 − 6.50 − 6.50 − 2.60 − 4.20 = 0.20.
  const markets = [market("a"), market("b"), market("c")];
  const relation: ScanRelation = { ...RELATION, convertFeeBips: 0, markets };
  const noLeg = (id: string): PlanLeg => ({ ...leg(`${id}-no`, "0.65"), outcome: "NO" });
  const plan: Plan = {
    ...PLAN,
    channel: "neg_risk_conversion",
    legs: markets.map((m) => noLeg(m.marketId)),
    cost: parseDec("19.5"),
    payoff: parseDec("20"),
    profit: parseDec("0.5"),
    capitalLocked: parseDec("19.5"),
    lockedUntil: "now",
  };
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const set = new RelationSet([relation]);
    const books = new L2Books();
    const broker = new PaperBroker({ now: () => AT, latencyMs: 0, cash: "100", feeOf: () => FREE });
    for (const m of markets) {
      const bids: [string, string][] = m.marketId === "c"
        ? [["0.35", "4"], ["0.3", "20"]]
        : [["0.35", "10"]];
      books.apply(book(m.yesTokenId, [["0.35", "10"]], [["0.7", "100"]]));
      const venue = book(m.yesTokenId, bids, [["0.7", "100"]]);
      broker.onBookEvent(venue);
      broker.onBookEvent(mirrorEvent(venue, m.noTokenId));
    }
    const executor = new Executor({
      ledger: createLedger(db.sql, { log: silentLogger() }),
      broker,
      books: scannerBookView(books, set),
      limits: { maxBookAgeMs: 5000, minEdge: ZERO },
      now: () => AT,
      log: silentLogger(),
      idPrefix: "x",
      convert: (request) => broker.convert(request),
    });
    const result = await executor.trade(plan, { relation, at: AT });
    await executor.flush();
    executor.close();
    assert.equal(result.outcome, "filled_whole");
    assert.equal(text(result.converted), "20");
    assert.equal(text(result.pnl), "0.2");
    assert.equal(text(result.capitalLocked), "0");
    assert.equal(broker.cash(), "100.2");
    const [row] = await db.sql<{ cash: string; held: string; conversions: number }[]>`
      select (select sum(amount) from cash)::text as cash,
        (select coalesce(sum(abs(size)), 0) from positions)::text as held,
        (select count(*) from conversions)::int as conversions`;
    assert.deepEqual(
      [formatDec(parseDec(row!.cash)), formatDec(parseDec(row!.held)), row!.conversions],
      ["0.2", "0", 1],
    );
  });
});

Deno.test("a rest leg whose ask improved past the price band after the decision is priced on the book as it is, not refused", async () => {
  // The plan was made while b's update was still on its way: b asked 0.50. By the time a's FOK
  // has filled, b's new ask is in: 10 at 0.46, 0.04 below the decided price, where the risk
  // engine's band is 0.02. Priced at its decided 0.50 the rest order would be refused (and its
  // finish with it), a's 10 sold back at its bid; priced on the book it buys b's 10 at 0.46.
  // P&L = 10 sets − 4.00 − 4.60 = 1.40.
  const risk = new RiskEngine({
    maxOrderNotional: parseDec("100"),
    maxMarketNotional: parseDec("100"),
    maxGroupNotional: parseDec("100"),
    maxTotalNotional: parseDec("100"),
    maxOpenOrders: 10,
    maxOrdersPerSecond: 100,
    maxDailyLoss: parseDec("100"),
    priceBand: parseDec("0.02"),
    maxBookAgeMs: 5000,
    minEdge: ZERO,
  });
  const asks: [string, string][] = [["0.46", "10"], ["0.5", "10"]];
  const submitted: { tokenId: string; price: string }[] = [];
  const result = await trade(asks, {
    risk,
    later: book("b-yes", [["0.45", "100"]], asks),
    submitted,
  });
  assert.deepEqual(submitted, [{ tokenId: "a-yes", price: "0.4" }, {
    tokenId: "b-yes",
    price: "0.46",
  }]);
  assert.equal(result.outcome, "filled_whole");
  assert.equal(result.refused, 0);
  assert.deepEqual(result.legs.map((l) => text(l.bought)), ["10", "10"]);
  assert.equal(text(result.pnl), "1.4");
});
