import assert from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { randomSource } from "../edge/_random_books.ts";
import { keccak256 } from "./_keccak256.ts";

Deno.test("keccak256() of the empty string and of a sentence: the published digests", () => {
  assert.equal(
    bytesToHex(keccak256(new Uint8Array(0))),
    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
  );
  assert.equal(
    bytesToHex(keccak256(utf8ToBytes("The quick brown fox jumps over the lazy dog"))),
    "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
  );
});

Deno.test("keccak256() equals noble's keccak_256 on every length 0–700 (seeded bytes)", () => {
  const random = randomSource(256);
  for (let length = 0; length <= 700; length++) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
    assert.equal(bytesToHex(keccak256(bytes)), bytesToHex(keccak_256(bytes)), `length ${length}`);
  }
  // All-ones bytes set every bit of every lane.
  for (const length of [135, 136, 137, 272, 384]) {
    const bytes = new Uint8Array(length).fill(0xff);
    assert.deepEqual(keccak256(bytes), keccak_256(bytes), `0xff × ${length}`);
  }
});

Deno.test("keccak256() writes into the buffer it is given and leaves the input alone", () => {
  const input = utf8ToBytes("abc");
  const out = new Uint8Array(32);
  assert.equal(keccak256(input, out), out);
  assert.deepEqual(out, keccak_256(input));
  assert.equal(new TextDecoder().decode(input), "abc");
});

Deno.test("keccak256() of inputs longer than one call of the module takes (478 blocks)", () => {
  const random = randomSource(478);
  const block = 136;
  for (
    const length of [
      477 * block,
      478 * block - 1,
      478 * block,
      478 * block + 1,
      956 * block + 5,
      200_000,
    ]
  ) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
    assert.equal(bytesToHex(keccak256(bytes)), bytesToHex(keccak_256(bytes)), `length ${length}`);
  }
});
