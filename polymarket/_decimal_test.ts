import assert from "node:assert/strict";
import { compareDecimal, midDecimal, subtractDecimal, sumDecimals } from "./_decimal.ts";
import type { DecimalString } from "./ids.ts";
import { parseGammaEventsPage } from "./gamma_event_schema.ts";

const d = (s: string) => s as DecimalString;
const id = (x: DecimalString) => x;

Deno.test("compareDecimal() orders short and very long decimals exactly", () => {
  assert.ok(compareDecimal(d("0.48"), d("0.5")) < 0);
  assert.equal(compareDecimal(d("0.5"), d("0.5")), 0);
  const a = d("0.5843311669077693146635445446077281");
  const b = d("0.5843311669077693146635445446077282");
  assert.ok(compareDecimal(a, b) < 0);
});

Deno.test("sumDecimals() is exact on book sizes and falls back to bigint for long values", () => {
  assert.equal(sumDecimals([d("0.1"), d("0.2")], id), "0.3");
  assert.equal(sumDecimals([d("3149725.72"), d("70281.2")], id), "3220006.92");
  assert.equal(sumDecimals([], id), "0");
  assert.equal(
    sumDecimals([
      d("0.5843311669077693146635445446077281"),
      d("0.4156688330922306853364554553922719"),
    ], id),
    "1",
  );
});

Deno.test("midDecimal() and subtractDecimal() keep full precision", () => {
  assert.equal(midDecimal(d("0.5"), d("0.52")), "0.51");
  assert.equal(midDecimal(d("0.001"), d("0.002")), "0.0015");
  assert.equal(subtractDecimal(d("0.52"), d("0.5")), "0.02");
  assert.equal(subtractDecimal(d("0.4"), d("0.5")), "-0.1");
});

/** The two `outcomePrices` of a 2021 Gamma event (issue 25): 40 fraction digits each. */
const LEGACY_40 = new URL(
  "../tests/fixtures/polymarket/gamma/events_legacy_40_digit_prices_2021_edited.json",
  import.meta.url,
);

Deno.test("parseGammaEventsPage() keeps a 2021 event's 40-digit outcomePrices exactly", async () => {
  const raw = JSON.parse(await Deno.readTextFile(LEGACY_40));
  const page = parseGammaEventsPage(raw, new Date(0));
  assert.deepEqual(page.rejects, []);
  const prices = page.items[0]!.markets[0]!.outcomePrices;
  assert.deepEqual(prices, [
    "0.5843311669077693146635445446077281349217",
    "0.4156688330922306853364554553922718650783",
  ]);
  assert.equal(prices[0]!.length - 2, 40);
  // Exact arithmetic on them: they sum to 1 and differ in the 40th digit from their neighbours.
  assert.equal(sumDecimals(prices, id), "1");
  assert.ok(compareDecimal(prices[0]!, d("0.5843311669077693146635445446077281349218")) < 0);
  assert.equal(
    subtractDecimal(prices[0]!, prices[1]!),
    "0.1686623338155386293270890892154562698434",
  );
});
