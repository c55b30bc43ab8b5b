import assert from "node:assert/strict";
import {
  formatBaseUnits,
  isTickSize,
  limitOrderAmounts,
  marketOrderAmounts,
  orderAmounts,
  ROUNDING,
  TICK_SIZES,
} from "./order_amounts.ts";

Deno.test("limitOrderAmounts() prices 10 shares at 0.52 as the venue does", () => {
  assert.deepEqual(limitOrderAmounts("BUY", "0.52", "10", "0.01"), {
    makerAmount: 5_200_000n,
    takerAmount: 10_000_000n,
  });
  assert.deepEqual(limitOrderAmounts("SELL", "0.52", "10", "0.01"), {
    makerAmount: 10_000_000n,
    takerAmount: 5_200_000n,
  });
});

Deno.test("limitOrderAmounts() is the exact product for every on-grid price and 0.01 lot", () => {
  // Independent: the product of two integers of 1e-4 and 1e-2, in 1e-6 units, is exact.
  for (const tick of TICK_SIZES) {
    const places = tick.split(".")[1]!.length;
    const step = BigInt(Math.round(Number(tick) * 10_000)); // tick in 1e-4
    for (let k = 1n; k * step < 10_000n; k += 7n) {
      const price4 = k * step; // price in 1e-4
      for (const lots of [1n, 99n, 500n, 12_345n, 1_000_000n]) {
        const price = (Number(price4) / 10_000).toFixed(places);
        const size = (Number(lots) / 100).toFixed(2);
        const { makerAmount, takerAmount } = limitOrderAmounts("BUY", price, size, tick);
        assert.equal(takerAmount, lots * 10_000n);
        assert.equal(makerAmount, price4 * lots, `${size} @ ${price} (tick ${tick})`);
        // And the product never has more decimals than the tick's amount places.
        assert.equal(makerAmount % 10n ** BigInt(6 - ROUNDING[tick].amount), 0n);
      }
    }
  }
});

Deno.test("limitOrderAmounts() floors size to 0.01 and rounds an off-grid price half up", () => {
  // The client's roundDown(size, 2) and roundNormal(price, 2).
  // 0.525 → 0.53, 10.019 → 10.01: 10.01 × 0.53 = 5.3053.
  assert.deepEqual(limitOrderAmounts("BUY", "0.525", "10.019", "0.01"), {
    makerAmount: 5_305_300n,
    takerAmount: 10_010_000n,
  });
  // 0.524 → 0.52: 3 × 0.52 = 1.56.
  assert.deepEqual(limitOrderAmounts("SELL", "0.524", "3", "0.01"), {
    makerAmount: 3_000_000n,
    takerAmount: 1_560_000n,
  });
});

Deno.test("marketOrderAmounts() buys dollars ÷ price rounded at the tick's amount places", () => {
  // $5 at 0.3: 16.666666… → up at 8 places (16.66666667) → down at 4 (16.6666).
  assert.deepEqual(marketOrderAmounts("BUY", "5", "0.3", "0.01"), {
    makerAmount: 5_000_000n,
    takerAmount: 16_666_600n,
  });
  // Tick 0.001: 5 places. $7.77 at 0.123 = 63.170731707… → 63.17073.
  assert.deepEqual(marketOrderAmounts("BUY", "7.77", "0.123", "0.001"), {
    makerAmount: 7_770_000n,
    takerAmount: 63_170_730n,
  });
  // Dollars floored to cents; an off-grid worst price floored to the grid (roundDown).
  assert.deepEqual(marketOrderAmounts("BUY", "5.209", "0.529", "0.01"), {
    makerAmount: 5_200_000n,
    takerAmount: 10_000_000n,
  });
  assert.deepEqual(marketOrderAmounts("SELL", "12.345", "0.45", "0.01"), {
    makerAmount: 12_340_000n,
    takerAmount: 5_553_000n,
  });
  assert.throws(() => marketOrderAmounts("BUY", "5", "0.004", "0.01"), RangeError);
});

Deno.test("orderAmounts() uses limit arithmetic for GTC/GTD and dollars for a FOK/FAK BUY", () => {
  const base = { side: "BUY" as const, price: "0.52", size: "10.01" };
  assert.deepEqual(orderAmounts({ ...base, orderType: "GTC" }, "0.01"), {
    makerAmount: 5_205_200n,
    takerAmount: 10_010_000n,
  });
  // 10.01 × 0.52 = $5.2052 → $5.20 → 10 shares at 0.52.
  assert.deepEqual(orderAmounts({ ...base, orderType: "FOK" }, "0.01"), {
    makerAmount: 5_200_000n,
    takerAmount: 10_000_000n,
  });
  assert.deepEqual(orderAmounts({ ...base, side: "SELL", orderType: "FAK" }, "0.01"), {
    makerAmount: 10_010_000n,
    takerAmount: 5_205_200n,
  });
});

Deno.test("isTickSize() knows the six tick sizes and formatBaseUnits() prints 6-dp units", () => {
  assert.deepEqual([...TICK_SIZES], ["0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"]);
  assert.ok(isTickSize("0.0025"));
  assert.ok(!isTickSize("0.010"));
  assert.ok(!isTickSize("toString"));
  assert.equal(formatBaseUnits(5_205_200n), "5.2052");
  assert.equal(formatBaseUnits(10_000_000n), "10");
  assert.equal(formatBaseUnits(1n), "0.000001");
});
