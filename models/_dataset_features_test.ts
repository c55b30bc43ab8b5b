import assert from "node:assert/strict";
import {
  type Candidate,
  domainOf,
  priceOf,
  type PricePoint,
  realisedVolatility,
  toDatasetRow,
} from "./_dataset_features.ts";
import { type CandidateRecord, candidatesOf } from "./_dataset_candidates.ts";
import { fromStoredJson } from "../db/market_metadata.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const point = (ts: number, bid: number | null, ask: number | null, price: number | null) =>
  ({ ts, price, bestBid: bid, bestAsk: ask, last: 0.11 }) satisfies PricePoint;

Deno.test("priceOf() takes the mid, else Gamma's price, else the last trade", () => {
  assert.equal(priceOf(point(0, 0.4, 0.5, 0.3)), 0.45);
  assert.equal(priceOf(point(0, 0.4, null, 0.3)), 0.3);
  assert.equal(priceOf(point(0, null, null, null)), 0.11);
  assert.equal(priceOf(null), null);
});

Deno.test("realisedVolatility() scales each difference by its span and skips missing points", () => {
  const v = realisedVolatility([
    { at: 0, p: 0.5 },
    { at: DAY, p: 0.4 },
    { at: 3 * DAY, p: null },
    { at: 5 * DAY, p: 0.6 },
    { at: 7 * DAY, p: 0.8 },
  ]);
  // (0.1² / 1 + 0.2² / 2) / 2
  assert.ok(Math.abs(v - Math.sqrt((0.01 + 0.02) / 2)) < 1e-15);
  assert.ok(Number.isNaN(realisedVolatility([{ at: 0, p: 0.5 }, { at: DAY, p: null }])));
});

Deno.test("domainOf() reads only what the metadata says", () => {
  const meta = (json: Record<string, unknown>) => fromStoredJson(json);
  assert.equal(domainOf(null), "other");
  assert.equal(domainOf(meta({ game_id: "g1" })), "sports");
  assert.equal(domainOf(meta({ fee_type: "sports_fees_v2" })), "sports");
  assert.equal(domainOf(meta({ fee_type: "crypto_fees" })), "crypto");
  assert.equal(domainOf(meta({ fee_rate: "0.04" })), "other");
});

Deno.test("toDatasetRow() leaves a market without a price out and marks the unknown as NaN", () => {
  const candidate: Candidate = {
    marketId: "1",
    eventId: "7",
    yesToken: "a",
    noToken: "b",
    groupKey: null,
    category: null,
    resolvedAt: 10 * DAY,
    endAt: 10 * DAY,
    label: 1,
  };
  const base = {
    candidate,
    horizon: "24h",
    instant: 9 * DAY,
    book: null,
    trades: { countShort: 0, notionalShort: 0, countLong: 0, notionalLong: 0 },
    metadata: null,
    group: [],
  };
  assert.equal(toDatasetRow({ ...base, prices: new Array(8).fill(null) }), null);
  const prices = [point(9 * DAY - 2 * HOUR, 0.6, 0.64, 0.6), ...new Array(7).fill(null)];
  const row = toDatasetRow({ ...base, prices })!;
  assert.equal(row.price, 0.62);
  assert.equal(row.negRiskGroupSize, 1);
  assert.equal(row.features.priceAgeHours, 2);
  assert.equal(row.features.horizonHours, 24);
  assert.equal(row.features.groupPriceSum, 0.62);
  for (const name of ["momentum1h", "volatility24h", "logDepthUsd", "feeRate", "timeToEndHours"]) {
    assert.ok(Number.isNaN(row.features[name]), name);
  }
});

Deno.test("candidatesOf() counts voided, non-binary and unknown-winner markets", () => {
  const r = (over: Partial<CandidateRecord>): CandidateRecord => ({
    market_id: "1",
    event_id: "7",
    group_key: null,
    category: null,
    status: "resolved",
    winner_token_id: "a",
    tokens: 2,
    yes_token: "a",
    no_token: "b",
    resolved_ms: 100,
    closed_ms: 40,
    ...over,
  });
  const scan = candidatesOf([
    r({}),
    r({ market_id: "2", winner_token_id: "b", closed_ms: null }),
    r({ status: "ambiguous", winner_token_id: null }),
    r({ tokens: 3 }),
    r({ winner_token_id: "z" }),
  ]);
  assert.deepEqual(scan.excluded, { voided: 1, notBinary: 1, unknownWinner: 1 });
  assert.deepEqual(scan.candidates.map((c) => [c.marketId, c.label, c.endAt]), [
    ["1", 1, 40],
    ["2", 0, 100],
  ]);
});
