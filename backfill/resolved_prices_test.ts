import assert from "node:assert/strict";
import { fidelityFor, servedFidelity } from "./resolved_prices.ts";
import { estimateResolved } from "./resolved.ts";
import { DEFAULT_BUDGETS } from "../polymarket/rate_limiter.ts";

const MIN = 60_000;

Deno.test("servedFidelity() reads the spacing the venue served, not the one asked for", () => {
  assert.equal(servedFidelity([], 60), null);
  assert.equal(servedFidelity([0], 60), null);
  // One point per hour bucket from a 40-minute grid: spacings of 40 and 80 minutes are "60".
  assert.equal(servedFidelity([0, 40, 120, 160, 240, 280].map((m) => m * MIN), 60), 60);
  // 12-hour points when an hour was asked: coarse, by the median spacing.
  assert.equal(servedFidelity([0, 720, 1440, 2160, 2900].map((m) => m * MIN), 60), 720);
});

Deno.test("fidelityFor() raises the fidelity so a long life fits in one answer", () => {
  const token = (days: number) => ({
    tokenId: "1",
    marketId: "2",
    startAt: new Date(0),
    endAt: new Date(days * 86_400_000),
    closedAt: null,
  });
  assert.equal(fidelityFor(token(30), 60), 60);
  // 400 days = 576,000 minutes: at most 4,000 points ⇒ 144 minutes.
  assert.equal(fidelityFor(token(400), 60), 144);
  assert.equal(fidelityFor({ ...token(1), startAt: null }, 5), 5);
});

Deno.test("estimateResolved() adds the listing to the price requests under their budgets", () => {
  const e = estimateResolved(
    { pages: 3, requests: 3, markets: 1200, tokens: 2400, rows: 0, tokensDone: 400 },
    { budgets: DEFAULT_BUDGETS, concurrency: 4, latencyMs: 0 },
  );
  assert.deepEqual(
    [e.listingRequests, e.eventRequests, e.priceRequests],
    [3, 12, 2000],
  );
  // 2,000 history requests at 1,000 per 10 s: one full window; the listing fits in its first.
  assert.equal(e.durationMs, 10_000);
});
