import assert from "node:assert/strict";
import { copyField } from "./_copy.ts";
import { CopyBuffer } from "./_copy_buffer.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("CopyBuffer.uint() writes the digits String() gives, on both sides of 2^31", () => {
  const values = [0, 7, 9, 10, 99, 100, 520000, 2 ** 31 - 1, 2 ** 31, 12345500000];
  values.push(999_999_999_999_999, Number.MAX_SAFE_INTEGER);
  for (const n of values) {
    const out = new CopyBuffer();
    out.uint(n);
    assert.equal(text(out.take()), String(n));
  }
});

Deno.test("CopyBuffer writes a line as copyField() would, specials escaped and UTF-8", () => {
  const odd = "tab\there\\back\nline\rcr, naïve 😀";
  const out = new CopyBuffer();
  out.ascii("2026-11-25T10:00:00.000Z");
  out.tab();
  out.uint(42);
  out.tab();
  out.field(odd);
  out.tab();
  out.field(null);
  out.tab();
  out.nil();
  out.line();
  assert.equal(
    text(out.take()),
    `2026-11-25T10:00:00.000Z\t42\t${copyField(odd)}\t\\N\t\\N\n`,
  );
  assert.equal(out.length, 0, "take() starts a new chunk");
});

Deno.test("CopyBuffer is full at its chunk size, and a longer line grows the chunk", () => {
  const out = new CopyBuffer(16);
  out.ascii("0123456789");
  assert.equal(out.full, false);
  out.ascii("012345");
  assert.equal(out.full, true);
  assert.equal(text(out.take()), "0123456789012345");
  const long = "é".repeat(5000);
  out.field(long);
  out.line();
  assert.equal(text(out.take()), `${long}\n`);
});
