/**
 * The column helpers of `db/_columns.ts` that the dataset's queries send and read: `numberCol`
 * (a numeric array literal) and `parseNumberList` (the comma fields `string_agg` returns).
 */
import assert from "node:assert/strict";
import { col, numberCol, parseNumberList } from "../db/_columns.ts";
import { withDatabase } from "./_db.ts";

Deno.test("numberCol writes the literal col writes, and refuses what has none", () => {
  const rows = [{ v: 0 }, { v: -3 }, { v: 1_795_131_000_123 }, { v: 0.5 }, { v: 2 ** 53 - 1 }];
  assert.equal(numberCol(rows, (r) => r.v), col(rows, (r) => r.v));
  assert.equal(numberCol([], (r: number) => r), "{}");
  assert.throws(() => numberCol([1, NaN], (r) => r), RangeError);
  assert.throws(() => numberCol([Infinity], (r) => r), RangeError);
});

Deno.test("parseNumberList reads integers, empty fields, decimals and large values", () => {
  assert.deepEqual(parseNumberList(null), []);
  assert.deepEqual(parseNumberList(""), [null]);
  assert.deepEqual(parseNumberList("1,,3"), [1, null, 3]);
  assert.deepEqual(parseNumberList(",7,"), [null, 7, null]);
  assert.deepEqual(parseNumberList("-42,0,-0"), [-42, 0, -0]);
  // Unix µs of 2026: 16 digits, still exact digit by digit.
  assert.deepEqual(parseNumberList("1795131000123456"), [1_795_131_000_123_456]);
  assert.deepEqual(parseNumberList("9007199254740991"), [Number.MAX_SAFE_INTEGER]);
  // Beyond 2⁵³ − 1 (or past a double's digits) the text's own nearest double, as Number does.
  for (const text of ["9007199254740993", "-12345678901234567890", "123456789012345678901234"]) {
    assert.deepEqual(parseNumberList(text), [Number(text)]);
  }
  assert.deepEqual(parseNumberList("0.52,-0.000001,1e-7,12.5"), [0.52, -0.000001, 1e-7, 12.5]);
  assert.throws(() => parseNumberList("1,abc"), /Not a number in a list: "abc"/);
  assert.throws(() => parseNumberList("-"), RangeError);
});

Deno.test("parseNumberList gives back what a random list of integers and nulls was", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const values = Array.from({ length: Math.floor(next() * 40) + 1 }, () => {
      const r = next();
      if (r < 0.15) return null;
      const magnitude = Math.floor(next() * 2 ** 53 / 10 ** Math.floor(next() * 16));
      return r < 0.3 && magnitude !== 0 ? -magnitude : magnitude;
    });
    const text = values.map((v) => v === null ? "" : String(v)).join(",");
    assert.deepEqual(parseNumberList(text), values);
  }
});

Deno.test("parseNumberList reads string_agg's own text of int4, int8 and numeric", async () => {
  await withDatabase("server", async ({ sql }) => {
    const [row] = await sql<{ i: string; us: string; n: string }[]>`
      select string_agg(coalesce(i::text, ''), ',') as i, string_agg(coalesce(us::text, ''), ',') as us,
        string_agg(coalesce(n::text, ''), ',') as n
      from (values (1::int4, 1795131000123456::int8, 0.520000::numeric),
                   (null, -9223372036854775807, null), (-2147483648, null, -123456789.123456)) v(i, us, n)`;
    assert.deepEqual(parseNumberList(row!.i), [1, null, -2147483648]);
    assert.deepEqual(parseNumberList(row!.us), [1_795_131_000_123_456, -9223372036854775807, null]);
    assert.deepEqual(parseNumberList(row!.n), [0.52, null, -123456789.123456]);
  });
});
