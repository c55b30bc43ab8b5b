import assert from "node:assert/strict";
import { createTradeKeyer, tradeHash } from "./_trade_key.ts";

const trade = {
  tokenId: "1",
  timestamp: 1_767_225_600_000,
  price: "0.52",
  size: "10",
  side: "BUY",
  transactionHash: "0xab",
} as const;

Deno.test("createTradeKeyer() numbers identical fills in one stream #0, #1, …", () => {
  const keyer = createTradeKeyer();
  const a = keyer.key(trade);
  const b = keyer.key(trade);
  assert.equal(a.split("#")[0], b.split("#")[0]);
  assert.deepEqual([a.split("#")[1], b.split("#")[1]], ["0", "1"]);
  assert.equal(keyer.key({ ...trade, size: "11" }).split("#")[1], "0");
});

Deno.test("createTradeKeyer() gives two streams that see the same trade the same key", () => {
  const one = createTradeKeyer();
  const two = createTradeKeyer();
  assert.deepEqual([one.key(trade), one.key(trade)], [two.key(trade), two.key(trade)]);
});

Deno.test("tradeHash() treats equal decimals alike and differs on every identity field", () => {
  assert.equal(tradeHash(trade), tradeHash({ ...trade, price: ".520", size: "10.0" }));
  for (
    const other of [
      { tokenId: "2" },
      { timestamp: trade.timestamp + 1 },
      { price: "0.53" },
      { size: "1" },
      { side: "SELL" as const },
      { transactionHash: null },
    ]
  ) assert.notEqual(tradeHash(trade), tradeHash({ ...trade, ...other }));
});

Deno.test("createTradeKeyer() forgets tuples a retention window later (bounded memory)", () => {
  const keyer = createTradeKeyer();
  for (let i = 0; i < 1000; i++) keyer.key({ ...trade, timestamp: trade.timestamp + i * 1000 });
  assert.ok(keyer.size <= 121, `remembered ${keyer.size}`);
});
