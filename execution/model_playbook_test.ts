import assert from "node:assert/strict";
import { type Dec, formatDec, parseDec } from "../edge/decimal.ts";
import {
  decideModel,
  feePerShareDec,
  kellyFraction,
  type ModelForecast,
  type ModelLimits,
} from "./model_playbook.ts";
import type { TokenBook } from "./playbook.ts";

const d = parseDec;
const AT = 1_800_000_000_000;
const FEE = { rate: d("0.02"), exponent: 1 };
const LIMITS: ModelLimits = {
  minEv: d("0.05"),
  kellyMultiplier: d("0.25"),
  kellyCap: d("0.05"),
  maxBookAgeMs: 2000,
  maxForecastAgeMs: 60_000,
  priceBand: d("0.05"),
  maxOrderNotional: d("100"),
};

function book(asks: [string, string][], options: { seenAt?: number } = {}): TokenBook {
  return {
    asks: asks.map(([p, s]) => ({ price: d(p), size: d(s) })),
    bids: [{ price: d("0.45"), size: d("100") }],
    changedAt: AT - 500,
    seenAt: options.seenAt ?? AT - 100,
    tick: d("0.01"),
    fee: FEE,
  };
}

function forecast(probability: number, rest: Partial<ModelForecast> = {}): ModelForecast {
  return {
    marketId: "m1",
    tokenId: "t-yes",
    outcomeIndex: 0,
    probability,
    instant: AT - 1000,
    modelVersion: 3,
    ...rest,
  };
}

const text = (x: Dec | null) => (x === null ? null : formatDec(x));

Deno.test("feePerShareDec() and kellyFraction() are the formulas, floored to 1e-8", () => {
  // 0.02 × 0.52 × 0.48 = 0.004992.
  assert.equal(formatDec(feePerShareDec(d("0.52"), FEE)), "0.004992");
  // (0.56 − 0.505) / (1 − 0.505) = 0.11111111…; a quarter is 0.02777777.
  assert.equal(formatDec(kellyFraction(d("0.56"), d("0.505"), LIMITS)), "0.02777777");
  // (0.7 − 0.505) / 0.495 = 0.3939…; a quarter 0.098… is capped at 0.05.
  assert.equal(formatDec(kellyFraction(d("0.7"), d("0.505"), LIMITS)), "0.05");
  assert.equal(kellyFraction(d("0.5"), d("0.505"), LIMITS), 0n);
});

Deno.test("decideModel() walks the levels worth buying within the price band when Kelly is capped", () => {
  // q 0.7: EV at 0.50 is 0.7 − 0.505 = 0.195, at 0.52 it is 0.175008; 0.60 lies outside the
  // 0.05 band. The cap (5% of 1000 = 50) does not bind: 10 + 20 shares cost
  // 5 + 0.05 fee + 10.4 + 0.09984 fee = 15.54984; EV (21 − 15.54984) / 30 = 0.181672.
  const decision = decideModel(forecast(0.7), {
    at: AT,
    book: book([["0.50", "10"], ["0.52", "20"], ["0.60", "100"]]),
    equity: d("1000"),
    notTradable: null,
    limits: LIMITS,
  });
  assert.equal(decision.action, "act", decision.reason);
  assert.equal(text(decision.order!.price), "0.52");
  assert.equal(text(decision.order!.shares), "30");
  assert.equal(decision.order!.orderType, "FAK");
  assert.equal(text(decision.cost), "15.54984");
  assert.equal(text(decision.evPerShare), "0.181672");
  assert.equal(text(decision.kelly), "0.05");
  assert.equal(text(decision.budget), "50");
  assert.equal(text(decision.evAtBest), "0.195");
});

Deno.test("decideModel() stops inside the level where the Kelly budget binds", () => {
  // q 0.56, threshold 0.02. At 0.50: c 0.505, f = ¼ × 0.11111111 = 0.02777777, budget 27.77777;
  // 10 shares cost 5.05. At 0.52: c 0.524992, f = ¼ × 0.07369981 = 0.01842495, budget
  // 18.42495; (18.42495 − 5.05) / 0.524992 = 25.47 shares more, costing 13.2444 + 0.12714 fee.
  // Total 35.47 shares for 18.42154; EV (0.56 × 35.47 − 18.42154) / 35.47 = 0.04064448.
  const decision = decideModel(forecast(0.56), {
    at: AT,
    book: book([["0.50", "10"], ["0.52", "2000"]]),
    equity: d("1000"),
    notTradable: null,
    limits: { ...LIMITS, minEv: d("0.02") },
  });
  assert.equal(decision.action, "act", decision.reason);
  assert.equal(text(decision.order!.shares), "35.47");
  assert.equal(text(decision.order!.price), "0.52");
  assert.equal(text(decision.kelly), "0.01842495");
  assert.equal(text(decision.budget), "18.42495");
  assert.equal(text(decision.cost), "18.42154");
  assert.equal(text(decision.evPerShare), "0.04064448");
});

Deno.test("decideModel() caps the shares by the order notional limit", () => {
  // Kelly would spend 5% of 100000 = 5000; 100 / 0.52 = 192.30 shares, all from the first level.
  const decision = decideModel(forecast(0.7), {
    at: AT,
    book: book([["0.50", "10"], ["0.52", "5000"]]),
    equity: d("100000"),
    notTradable: null,
    limits: LIMITS,
  });
  assert.equal(decision.action, "act", decision.reason);
  assert.equal(text(decision.order!.shares), "192.3");
  assert.match(decision.reason, /capped by the order notional limit 100/);
});

Deno.test("decideModel() declines with its reason", () => {
  const good = book([["0.50", "10"]]);
  const context = { at: AT, book: good, equity: d("1000"), notTradable: null, limits: LIMITS };
  const cases: [string, ReturnType<typeof decideModel>][] = [
    [
      "EV 0.045 a share at the best ask 0.5 below the threshold 0.05",
      decideModel(forecast(0.55), context),
    ],
    [
      "baseline forecast",
      decideModel(forecast(0.9, { modelVersion: null }), context),
    ],
    ["forecast is 120000 ms old", decideModel(forecast(0.9, { instant: AT - 120_000 }), context)],
    [
      "not tradable: market resolved",
      decideModel(forecast(0.9), { ...context, notTradable: "market resolved" }),
    ],
    ["no book", decideModel(forecast(0.9), { ...context, book: null })],
    [
      "silent for 5000 ms",
      decideModel(forecast(0.9), {
        ...context,
        book: book([["0.5", "10"]], { seenAt: AT - 5000 }),
      }),
    ],
    ["no ask", decideModel(forecast(0.9), { ...context, book: book([]) })],
    ["Kelly size rounds to nothing", decideModel(forecast(0.9), { ...context, equity: d("0.1") })],
  ];
  for (const [reason, decision] of cases) {
    assert.equal(decision.action, "decline", reason);
    assert.equal(decision.order, null);
    assert.ok(decision.reason.includes(reason), `${decision.reason} ∌ ${reason}`);
  }
});
