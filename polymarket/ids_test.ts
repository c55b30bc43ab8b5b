import assert from "node:assert/strict";
import { decimalSchema, isStorableText, parseDecimal } from "./ids.ts";

Deno.test("parseDecimal() keeps decimals within 80 integer and 80 fraction digits", () => {
  assert.equal(parseDecimal(".48"), "0.48");
  assert.equal(parseDecimal("0001.2500"), "1.25");
  assert.equal(
    parseDecimal("9".repeat(80) + "." + "1".repeat(80)),
    "9".repeat(80) + "." + "1".repeat(80),
  );
  // Zeros that canonicalise away do not count.
  assert.equal(parseDecimal("0".repeat(100) + "1." + "0".repeat(100)), "1");
});

Deno.test("parseDecimal() rejects a 200,000-digit size and fractions past the bound", () => {
  assert.equal(parseDecimal("9".repeat(200_000)), null);
  assert.equal(parseDecimal("9".repeat(81)), null);
  assert.equal(parseDecimal("0." + "1".repeat(81)), null);
  assert.equal(decimalSchema.safeParse("9".repeat(200_000)).success, false);
  assert.equal(decimalSchema.safeParse("12.5").success, true);
});

Deno.test("isStorableText() refuses NUL, other control characters and overlong text", () => {
  assert.equal(isStorableText("0x" + "ab".repeat(32)), true);
  assert.equal(isStorableText("Will it rain?\nRules:\tyes\r\n"), true);
  assert.equal(isStorableText("0xab\u0000cd"), false);
  assert.equal(isStorableText("a\u001bb"), false);
  assert.equal(isStorableText("a\u007fb"), false);
  assert.equal(isStorableText("x".repeat(4097)), false);
  assert.equal(isStorableText("x".repeat(10), 9), false);
});
