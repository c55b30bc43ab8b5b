import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MarketBook } from "./book.ts";
import { planTake, takerFee } from "./venue_match.ts";

const crypto = { rate: "0.07", exponent: "1", takerOnly: true, rebateRate: "0.2" };

Deno.test("takerFee() charges shares × rate × p(1−p), rounded half up to 5 places", () => {
  assertEquals(takerFee(crypto, 10_000, 5000), 1_750_000n); // the docs' 100 @ 0.50 → 1.75
  // 5.95 @ 0.84, rate 0.03: 0.0239904 → 0.02399
  assertEquals(takerFee({ ...crypto, rate: "0.03" }, 595, 8400), 23_990n);
  // 1 share @ 0.5, rate 0.00002: 0.000005 → 0.00001 (half up)
  assertEquals(takerFee({ ...crypto, rate: "0.00002" }, 100, 5000), 10n);
  assertEquals(takerFee(null, 10_000, 5000), 0n);
  // exponent 2: 100 × 0.07 × 0.0625 = 0.4375
  assertEquals(takerFee({ ...crypto, exponent: "2" }, 10_000, 5000), 437_500n);
});

function book(): MarketBook {
  const b = new MarketBook(100);
  b.set("ask", 5500, 10_000); // 100 Yes @ 0.55
  b.set("ask", 5600, 5_000); // 50 Yes @ 0.56
  b.set("bid", 5000, 2_000); // 20 Yes @ 0.50
  return b;
}

const usd = (dollars: number) => BigInt(Math.round(dollars * 1e6));

Deno.test("planTake() walks the opposite side best first up to the limit price", () => {
  // Yes BUY 120 @ 0.56: 100 @ 0.55, then 20 @ 0.56
  const buy = planTake(book(), 0, { side: "BUY", maker: usd(67.2), taker: usd(120) }, {
    hundredths: 12_000,
    budget: null,
  });
  assertEquals(buy.fills.map((f) => [f.tokenPrice, f.hundredths]), [[5500, 10_000], [5600, 2_000]]);
  assertEquals(buy.complete, true);
  // limited to 0.55: only the first level, not complete
  const capped = planTake(book(), 0, { side: "BUY", maker: usd(66), taker: usd(120) }, {
    hundredths: 12_000,
    budget: null,
  });
  assertEquals(capped.fills.map((f) => f.hundredths), [10_000]);
  assertEquals(capped.complete, false);
});

Deno.test("planTake() mirrors the No token onto the Yes book", () => {
  // No SELL 30 @ 0.44 is a Yes BUY @ 0.56: takes Yes asks, No price 0.45 then 0.44
  const sell = planTake(book(), 1, { side: "SELL", maker: usd(30), taker: usd(13.2) }, {
    hundredths: 3_000,
    budget: null,
  });
  assertEquals(sell.fills.map((f) => [f.yesSide, f.yesPrice, f.tokenPrice, f.hundredths]), [
    ["ask", 5500, 4500, 3_000],
  ]);
  // No BUY @ 0.50 takes the Yes bid at 0.50
  const buy = planTake(book(), 1, { side: "BUY", maker: usd(5), taker: usd(10) }, {
    hundredths: 1_000,
    budget: null,
  });
  assertEquals(buy.fills.map((f) => [f.yesSide, f.tokenPrice, f.hundredths]), [[
    "bid",
    5000,
    1_000,
  ]]);
});

Deno.test("planTake() spends a market BUY's budget to less than one more hundredth", () => {
  // $60 at worst 0.56: 100 @ 0.55 ($55), then floor(5 / 0.0056) = 892 hundredths @ 0.56
  const plan = planTake(book(), 0, { side: "BUY", maker: usd(60), taker: usd(107.1428) }, {
    hundredths: 10_714,
    budget: usd(60),
  });
  assertEquals(plan.fills.map((f) => f.hundredths), [10_000, 892]);
  assertEquals(plan.budgetShares, 10_892);
  assertEquals(plan.complete, true);
  // $100 cannot be spent within the book (150 shares cost $83)
  const short = planTake(book(), 0, { side: "BUY", maker: usd(100), taker: usd(178.57) }, {
    hundredths: 17_857,
    budget: usd(100),
  });
  assertEquals(short.complete, false);
});
