import assert from "node:assert/strict";
import { canonicalDecimal, createTradeKeyer, keyOrdinal, tradeHash } from "./trade_identity.ts";
import { parseTradesV1 } from "../polymarket/data_api_schema.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";

const trade = {
  tokenId: "1",
  timestamp: 1_767_225_600_123,
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

Deno.test("tradeHash() is the same for a millisecond and its whole second (websocket vs Data API)", () => {
  const second = { ...trade, timestamp: 1_767_225_600_000, transactionHash: "0xAB" };
  assert.equal(tradeHash(trade), tradeHash(second));
  assert.notEqual(tradeHash(trade), tradeHash({ ...trade, timestamp: 1_767_225_601_000 }));
});

Deno.test("tradeHash() treats equal decimals alike and differs on every identity field", () => {
  assert.equal(tradeHash(trade), tradeHash({ ...trade, price: ".520", size: "10.0" }));
  for (
    const other of [
      { tokenId: "2" },
      { timestamp: trade.timestamp + 1000 },
      { price: "0.53" },
      { size: "1" },
      { side: "SELL" as const },
      { transactionHash: null },
    ]
  ) assert.notEqual(tradeHash(trade), tradeHash({ ...trade, ...other }));
});

Deno.test("the same fill recorded from the websocket and from the Data API has one key", async () => {
  const dir = new URL("../tests/fixtures/polymarket/", import.meta.url);
  const ws = parseWsFrame(
    await Deno.readTextFile(new URL("ws-market/last_trade_price_with_tx_hash_2026-08.json", dir)),
    0,
  ).messages.find((m) => m.kind === "trade");
  assert.ok(ws !== undefined && ws.kind === "trade");
  // The Data API row of that fill: numbers instead of strings, whole seconds.
  const [api] = parseTradesV1([{
    proxyWallet: "0x" + "1".repeat(40),
    side: ws.side,
    asset: ws.tokenId,
    conditionId: ws.market,
    size: Number(ws.size),
    price: Number(ws.price),
    timestamp: Math.floor(ws.timestamp / 1000),
    transactionHash: ws.transactionHash?.toUpperCase().replace("0X", "0x"),
  }], new Date()).items;
  assert.ok(api !== undefined);
  const fromWs = createTradeKeyer().key(ws);
  const fromApi = `${tradeHash({ ...api, timestamp: api.timestamp.getTime() })}#0`;
  assert.equal(fromWs, fromApi);
});

Deno.test("canonicalDecimal() writes what PostgreSQL's trim_scale(numeric)::text writes", () => {
  const cases = [["0.50", "0.5"], [".5", "0.5"], ["10.0", "10"], ["0010", "10"], ["0", "0"]];
  for (const [input, want] of cases) assert.equal(canonicalDecimal(input!), want);
  assert.deepEqual([keyOrdinal("abc#2"), keyOrdinal("ws:x#0"), keyOrdinal("abc")], [2, 0, 0]);
});

Deno.test("createTradeKeyer() numbers a fill after a rotation after its twin from before it", () => {
  const keyer = createTradeKeyer();
  const first = keyer.key(trade);
  // A later fill of another token (venue time a retention window on) rotates the generations;
  // then the second identical fill of the first transaction arrives.
  keyer.key({ ...trade, tokenId: "2", timestamp: trade.timestamp + 60_000 });
  const second = keyer.key(trade);
  assert.deepEqual([first.split("#")[1], second.split("#")[1]], ["0", "1"]);
  assert.equal(keyer.key(trade).split("#")[1], "2");
});

Deno.test("createTradeKeyer() forgets tuples a retention window later (bounded memory)", () => {
  const keyer = createTradeKeyer();
  for (let i = 0; i < 1000; i++) keyer.key({ ...trade, timestamp: trade.timestamp + i * 1000 });
  assert.ok(keyer.size <= 121, `remembered ${keyer.size}`);
});
