import assert from "node:assert/strict";
import { storedPrice, storedSize } from "./book_events.ts";

Deno.test("storedPrice() counts 10^-4 exactly, and refuses a finer or too large price", () => {
  assert.equal(storedPrice("0.5"), 5000);
  assert.equal(storedPrice("0.0001"), 1);
  assert.equal(storedPrice("1"), 10000);
  assert.equal(storedPrice("0"), 0);
  assert.equal(storedPrice("0.00015"), null);
  assert.equal(storedPrice("0.1234567"), null);
  assert.equal(storedPrice("2147.4836"), 21474836);
  assert.equal(storedPrice("2147.4837"), null);
  assert.equal(storedPrice("0.50"), null); // not canonical: kept verbatim
});

Deno.test("storedSize() counts hundredths exactly, long sizes included, and refuses finer ones", () => {
  assert.equal(storedSize("100"), "10000");
  assert.equal(storedSize("1.5"), "150");
  assert.equal(storedSize("0.01"), "1");
  assert.equal(storedSize("0"), "0");
  assert.equal(storedSize("1.234"), null);
  assert.equal(storedSize("69.69697"), null);
  // Beyond 2^53 micro: the text path.
  assert.equal(storedSize("1234567890123.45"), "123456789012345");
  assert.equal(storedSize("1234567890123.456"), null);
  assert.equal(storedSize("9223372036854.77"), "922337203685477");
  assert.equal(storedSize("9223372036855"), null);
});
