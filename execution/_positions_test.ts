import assert from "node:assert/strict";
import { parseDec } from "../edge/decimal.ts";
import { applyTrade, fillCash } from "./_positions.ts";

const FLAT = { size: "0", cost: "0", realized: "0" };

Deno.test("applyTrade() adds a buy's notional to the basis", () => {
  const held = applyTrade(applyTrade(FLAT, { side: "BUY", price: "0.4", size: "10" }), {
    side: "BUY",
    price: "0.6",
    size: "10",
  });
  assert.deepEqual(held, { size: "20", cost: "10", realized: "0" });
});

Deno.test("applyTrade() books a sell against the average cost", () => {
  const held = applyTrade({ size: "20", cost: "10", realized: "0" }, {
    side: "SELL",
    price: "0.7",
    size: "5",
  });
  // avg 0.5: 5 sold for 3.5 against 2.5 of basis.
  assert.deepEqual(held, { size: "15", cost: "7.5", realized: "1" });
});

Deno.test("applyTrade() keeps basis + realized exact when the average does not divide", () => {
  const start = { size: "3", cost: "1", realized: "0" };
  const held = applyTrade(start, { side: "SELL", price: "0.5", size: "1" });
  // Basis kept rounds down to 1e-8; the sold part's basis is the rest: nothing is lost.
  assert.equal(held.size, "2");
  assert.equal(held.cost, "0.66666666");
  assert.equal(held.realized, "0.16666666");
  // The basis kept plus the basis sold (proceeds − realized) is the basis before, exactly.
  const proceeds = parseDec("0.5");
  assert.equal(parseDec(held.cost) + proceeds - parseDec(held.realized), parseDec(start.cost));
});

Deno.test("applyTrade() closes a position to zero and beyond at the sell price", () => {
  const closed = applyTrade({ size: "10", cost: "4", realized: "0" }, {
    side: "SELL",
    price: "0.5",
    size: "10",
  });
  assert.deepEqual(closed, { size: "0", cost: "0", realized: "1" });
  const beyond = applyTrade({ size: "10", cost: "4", realized: "0" }, {
    side: "SELL",
    price: "0.5",
    size: "12",
  });
  assert.deepEqual(beyond, { size: "-2", cost: "-1", realized: "1" });
});

Deno.test("fillCash() pays for a buy and receives for a sell", () => {
  assert.equal(fillCash("BUY", "0.52", "22.84"), "-11.8768");
  assert.equal(fillCash("SELL", "0.52", "22.84"), "11.8768");
});
