import assert from "node:assert/strict";
import { parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import type { PriceSnapshotRow } from "../db/prices.ts";
import { appendPriceRows, complement } from "./prices.ts";

const AT = new Date("2026-11-25T10:00:00Z");

Deno.test("complement() is exact decimal 1 − x", () => {
  assert.equal(complement("0.51"), "0.49");
  assert.equal(complement("0.3"), "0.7");
  assert.equal(complement("0.0025"), "0.9975");
  assert.equal(complement("1"), "0");
  assert.equal(complement("0"), "1");
  assert.equal(complement("1.5"), null);
  assert.equal(complement(null), null);
});

Deno.test("appendPriceRows() gives outcome 1 the complement quotes and no last trade", async () => {
  const raw = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "../tests/fixtures/polymarket/gamma/market_btc_updown_5m_2026-03.json",
        import.meta.url,
      ),
    ),
  );
  const page = parseGammaMarketsPage([raw], AT);
  const rows: PriceSnapshotRow[] = [];
  appendPriceRows(rows, page.items[0]!, AT);
  assert.equal(rows.length, 2);
  const [up, down] = rows;
  assert.deepEqual(
    [up!.price, up!.bestBid, up!.bestAsk, up!.lastTradePrice],
    ["0.505", "0.5", "0.51", "0.51"],
  );
  assert.deepEqual(
    [down!.price, down!.bestBid, down!.bestAsk, down!.lastTradePrice],
    ["0.495", "0.49", "0.5", null],
  );
  assert.ok(rows.every((r) => r.ts === AT && r.volume24h === "9.999997"));
  assert.equal(up!.liquidity, "20328.3747");
});
