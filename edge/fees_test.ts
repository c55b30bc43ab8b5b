/**
 * The fee formula against real charges. tests/fixtures/polymarket/data-api/v2_positions_2026-10.json
 * (Data API /v2/positions, captured live 2026-10-07) holds two weather-market positions with the
 * venue's own `entry_cost_usdc` and `entry_fees_usdc`. Weather is 0.05 on the fee table
 * (docs.polymarket.com/trading/fees, 2026-09-15). Verified rounding: the fee is charged per
 * fill, on top of price × size, rounded to 5 decimals; floor and half-up agree on these fills,
 * rounding the position's unrounded total half-up does not. These three fills are every real fee
 * amount in the team's recorded payloads (shared/fixtures/polymarket/, searched 2026-12-01): the
 * other trade payloads carry only the legacy `fee_rate_bps` ("0"), never a charge.
 */
import assert from "node:assert/strict";
import { type Dec, formatDec, mulDec, parseDec, ZERO } from "./decimal.ts";
import { parseFee, takerFee } from "./fees.ts";

const positions = JSON.parse(
  await Deno.readTextFile(
    new URL("../tests/fixtures/polymarket/data-api/v2_positions_2026-10.json", import.meta.url),
  ),
) as { data: { current_size: number; entry_cost_usdc: number; entry_fees_usdc: number }[] };
const WEATHER = { rate: "0.05", exponent: 1, takerOnly: true };
const dec = (value: number) => parseDec(String(value));

Deno.test("takerFee() equals the venue's charge on a one-fill position (35.44 @ 0.55)", () => {
  const position = positions.data[1]!;
  const shares = dec(position.current_size);
  // The cost basis is exactly 35.44 × 0.55: one fill, fee paid on top in collateral.
  assert.equal(mulDec(shares, parseDec("0.55")), dec(position.entry_cost_usdc));
  assert.equal(formatDec(takerFee(shares, parseDec("0.55"), WEATHER)), "0.43857");
  assert.equal(takerFee(shares, parseDec("0.55"), WEATHER), dec(position.entry_fees_usdc));
});

Deno.test("takerFee() per fill reproduces a two-fill position, and only one split does", () => {
  const position = positions.data[0]!;
  const size = dec(position.current_size); // 28.09
  const cost = dec(position.entry_cost_usdc); // 18.8202
  const fees = dec(position.entry_fees_usdc); // 0.31053
  const cent = parseDec("0.01");
  const exact = (x: Dec, p: Dec) => x * parseDec("0.05") * p * (parseDec("1") - p); // 1e-32 units
  const roundedUp = (x: Dec, p: Dec) => ((exact(x, p) + 10n ** 27n - 1n) / 10n ** 27n) * 1_000n;
  const matches: string[] = [];
  const matchesRoundedUp: string[] = [];
  // Every split into two fills at 0.01-tick prices with 2-dp sizes that gives this size and cost.
  for (let a = 1n; a < 99n; a++) {
    for (let b = a + 1n; b < 100n; b++) {
      const [pa, pb] = [a * cent, b * cent];
      for (let x = cent; x < size; x += cent) {
        if (mulDec(x, pa) + mulDec(size - x, pb) !== cost) continue;
        const charged = takerFee(x, pa, WEATHER) + takerFee(size - x, pb, WEATHER);
        if (charged === fees) matches.push(`${formatDec(x)}@${formatDec(pa)}+${formatDec(pb)}`);
        if (roundedUp(x, pa) + roundedUp(size - x, pb) === fees) matchesRoundedUp.push(`${x}`);
      }
    }
  }
  assert.deepStrictEqual(matches, ["0.01@0.66+0.67"]);
  // Rounding each fill up reproduces no split: the venue floors or rounds half-up.
  assert.deepStrictEqual(matchesRoundedUp, []);
  // Unrounded, the two fills cost 0.3105366 in fees: half-up on the total would charge 0.31054.
  const total = exact(cent, parseDec("0.66")) + exact(parseDec("28.08"), parseDec("0.67"));
  assert.equal(total, 3105366n * 10n ** 25n);
});

Deno.test("takerFee() charges nothing under 0.00001 and floors to 5 decimals", () => {
  assert.equal(takerFee(parseDec("0.01"), parseDec("0.002"), WEATHER), ZERO);
  // 0.01 × 0.05 × 0.66 × 0.34 = 0.0001122 → 0.00011
  assert.equal(formatDec(takerFee(parseDec("0.01"), parseDec("0.66"), WEATHER)), "0.00011");
  // 1 × 0.05 × 0.53 × 0.47 = 0.012455: floored 0.01245 (half-up would be 0.01246; see
  // docs/relations.md on the fill that would settle which the venue does).
  assert.equal(formatDec(takerFee(parseDec("1"), parseDec("0.53"), WEATHER)), "0.01245");
  // Geopolitics: rate 0, no fee at any price.
  assert.equal(takerFee(parseDec("1000"), parseDec("0.5"), { ...WEATHER, rate: "0" }), ZERO);
});

Deno.test("takerFee() applies the schedule's exponent to p × (1 − p)", () => {
  const fee = takerFee(parseDec("100"), parseDec("0.5"), {
    rate: "0.07",
    exponent: 2,
    takerOnly: true,
  });
  assert.equal(formatDec(fee), "0.4375"); // 100 × 0.07 × 0.25²
});

Deno.test("parseFee() refuses unknown or unpriceable schedules", () => {
  assert.equal(parseFee(null), null);
  assert.equal(parseFee({ rate: "0.05", exponent: 0.5, takerOnly: true }), null);
  assert.equal(parseFee({ rate: "-0.01", exponent: 1, takerOnly: true }), null);
  assert.equal(parseFee({ rate: "abc", exponent: 1, takerOnly: true }), null);
  assert.deepStrictEqual(parseFee({ rate: "0.072", exponent: 1, takerOnly: true }), {
    rate: parseDec("0.072"),
    exponent: 1,
  });
});
