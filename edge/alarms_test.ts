import assert from "node:assert/strict";
import { bookAlarms } from "./alarms.ts";
import type { MarketInput } from "./market.ts";

const market: MarketInput = {
  marketId: "m",
  conditionId: "0xc",
  yesTokenId: "y",
  noTokenId: "n",
  book: { bids: [["0.40", "10"]], asks: [["0.42", "10"]] },
  noBook: { bids: [["0.58", "10"]], asks: [["0.60", "10"]] },
  fee: { rate: "0.05", exponent: 1, takerOnly: true },
  tickSize: "0.01",
  minOrderSize: "5",
  endDate: null,
};

Deno.test("bookAlarms() is silent on a sound mirrored book", () => {
  assert.deepStrictEqual(bookAlarms(market), []);
});

Deno.test("bookAlarms() flags YES ask + NO ask < 1 as a data alarm", () => {
  const alarms = bookAlarms({ ...market, noBook: { bids: [], asks: [["0.55", "10"]] } });
  assert.deepStrictEqual(alarms.map((a) => [a.kind, a.detail]), [
    ["yes_ask_plus_no_ask_below_one", "YES ask 0.42 + NO ask 0.55 < 1"],
  ]);
});

Deno.test("bookAlarms() flags a crossed book and prices off the tick grid", () => {
  const crossed = bookAlarms({ ...market, book: { bids: [["0.45", "1"]], asks: [["0.42", "1"]] } });
  assert.deepStrictEqual(crossed.map((a) => a.kind), ["crossed_book"]);
  const offTick = bookAlarms({
    ...market,
    book: { bids: [["0.405", "1"]], asks: [["0.42", "1"]] },
  });
  assert.deepStrictEqual(offTick.map((a) => a.kind), ["off_tick_or_malformed"]);
});
