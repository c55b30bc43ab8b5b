import assert from "node:assert/strict";
import { ceilDiv, divDec, floorDiv, floorTo, formatDec, mulDec, parseDec } from "./decimal.ts";

Deno.test("parseDec() and formatDec() round-trip venue decimals exactly", () => {
  for (const text of ["0.52", "22.84", "0", "1", "0.0001", "-3.5", "12345678.12345678"]) {
    assert.equal(formatDec(parseDec(text)), text);
  }
  assert.equal(formatDec(parseDec(".48")), "0.48");
  assert.equal(formatDec(parseDec("0.500000000000")), "0.5");
});

Deno.test("parseDec() refuses what it cannot hold exactly", () => {
  assert.throws(() => parseDec("0.123456789"), RangeError);
  assert.throws(() => parseDec("1e-5"), RangeError);
  assert.throws(() => parseDec(""), RangeError);
  assert.throws(() => parseDec("."), RangeError);
});

Deno.test("mulDec() is exact for venue products; divisions floor", () => {
  assert.equal(formatDec(mulDec(parseDec("0.52"), parseDec("22.84"))), "11.8768");
  assert.equal(formatDec(divDec(parseDec("1"), parseDec("3"))), "0.33333333");
  assert.equal(floorDiv(-7n, 2n), -4n);
  assert.equal(ceilDiv(7n, 2n), 4n);
  assert.equal(formatDec(floorTo(parseDec("3.337"), parseDec("0.01"))), "3.33");
});
