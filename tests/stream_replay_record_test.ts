/**
 * Replays obey the record (issue 25): over a recorded stream in the real PostgreSQL, a book is
 * never carried across an outage in the gap ledger, a segment end or a resolution. An
 * implication pair (A ⇒ B, A's YES bid above B's YES ask) is mispriced from T0; the backtest's
 * episode must end where the record stops covering a leg, and start again only on a leg that
 * is covered again (a new snapshot), never after the leg's market resolved.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { recordGaps } from "../db/ops.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { silentLogger } from "../runtime/log.ts";
import { runBacktest } from "../scanner/backtest.ts";
import { RelationSet, type ScanMarket } from "../scanner/relation_set.ts";
import { bookAt } from "../stream/book_at.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0);
const [MARKET_A, MARKET_B] = ["0x" + "aa".repeat(32), "0x" + "bb".repeat(32)];
const [A_YES, A_NO, B_YES, B_NO] = ["101", "102", "201", "202"];

function market(id: string, condition: string, yes: string, no: string): ScanMarket {
  return {
    marketId: id,
    conditionId: condition,
    yesTokenId: yes,
    noTokenId: no,
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-01-01T00:00:00Z",
  };
}

const SET = new RelationSet([{
  key: "implies:a=>b",
  kind: "implication",
  complete: true,
  convertFeeBips: null,
  markets: [market("a", MARKET_A, A_YES, A_NO), market("b", MARKET_B, B_YES, B_NO)],
}]);

/** A `book` frame: A bids 0.60, B asks 0.50 (buy NO of A at 0.40 + YES of B at 0.50 < 1). */
function book(token: string, market: string, at: number) {
  const mine = token === A_YES
    ? { bids: [{ price: "0.60", size: "100" }], asks: [{ price: "0.62", size: "100" }] }
    : { bids: [{ price: "0.48", size: "100" }], asks: [{ price: "0.50", size: "100" }] };
  return { event_type: "book", market, asset_id: token, timestamp: String(at), hash: "h", ...mine };
}

/** A delta that keeps A's book mispriced (a level far from the top changes). */
function tick(at: number) {
  return {
    event_type: "price_change",
    market: MARKET_A,
    timestamp: String(at),
    price_changes: [{ asset_id: A_YES, price: "0.10", size: String(at % 97 + 1), side: "BUY" }],
  };
}

Deno.test("a backtest over the recorded stream never carries a book across a gap, a segment end or a resolution", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    let clock = T0;
    const rec = testRecorder(db.sql, { session: 7, now: () => clock });
    const resolved = {
      event_type: "market_resolved",
      id: "2",
      market: MARKET_B,
      assets_ids: [B_YES, B_NO],
      winning_asset_id: B_NO,
      winning_outcome: "No",
      timestamp: String(T0 + 30_000),
    };
    // Both books at T0, deltas every second on connection 1 (so neither leg goes stale); a
    // fresh snapshot of A at +15 s (after the outage below); B's segment ends at +20 s
    // (unsubscribed), B is subscribed again at +25 s, resolves at +30 s, and a snapshot of B
    // at +35 s must not reopen it.
    const script: [number, object | "forget"][] = [
      [0, book(A_YES, MARKET_A, T0)],
      [0, book(B_YES, MARKET_B, T0)],
      ...Array.from({ length: 40 }, (_, i) => [(i + 1) * 1000, tick(T0 + (i + 1) * 1000)] as const),
      [15_000, book(A_YES, MARKET_A, T0 + 15_000)],
      [20_000, "forget"],
      [25_000, book(B_YES, MARKET_B, T0 + 25_000)],
      [30_000, resolved],
      [35_000, book(B_YES, MARKET_B, T0 + 35_000)],
    ].sort((x, y) => (x[0] as number) - (y[0] as number)) as [number, object | "forget"][];
    for (const [offset, step] of script) {
      clock = T0 + offset;
      if (step === "forget") rec.forget([B_YES]);
      else rec.record(parseWsFrame(JSON.stringify(step), clock).messages, 1);
    }
    await rec.flush();
    // An outage of connection 1 from +10 s to +12 s that left A uncovered.
    await recordGaps(db.sql, [{
      collector: "trades",
      scope: "conn:1",
      startAt: new Date(T0 + 10_000),
      endAt: new Date(T0 + 12_000),
      cause: "ws_disconnect",
      tokens: [A_YES],
    }]);

    const events = [];
    for await (const e of replayBookEvents(db.sql, { tokenIds: SET.tokens() })) events.push(e);
    const closes = events.filter((e) => e.kind === "book_closed")
      .map((e) => [e.tokenId, e.receivedAt - T0, e.kind === "book_closed" ? e.reason : ""]);
    assert.deepStrictEqual(closes, [
      [A_YES, 10_000, "gap"],
      [B_YES, 20_000, "segment_end"],
      [B_YES, 30_000, "resolved"],
    ]);

    const { episodes } = await runBacktest(events, SET, {
      maxBookAgeMs: 5_000,
      maxSkewMs: 5_000,
      until: T0 + 45_000,
    });
    const spans = episodes.map((e) => [e.startedAt - T0, e.endedAt! - T0, e.endReason]);
    assert.deepStrictEqual(spans, [
      [0, 10_000, "gated_leg"],
      [15_000, 20_000, "gated_leg"],
      [25_000, 30_000, "closed_leg"],
    ]);
    // Every episode's legs were covered at its start, and not at its end: bookAt agrees.
    for (const episode of episodes) {
      for (const token of [A_YES, B_YES]) {
        const start = await bookAt(db.sql, token, { at: new Date(episode.startedAt) });
        assert.equal(start.covered, true, `${token} at ${episode.startedAt - T0}`);
      }
    }
    assert.deepStrictEqual(await bookAt(db.sql, A_YES, { at: new Date(T0 + 10_000) }), {
      covered: false,
      reason: "gap",
    });
    assert.deepStrictEqual(await bookAt(db.sql, B_YES, { at: new Date(T0 + 20_000) }), {
      covered: false,
      reason: "ended",
    });
  });
});
