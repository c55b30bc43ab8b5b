/**
 * The paper broker over the recorded stream (issue 29): a stream recorded into the real
 * PostgreSQL and replayed (`replayBookEvents`) drives the broker's clock; orders sent during
 * the replay meet the book as it was recorded at their arrival (the send time plus the
 * latency), which `bookAt` rebuilds independently from the same rows.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import type { BrokerEvent, OrderRequest, SubmitResult } from "../execution/broker.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { bookAt } from "../stream/book_at.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 11, 6, 9, 0);
const MARKET = "0x" + "cc".repeat(32);
const YES = "301";

function change(at: number, price: string, size: string, side: "BUY" | "SELL") {
  return {
    event_type: "price_change",
    market: MARKET,
    timestamp: String(at),
    price_changes: [{ asset_id: YES, price, size, side }],
  };
}

function order(fields: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId: "c",
    tokenId: YES,
    side: "BUY",
    orderType: "FAK",
    price: "0.47",
    size: "60",
    postOnly: false,
    expiration: null,
    ...fields,
  };
}

Deno.test("the paper broker fills over a replayed recording as the book was at each order's arrival", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    let clock = T0;
    const rec = testRecorder(db.sql, { session: 3, now: () => clock });
    const script: [number, object][] = [
      [0, {
        event_type: "book",
        market: MARKET,
        asset_id: YES,
        timestamp: String(T0),
        hash: "h",
        bids: [{ price: "0.44", size: "100" }],
        asks: [{ price: "0.47", size: "30" }, { price: "0.46", size: "50" }],
      }],
      [2_000, change(T0 + 2_000, "0.10", "3", "BUY")], // far from the top: the strategy's cue
      [2_300, change(T0 + 2_300, "0.46", "20", "SELL")], // someone took 30 at 0.46
      [2_500, change(T0 + 2_500, "0.47", "40", "SELL")], // 10 more offered at 0.47
      [4_000, change(T0 + 4_000, "0.44", "30", "BUY")], // 70 of the 100 bids at 0.44 gone
      [5_000, change(T0 + 5_000, "0.44", "0", "BUY")], // the other 30 gone
      [6_000, change(T0 + 6_000, "0.44", "5", "SELL")], // a seller comes down to 0.44
      [7_000, change(T0 + 7_000, "0.10", "1", "BUY")],
    ];
    for (const [offset, step] of script) {
      clock = T0 + offset;
      rec.record(parseWsFrame(JSON.stringify(step), clock).messages, 1);
    }
    await rec.flush();

    const broker = new PaperBroker({
      now: () => clock,
      latencyMs: 500,
      cash: "1000",
      feeOf: () => ({ rate: "0.05", exponent: 1, takerOnly: true }),
    });
    const events: BrokerEvent[] = [];
    broker.onEvent((e) => events.push(e));
    const sent: Promise<SubmitResult>[] = [];
    for await (const e of replayBookEvents(db.sql, { tokenIds: [YES] })) {
      clock = e.receivedAt;
      broker.onBookEvent(e);
      // The strategy: a taker order at +2 s (arrives +2.5 s), a resting bid at +2.5 s (+3 s).
      if (sent.length === 0 && clock >= T0 + 2_000) sent.push(broker.submit(order({})));
      if (sent.length === 1 && clock >= T0 + 2_500) {
        sent.push(
          broker.submit(order({ clientOrderId: "r", orderType: "GTC", price: "0.44", size: "10" })),
        );
      }
    }
    broker.advanceTo(T0 + 60_000);
    const [taker, maker] = await Promise.all(sent);
    assert(taker!.ok && maker!.ok);

    // The FAK met the book of +2.5 s (the changes at +2.3 s and +2.5 s included), which bookAt
    // rebuilds from the same rows.
    const met = await bookAt(db.sql, YES, { at: new Date(T0 + 2_500) });
    assert(met.covered);
    assert.deepStrictEqual(met.book.asks, [["0.46", "20"], ["0.47", "40"]]);
    const fills = events.flatMap((e) => (e.kind === "fill" ? [e.fill] : []));
    // 20 @ 0.46: 20 × 0.05 × 0.46 × 0.54 = 0.2484; 40 @ 0.47: 40 × 0.05 × 0.47 × 0.53 = 0.4982.
    // The bid at 0.44 sent at +2.5 s arrives at +3 s behind 100;
    // 70 then 30 go, and the seller at 0.44 (+6 s) meets it: 5 as maker, no fee.
    assert.deepStrictEqual(
      fills.map((f) => [f.clientOrderId, f.price, f.size, f.fee, f.liquidity, f.at - T0]),
      [
        ["c", "0.46", "20", "0.2484", "taker", 2_500],
        ["c", "0.47", "40", "0.4982", "taker", 2_500],
        ["r", "0.44", "5", "0", "maker", 6_000],
      ],
    );
    // 1000 − 9.2 − 18.8 − 0.7466 − 2.2 = 969.0534.
    assert.equal(broker.cash(), "969.0534");
    assert.deepStrictEqual(await broker.positions(), [{ tokenId: YES, size: "65" }]);
  });
});
