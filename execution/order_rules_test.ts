import assert from "node:assert/strict";
import type { OrderRequest } from "./broker.ts";
import { checkOrder, GTD_SAFETY_SECONDS, type MarketRules, type RuleCode } from "./order_rules.ts";

const NOW_MS = 1_780_000_000_500;
const NOW_S = 1_780_000_000;
const MARKET: MarketRules = { tickSize: "0.01", minOrderSize: "5", negRisk: false };
const GTC: OrderRequest = {
  clientOrderId: "c-1",
  tokenId: "71321045679252212594626385532706912750332728571942532289631379312455583992563",
  side: "BUY",
  orderType: "GTC",
  price: "0.52",
  size: "10",
  postOnly: false,
  expiration: null,
};

function refusal(request: Partial<OrderRequest>, market: Partial<MarketRules> = {}) {
  const verdict = checkOrder({ ...GTC, ...request }, { ...MARKET, ...market }, NOW_MS);
  assert.ok(!verdict.ok, `expected a refusal of ${JSON.stringify(request)}`);
  return verdict as { ok: false; code: RuleCode; error: string };
}

Deno.test("checkOrder() accepts valid orders of every type", () => {
  assert.deepEqual(checkOrder(GTC, MARKET, NOW_MS), { ok: true });
  const ok: Partial<OrderRequest>[] = [
    { price: "0.01" },
    { price: "0.99", side: "SELL" },
    { size: "5" },
    { postOnly: true },
    { orderType: "GTD", expiration: NOW_S + GTD_SAFETY_SECONDS, postOnly: true },
    { orderType: "FOK", size: "1.93" }, // 1.93 × 0.52 = $1.0036 → $1.00
    { orderType: "FAK", side: "SELL", size: "2" },
  ];
  for (const change of ok) {
    assert.deepEqual(checkOrder({ ...GTC, ...change }, MARKET, NOW_MS), { ok: true });
  }
  const fine: MarketRules = { tickSize: "0.0025", minOrderSize: "5", negRisk: true };
  assert.deepEqual(checkOrder({ ...GTC, price: "0.5075" }, fine, NOW_MS), { ok: true });
});

Deno.test("checkOrder() refuses a price off the grid with the venue's text", () => {
  assert.deepEqual(refusal({ price: "0.525" }), {
    ok: false,
    code: "INVALID_ORDER_MIN_TICK_SIZE",
    error: "order c-1 is invalid. Price (0.525) breaks minimum tick size rule: 0.01",
  });
  assert.equal(
    refusal({ price: "0.5076" }, { tickSize: "0.0025" }).code,
    "INVALID_ORDER_MIN_TICK_SIZE",
  );
  assert.equal(refusal({ price: "0.52" }, { tickSize: "0.1" }).code, "INVALID_ORDER_MIN_TICK_SIZE");
  assert.equal(refusal({ price: "abc" }).code, "INVALID_ORDER_MIN_TICK_SIZE");
  assert.equal(refusal({ price: "0.123456789" }).code, "INVALID_ORDER_MIN_TICK_SIZE");
});

Deno.test("checkOrder() refuses prices outside [tick, 1 − tick]", () => {
  assert.deepEqual(refusal({ price: "0" }), {
    ok: false,
    code: "INVALID_PRICE",
    error: "invalid price (0), min: 0.01 - max: 0.99",
  });
  assert.equal(refusal({ price: "1" }).code, "INVALID_PRICE");
  assert.equal(refusal({ price: "-0.5" }).code, "INVALID_PRICE");
  assert.equal(
    refusal({ price: "1" }, { tickSize: "0.1" }).error,
    "invalid price (1), min: 0.1 - max: 0.9",
  );
  // The bounds themselves are on the book.
  assert.deepEqual(checkOrder({ ...GTC, price: "0.9" }, { ...MARKET, tickSize: "0.1" }, NOW_MS), {
    ok: true,
  });
});

Deno.test("checkOrder() refuses sizes that are not positive 0.01-share lots", () => {
  assert.deepEqual(refusal({ size: "29.411" }), {
    ok: false,
    code: "INVALID_LOT_SIZE",
    error: "Size 29.411 has 3 decimal places. Maximum lot size is 2",
  });
  assert.equal(refusal({ size: "0" }).code, "INVALID_SIZE");
  assert.equal(refusal({ size: "-5" }).code, "INVALID_SIZE");
  assert.equal(refusal({ size: "1e3" }).code, "INVALID_SIZE");
});

Deno.test("checkOrder() holds resting orders to orderMinSize", () => {
  assert.deepEqual(refusal({ size: "4.99" }), {
    ok: false,
    code: "INVALID_ORDER_MIN_SIZE",
    error: "order c-1 is invalid. Size (4.99) lower than the minimum: 5",
  });
  assert.equal(
    refusal({ size: "14", orderType: "GTD", expiration: NOW_S + 3600 }, {
      minOrderSize: "15",
    }).code,
    "INVALID_ORDER_MIN_SIZE",
  );
});

Deno.test("checkOrder() holds FOK/FAK orders to $1, a BUY as the cents it will send", () => {
  // 1.92 × 0.52 = 0.9984 → $0.99 sent.
  assert.deepEqual(refusal({ orderType: "FOK", size: "1.92" }), {
    ok: false,
    code: "INVALID_MARKETABLE_AMOUNT",
    error: "invalid amount for a marketable BUY order ($0.99), min size: $1",
  });
  // A market order below orderMinSize shares is fine when worth $1.
  assert.deepEqual(
    checkOrder({ ...GTC, orderType: "FAK", size: "2", price: "0.5" }, {
      ...MARKET,
      minOrderSize: "5",
    }, NOW_MS),
    { ok: true },
  );
  assert.equal(
    refusal({ orderType: "FAK", side: "SELL", size: "1.9" }).code,
    "INVALID_MARKETABLE_AMOUNT",
  );
});

Deno.test("checkOrder() allows post-only only with GTC/GTD", () => {
  assert.deepEqual(refusal({ orderType: "FOK", postOnly: true }), {
    ok: false,
    code: "INVALID_POST_ONLY_ORDER_TYPE",
    error: "postOnly is not supported for FOK/FAK orders",
  });
  assert.equal(refusal({ orderType: "FAK", postOnly: true }).code, "INVALID_POST_ONLY_ORDER_TYPE");
});

Deno.test("checkOrder() wants a GTD expiration ≥ now + 60 s and none on other types", () => {
  const gtd = { orderType: "GTD" as const };
  assert.deepEqual(refusal({ ...gtd, expiration: NOW_S + GTD_SAFETY_SECONDS - 1 }), {
    ok: false,
    code: "INVALID_ORDER_EXPIRATION",
    error: "invalid expiration",
  });
  assert.equal(refusal({ ...gtd, expiration: null }).code, "INVALID_ORDER_EXPIRATION");
  assert.equal(refusal({ ...gtd, expiration: NOW_S + 100.5 }).code, "INVALID_ORDER_EXPIRATION");
  assert.equal(refusal({ expiration: NOW_S + 3600 }).code, "INVALID_ORDER_EXPIRATION");
  assert.equal(
    refusal({ orderType: "FOK", expiration: NOW_S + 3600 }).code,
    "INVALID_ORDER_EXPIRATION",
  );
});

Deno.test("checkOrder() refuses a bad token id or client order id, and throws on a bad tick", () => {
  assert.equal(refusal({ tokenId: "0x12" }).code, "INVALID_TOKEN_ID");
  assert.equal(refusal({ tokenId: "" }).code, "INVALID_TOKEN_ID");
  assert.equal(refusal({ tokenId: (1n << 256n).toString() }).code, "INVALID_TOKEN_ID");
  assert.equal(refusal({ clientOrderId: " " }).code, "INVALID_CLIENT_ORDER_ID");
  assert.throws(
    () => checkOrder(GTC, { ...MARKET, tickSize: "0.02" as never }, NOW_MS),
    RangeError,
  );
});
