import assert from "node:assert/strict";
import { Random } from "./_random.ts";
import { drawHiddenPath } from "./hidden_path.ts";
import { ClosedHistory, type HistoryMarket } from "./history.ts";
import { distort, HISTORY_DOMAINS, type HistoryDomain, undistort } from "./price_distortion.ts";

const NOW = Date.UTC(2026, 11, 1, 13, 7);

/** One sample per binary market: a random grid instant of its life. */
interface Sample {
  domain: HistoryDomain;
  /** Hidden probability the quote was made from (at t − lag). */
  lagged: number;
  quote: number;
  tick: number;
  y: number;
}

function samples(count: number, seed: number): Sample[] {
  const h = new ClosedHistory({ count, seed, now: NOW });
  const r = new Random(seed ^ 0x5a5a);
  const out: Sample[] = [];
  for (let i = 0; i < h.count; i++) {
    const m = h.market(i);
    if (m.negRiskMarketId !== "") continue; // members of one event are not independent
    const s = h.series(i);
    const k = r.int(m.steps + 1);
    out.push({
      domain: m.domain,
      lagged: s.hidden[Math.max(0, k - m.lagSteps)],
      quote: s.quoteUnits[k] / 10_000,
      tick: m.tickUnits / 10_000,
      y: m.yesWon ? 1 : 0,
    });
  }
  return out;
}

const SAMPLES = samples(12_000, 11);

/**
 * Calibration test: sorts `rows` by `x` into 20 equal-mass bins and sums, over the bins, the
 * squared gap between the outcome frequency and the mean prediction, each gap first reduced by
 * the bin's mean `slack` (a documented rounding bound) and divided by the frequency's variance
 * if the predictions were right (Poisson-binomial: Σ p(1 − p) / n²). Under calibration the sum
 * is at most χ²(20); the test fails above its 1 − 10⁻⁴ quantile (Wilson–Hilferty), so nothing
 * is tuned to the data.
 */
function assertCalibrated(
  rows: Sample[],
  o: { x: (s: Sample) => number; predict: (s: Sample) => number; slack?: (s: Sample) => number },
): void {
  const bins = 20;
  const sorted = [...rows].sort((a, b) => o.x(a) - o.x(b));
  let chi2 = 0;
  const lines: string[] = [];
  for (let b = 0; b < bins; b++) {
    const bin = sorted.slice(
      Math.floor(b * sorted.length / bins),
      Math.floor((b + 1) * sorted.length / bins),
    );
    const n = bin.length;
    const freq = bin.reduce((a, s) => a + s.y, 0) / n;
    const mean = bin.reduce((a, s) => a + o.predict(s), 0) / n;
    const variance = bin.reduce((a, s) => a + o.predict(s) * (1 - o.predict(s)), 0) / n / n;
    const slack = bin.reduce((a, s) => a + (o.slack?.(s) ?? 0), 0) / n;
    const gap = Math.max(0, Math.abs(freq - mean) - slack);
    chi2 += gap * gap / Math.max(variance, 1e-12);
    lines.push(`${mean.toFixed(3)}→${freq.toFixed(3)}`);
  }
  const z = 3.719; // one-sided 1 − 10⁻⁴
  const limit = bins * (1 - 2 / (9 * bins) + z * Math.sqrt(2 / (9 * bins))) ** 3;
  assert.ok(chi2 <= limit, `χ² ${chi2.toFixed(1)} > ${limit.toFixed(1)}; bins ${lines.join(" ")}`);
}

/** How far D⁻¹ of the unrounded quote can be from D⁻¹ of the rounded one (clamp included). */
function roundingBound(s: Sample): number {
  const lo = s.quote <= s.tick + 1e-9 ? 0 : undistort(s.domain, s.quote - s.tick / 2);
  const hi = s.quote >= 1 - s.tick - 1e-9 ? 1 : undistort(s.domain, s.quote + s.tick / 2);
  const mid = undistort(s.domain, s.quote);
  return Math.max(hi - mid, mid - lo);
}

/** Frequency minus mean quote over `rows`, in standard deviations of a calibrated quote. */
function zOfQuote(rows: Sample[]): number {
  const n = rows.length;
  const freq = rows.reduce((a, s) => a + s.y, 0) / n;
  const mean = rows.reduce((a, s) => a + s.quote, 0) / n;
  const sd = Math.sqrt(rows.reduce((a, s) => a + s.quote * (1 - s.quote), 0)) / n;
  return (freq - mean) / sd;
}

Deno.test("ClosedHistory is the same for the same seed and different for another", () => {
  const a = new ClosedHistory({ count: 300, seed: 5, now: NOW });
  const b = new ClosedHistory({ count: 300, seed: 5, now: NOW + 3_600_000 }); // same day
  const c = new ClosedHistory({ count: 300, seed: 6, now: NOW });
  for (const i of [0, 1, 2, 3, 77, 299]) {
    assert.deepEqual(a.market(i), b.market(i));
    assert.deepEqual(a.series(i), b.series(i));
  }
  assert.notDeepEqual(a.market(3).tokenIds, c.market(3).tokenIds);
  assert.notDeepEqual([...a.series(3).hidden], [...c.series(3).hidden]);
});

Deno.test("ClosedHistory finds its markets by id, token, condition id and event id", () => {
  const h = new ClosedHistory({ count: 500, seed: 2, now: NOW });
  for (const i of [0, 5, 250, 499]) {
    const m = h.market(i);
    assert.equal(h.indexOfId(m.id), i);
    assert.deepEqual(h.token(m.tokenIds[1]), { index: i, outcome: 1 });
    assert.equal(h.indexOfCondition(m.conditionId), i);
    assert.equal(h.eventIndexOfId(m.eventId), m.eventIndex);
  }
  assert.equal(h.indexOfId("10500"), null);
  assert.equal(h.indexOfId("9999"), null);
  assert.equal(h.indexOfId("010005"), null);
  assert.equal(h.token("1".repeat(77)), null);
  assert.throws(() => h.market(500), RangeError);
  assert.throws(() => new ClosedHistory({ count: -1, seed: 1, now: NOW }), RangeError);
});

Deno.test("ClosedHistory places every market's life and resolution before the anchor", () => {
  const h = new ClosedHistory({ count: 400, seed: 3, now: NOW });
  const domains = new Set<string>();
  for (let i = 0; i < h.count; i++) {
    const m: HistoryMarket = h.market(i);
    domains.add(m.domain);
    assert.ok(m.startMs < m.endMs && m.endMs < m.closedMs && m.closedMs < h.anchorMs);
    assert.equal(m.endMs - m.startMs, m.steps * m.stepMinutes * 60_000);
  }
  assert.deepEqual([...domains].sort(), [...HISTORY_DOMAINS].sort());
});

Deno.test("a neg-risk group's hidden probabilities sum to 1 and exactly one member wins", () => {
  const h = new ClosedHistory({ count: 400, seed: 4, now: NOW });
  let groups = 0;
  let leads = 0;
  for (let i = 0; i < h.count; i++) {
    const e = h.eventAt(i);
    if (e === null || !e.negRisk) continue;
    groups++;
    const members = e.memberIndexes.map((j) => h.market(j));
    assert.ok(members.length >= 3 && members.length <= 4);
    assert.ok(members.every((m) => m.negRiskMarketId === e.negRiskMarketId));
    assert.equal(members.filter((m) => m.yesWon).length, 1);
    const paths = e.memberIndexes.map((j) => h.series(j).hidden);
    for (let k = 0; k < paths[0].length; k++) {
      const sum = paths.reduce((a, p) => a + p[k], 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum} at step ${k} of event ${e.id}`);
    }
    const winner = members.findIndex((m) => m.yesWon);
    if (paths.every((p, j) => j === winner || p.at(-1)! < paths[winner].at(-1)!)) leads++;
  }
  assert.ok(groups >= 10, `only ${groups} groups`);
  // The path ends near its outcome: an upset in the last step is possible, not common.
  assert.ok(leads >= 0.8 * groups, `the winner leads at the end in ${leads} of ${groups}`);
});

Deno.test("drawHiddenPath rejects a prior that is not a distribution", () => {
  const r = new Random(1);
  assert.throws(() => drawHiddenPath(r, { prior: [0.5, 0.6], steps: 3, information: 1 }));
  assert.throws(() => drawHiddenPath(r, { prior: [1], steps: 3, information: 1 }));
  assert.throws(() => drawHiddenPath(r, { prior: [0.5, 0.5], steps: 0, information: 1 }));
});

Deno.test("the hidden path is calibrated: outcome frequency ≈ hidden p in every bin", () => {
  assertCalibrated(SAMPLES, { x: (s) => s.lagged, predict: (s) => s.lagged });
});

Deno.test("the control domain's quotes are calibrated", () => {
  const rows = SAMPLES.filter((s) => s.domain === "crypto");
  assertCalibrated(rows, {
    x: (s) => s.quote,
    predict: (s) => s.quote,
    slack: roundingBound,
  });
});

Deno.test("politics quotes are underconfident exactly as documented", () => {
  const rows = SAMPLES.filter((s) => s.domain === "politics");
  assertCalibrated(rows, {
    x: (s) => s.quote,
    predict: (s) => undistort("politics", s.quote),
    slack: roundingBound,
  });
  // Read at face value, the quotes are pulled toward 50% in the middle of the range.
  assert.ok(zOfQuote(rows.filter((s) => s.quote >= 0.6 && s.quote < 0.95)) > 4);
  assert.ok(zOfQuote(rows.filter((s) => s.quote > 0.05 && s.quote < 0.4)) < -4);
  assert.ok(Math.abs(distort("politics", 0.9) - 0.789) < 0.001);
});

Deno.test("sports quotes carry the documented favourite–longshot bias", () => {
  const rows = SAMPLES.filter((s) => s.domain === "sports");
  assertCalibrated(rows, {
    x: (s) => s.quote,
    predict: (s) => undistort("sports", s.quote),
    slack: roundingBound,
  });
  // Longshots are overpriced and favourites underpriced; the middle is nearly fair.
  assert.ok(zOfQuote(rows.filter((s) => s.quote < 0.15)) < -4);
  assert.ok(zOfQuote(rows.filter((s) => s.quote > 0.85)) > 4);
});
