import assert from "node:assert/strict";
import {
  decimalOfMicro,
  decimalOfMicroNumber,
  INT4_MAX,
  INT8_MAX,
  microNumber,
  MicroRow,
  microText,
  scaledAmount,
} from "./_micro.ts";

Deno.test("microText() round-trips every decimal of up to 6 places exactly", () => {
  for (const v of ["0", "1", "0.52", "0.000001", "0.0105", "2147.483647", "15.123456", "100"]) {
    const micro = microText(v, INT4_MAX);
    assert.notEqual(micro, null, v);
    assert.equal(decimalOfMicro(micro!), v);
  }
  assert.equal(microText("0.52", INT4_MAX), "520000");
  assert.equal(microText("9223372036854.775807", INT8_MAX), "9223372036854775807");
});

Deno.test("microText() refuses what it cannot give back exactly", () => {
  for (const v of ["0.0000001", "0.50", "00.5", "-1", "1e-7", ".5", "2147.483648", ""]) {
    assert.equal(microText(v, INT4_MAX), null, v);
  }
  assert.equal(microText("9223372036854.775808", INT8_MAX), null);
  assert.equal(microText("25072.141289999992", INT8_MAX), null);
});

Deno.test("MicroRow keeps the values that do not fit verbatim, and only those", () => {
  const enc = new MicroRow();
  assert.equal(enc.price("price", "0.5843311669077693146635445446077281"), null);
  assert.equal(enc.size("liquidity", "20328.3747"), "20328374700");
  assert.equal(enc.price("best_bid", null), null);
  assert.deepEqual(JSON.parse(enc.exactJson()!), {
    price: "0.5843311669077693146635445446077281",
  });
  enc.reset();
  assert.equal(enc.price("price", "0.5"), "500000");
  assert.equal(enc.exactJson(), null);
});

Deno.test("microText() agrees with exact BigInt arithmetic on many decimals", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20_000; i++) {
    const int = String(Math.floor(next() * 10 ** Math.floor(next() * 14)));
    const places = Math.floor(next() * 9);
    const frac = String(Math.floor(next() * 10 ** places)).padStart(places, "0");
    const text = places === 0 ? int : `${int}.${frac}`;
    const canonical = !(places > 0 && frac.endsWith("0"));
    const scaled = BigInt(int) * 1_000_000n +
      (places <= 6 ? BigInt((frac || "0").padEnd(6, "0")) : 0n);
    const expected = canonical && places <= 6 && scaled <= BigInt(INT8_MAX) ? String(scaled) : null;
    assert.equal(microText(text, INT8_MAX), expected, text);
    const number = microNumber(text, Number(INT8_MAX));
    if (number !== undefined) assert.equal(number === null ? null : String(number), expected, text);
    const small = microNumber(text, Number(INT4_MAX));
    if (small !== undefined) {
      assert.equal(small === null ? null : String(small), microText(text, INT4_MAX), text);
    }
    if (expected !== null) assert.equal(decimalOfMicro(expected), text);
  }
});

Deno.test("scaledAmount() keeps Gamma's float noise as an exact integer and scale", () => {
  assert.deepEqual(scaledAmount("25072.141289999992"), ["25072141289999992", 12]);
  assert.deepEqual(scaledAmount("0.0000001"), ["1", 7]);
  assert.equal(scaledAmount("0.52"), null); // micro applies
  assert.equal(scaledAmount("0.5843311669077693146635445446077281"), null); // 34 decimals
  assert.equal(scaledAmount("25072.1412899999920"), null); // not canonical
  assert.equal(scaledAmount("92233720368.547758071"), null); // beyond int8
});

Deno.test("decimalOfMicroNumber() agrees with decimalOfMicro() on 20,000 safe integers", () => {
  const values = [0, 1, 9, 10, 999_999, 1_000_000, 1_000_001, 1_230_000, 120_500_000, 2 ** 53 - 1];
  for (let k = 0; k < 100; k++) values.push(k * 10_000, 7_000_000 + k * 10_000);
  let seed = 11;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    values.push(seed % 3 === 0 ? seed * 1000 : seed % 3 === 1 ? seed * 10_000 : seed);
  }
  for (const v of values) {
    assert.equal(decimalOfMicroNumber(v), decimalOfMicro(String(v)), String(v));
  }
});
