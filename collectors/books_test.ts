import assert from "node:assert/strict";
import { parseBooks } from "../polymarket/clob_schema.ts";
import { toBookRow } from "./books.ts";

const TS = new Date("2026-11-25T10:05:00Z");

Deno.test("toBookRow() keeps levels best first and reads the top of book from them", async () => {
  const raw = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "../tests/fixtures/polymarket/clob/book_2026-08_negrisk_empty_asks.json",
        import.meta.url,
      ),
    ),
  );
  const batch = parseBooks([raw], 0);
  assert.deepEqual(batch.rejects, []);
  const row = toBookRow(batch.items[0]!, TS);
  assert.equal(row.ts, TS);
  assert.equal(row.bestBid, row.bids[0]!.price);
  assert.deepEqual(row.asks, []);
  assert.equal([row.bestAsk, row.mid, row.spread].join(), ",,");
  assert.equal(row.askSize, "0");
  for (let i = 1; i < row.bids.length; i++) {
    assert.ok(Number(row.bids[i - 1]!.price) > Number(row.bids[i]!.price));
  }
});

Deno.test("toBookRow() computes mid, spread and side totals from a best-last wire book", () => {
  const batch = parseBooks([{
    market: "0x" + "ab".repeat(32),
    asset_id: "123",
    timestamp: "1786258812000",
    hash: "ab".repeat(20),
    bids: [{ price: "0.1", size: "5" }, { price: "0.48", size: "30" }, {
      price: "0.5",
      size: "15",
    }],
    asks: [{ price: "0.9", size: "1" }, { price: "0.53", size: "2.5" }, {
      price: "0.52",
      size: "10",
    }],
  }], 0);
  const row = toBookRow(batch.items[0]!, TS);
  assert.deepEqual(
    [row.bestBid, row.bestAsk, row.mid, row.spread, row.bidSize, row.askSize],
    ["0.5", "0.52", "0.51", "0.02", "50", "13.5"],
  );
  assert.equal(row.exchangeTs?.getTime(), 1786258812000);
  assert.equal(row.conditionId, "0x" + "ab".repeat(32));
});
