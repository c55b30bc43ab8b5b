import assert from "node:assert/strict";
import {
  buyEv,
  cappedKelly,
  feeAt,
  forecastTokens,
  INTERVAL_Z,
  KELLY_CAP,
  nearestHorizon,
  wilsonInterval,
} from "./forecast.ts";
import { assertClose } from "./_assert_close.ts";

const FEE = { rate: 0.05, exponent: 1 };

Deno.test("forecastTokens() gives each token its EV after the taker fee and a quarter Kelly", () => {
  const [yes, no] = forecastTokens({
    marketId: "1",
    yesTokenId: "11",
    noTokenId: "12",
    price: 0.5,
    probability: 0.6,
    low: 0.55,
    high: 0.65,
    yesAsk: 0.52,
    noAsk: 0.5,
    noAskMirrored: false,
    fee: FEE,
  });
  // YES: fee per share 0.05 × 0.52 × 0.48 = 0.01248; EV 0.6 − 0.52 − 0.01248.
  assertClose(yes.evPerShare!, 0.06752, 1e-12);
  // Cost 0.53248 per share paying 1: full Kelly 0.06752 / 0.46752, a quarter of it.
  assertClose(yes.kelly!, 0.25 * 0.06752 / 0.46752, 1e-12);
  assert.equal(yes.outcomeIndex, 0);
  // NO: probability 0.4, price 0.5, interval [0.35, 0.45]; EV 0.4 − 0.5 − 0.0125 < 0, no stake.
  assertClose(no.probability, 0.4, 1e-12);
  assertClose(no.price, 0.5, 1e-12);
  assertClose(no.low!, 0.35, 1e-12);
  assertClose(no.high!, 0.45, 1e-12);
  assertClose(no.evPerShare!, -0.1125, 1e-12);
  assert.equal(no.kelly, 0);
  assert.equal(no.askSource, "book");
});

Deno.test("cappedKelly() never suggests more than the cap, and nothing without an edge", () => {
  // Full Kelly (0.9 − 0.5) / 0.5 = 0.8; a quarter is 0.2, over the cap.
  assert.equal(cappedKelly(0.9, 0.5, { rate: 0, exponent: 1 }), KELLY_CAP);
  // An edge the fee eats: 0.51 − 0.5 − 0.0125 < 0.
  assert.ok(buyEv(0.51, 0.5, FEE) < 0);
  assert.equal(cappedKelly(0.51, 0.5, FEE), 0);
  assertClose(feeAt(0.5, { rate: 0.1, exponent: 2 }), 0.1 * 0.0625, 1e-15);
});

Deno.test("forecastTokens() gives no EV without a fee schedule or an ask, and labels a mirrored ask", () => {
  const base = {
    marketId: "1",
    yesTokenId: "11",
    noTokenId: "12",
    price: 0.3,
    probability: 0.3,
    low: null,
    high: null,
    yesAsk: 0.31,
    noAsk: 0.71,
    noAskMirrored: true,
  };
  const [yes, no] = forecastTokens({ ...base, fee: null });
  assert.equal(yes.evPerShare, null);
  assert.equal(yes.kelly, null);
  assert.equal(no.askSource, "mirror");
  const [noAsk] = forecastTokens({ ...base, yesAsk: null, fee: FEE });
  assert.equal(noAsk.askSource, "none");
  assert.equal(noAsk.evPerShare, null);
  assert.equal(noAsk.low, null);
});

Deno.test("wilsonInterval() bounds are the roots of (p − x)² = z² x(1 − x) / n", () => {
  for (const [p, n] of [[0.5, 100], [0.62, 40], [0.03, 900], [0, 12]] as const) {
    const interval = wilsonInterval(p, n)!;
    for (const x of [interval.low, interval.high]) {
      assertClose((p - x) ** 2, INTERVAL_Z ** 2 * x * (1 - x) / n, 1e-12);
    }
    assert.ok(interval.low <= p + 1e-12 && p <= interval.high);
  }
  assertClose(wilsonInterval(0.5, 100)!.low, 0.40383, 1e-5);
  assert.equal(wilsonInterval(0.5, 0), null);
});

Deno.test("nearestHorizon() takes the horizon nearest in log time", () => {
  const hs = [{ label: "1h", ms: 3_600_000 }, { label: "24h", ms: 86_400_000 }, {
    label: "7d",
    ms: 604_800_000,
  }];
  assert.equal(nearestHorizon(hs, 30 * 3_600_000).label, "24h");
  assert.equal(nearestHorizon(hs, 72 * 3_600_000).label, "7d");
  assert.equal(nearestHorizon(hs, 4 * 3_600_000).label, "1h");
  assert.equal(nearestHorizon(hs, -5).label, "1h");
  assert.equal(nearestHorizon(hs, null).label, "7d");
  assert.throws(() => nearestHorizon([], 1), RangeError);
});
