import assert from "node:assert/strict";
import { brierDifferenceInterval, type PairedForecast } from "./bootstrap.ts";
import { assertClose } from "./_assert_close.ts";
import { seededUniform } from "./_random.ts";

Deno.test("brierDifferenceInterval() computes the point difference by hand", () => {
  const d = brierDifferenceInterval([
    { eventId: "a", model: 0.9, market: 0.7, label: 1 },
    { eventId: "b", model: 0.2, market: 0.4, label: 0 },
  ], { seed: 1, resamples: 200 });
  assertClose(d.difference, (0.01 + 0.04 - 0.09 - 0.16) / 2);
  assert.equal(d.events, 2);
  assert.equal(d.rows, 2);
  assert.ok(d.low <= d.difference && d.difference <= d.high);
});

Deno.test("brierDifferenceInterval() is reproducible by seed and differs across seeds", () => {
  const rows = synthetic(400, 1, 0.1);
  const a = brierDifferenceInterval(rows, { seed: 3, resamples: 300 });
  const b = brierDifferenceInterval(rows, { seed: 3, resamples: 300 });
  const c = brierDifferenceInterval(rows, { seed: 4, resamples: 300 });
  assert.deepEqual(a, b);
  assert.notEqual(a.low, c.low);
});

Deno.test("brierDifferenceInterval() excludes zero for a clearly better model", () => {
  // The model forecasts the true probability; the market is pulled halfway to 0.5.
  const d = brierDifferenceInterval(synthetic(2000, 1, 0), { seed: 1, resamples: 500 });
  assert.ok(d.high < 0, `interval [${d.low}, ${d.high}] should lie below 0`);
});

Deno.test("brierDifferenceInterval() widens when rows cluster in events instead of standing alone", () => {
  // Same 2,000 rows: first as 2,000 events, then as 20 events of 100 rows sharing one outcome.
  const alone = synthetic(2000, 1, 0);
  const clustered = synthetic(2000, 100, 0);
  const a = brierDifferenceInterval(alone, { seed: 1, resamples: 500 });
  const c = brierDifferenceInterval(clustered, { seed: 1, resamples: 500 });
  assert.equal(c.events, 20);
  assert.ok(c.high - c.low > 2 * (a.high - a.low), `${c.high - c.low} vs ${a.high - a.low}`);
});

Deno.test("brierDifferenceInterval() rejects bad input", () => {
  assert.throws(() => brierDifferenceInterval([]), /empty/);
  const row: PairedForecast = { eventId: "a", model: 0.5, market: 0.5, label: 1 };
  assert.throws(() => brierDifferenceInterval([row], { level: 1 }), /Level/);
  assert.throws(() => brierDifferenceInterval([row], { resamples: 0 }), /Resamples/);
});

/** `n` rows in events of `perEvent` rows that share one outcome; market = (q + 0.5) / 2 + shift. */
function synthetic(n: number, perEvent: number, shift: number): PairedForecast[] {
  const next = seededUniform(11);
  const rows: PairedForecast[] = [];
  let q = 0;
  let label: 0 | 1 = 0;
  for (let i = 0; i < n; i++) {
    if (i % perEvent === 0) {
      q = 0.05 + 0.9 * next();
      label = next() < q ? 1 : 0;
    }
    const market = Math.min(1, Math.max(0, (q + 0.5) / 2 + shift));
    rows.push({ eventId: `e${Math.floor(i / perEvent)}`, model: q, market, label });
  }
  return rows;
}
