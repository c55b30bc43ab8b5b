import assert from "node:assert/strict";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { randomSource } from "../edge/_random_books.ts";
import { nativeTest } from "../tests/_native_signing.ts";
import { type NativeSecp256k1, openNativeSecp256k1 } from "./_secp256k1_native.ts";
import { chooseSignBackend, NOBLE_BACKEND } from "./signer_backend.ts";

/** `n` seeded random bytes. */
function bytes(random: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

function openedNative(): NativeSecp256k1 {
  const opened = openNativeSecp256k1();
  if (!opened.ok) throw new Error(opened.reason);
  return opened.native;
}

nativeTest("native and noble give identical signatures for 2,000 seeded keys and digests", () => {
  const native = openedNative();
  try {
    const random = randomSource(29_2026);
    let highRecovery = 0;
    for (let i = 0; i < 2_000; i++) {
      let key = bytes(random, 32);
      while (!secp256k1.utils.isValidSecretKey(key)) key = bytes(random, 32);
      // Some digests at the extremes: all zero, all 0xff (≥ the group order).
      const digest = i === 0
        ? new Uint8Array(32)
        : i === 1
        ? new Uint8Array(32).fill(0xff)
        : bytes(random, 32);
      const ours: Uint8Array = native.sign(digest, key);
      assert.deepEqual(ours, NOBLE_BACKEND.signDigest(digest, key), `key/digest #${i}`);
      if (ours[64] === 28) highRecovery++;
    }
    // Both recovery ids occurred (v = 27 and 28), so v is really carried over.
    assert.ok(highRecovery > 500 && highRecovery < 1_500, `${highRecovery} of 2,000 had v = 28`);
  } finally {
    native.close();
  }
});

nativeTest("native signing refuses wrong lengths and an invalid key, and a closed handle", () => {
  const native = openedNative();
  const key = new Uint8Array(32).fill(7);
  assert.throws(() => native.sign(new Uint8Array(31), key), RangeError);
  assert.throws(() => native.sign(new Uint8Array(32), new Uint8Array(33)), RangeError);
  assert.throws(() => native.sign(new Uint8Array(32), new Uint8Array(32)), /refused/);
  native.close();
  assert.throws(() => native.sign(new Uint8Array(32), key), /closed/);
  native.close(); // twice is harmless
});

Deno.test("a library path that does not exist: not opened, the reason says where it looked", () => {
  const path = "/nonexistent/libsecp256k1.so.1";
  const opened = openNativeSecp256k1({ library: path });
  assert.equal(opened.ok, false);
  assert.ok(!opened.ok && opened.reason.includes(path), JSON.stringify(opened));
  // "auto" signs with noble instead and says why; "native" refuses to pretend.
  const chosen = chooseSignBackend({ backend: "auto", library: path });
  assert.equal(chosen.backend.name, "noble");
  assert.ok(chosen.fallbackReason?.includes(path));
  assert.throws(() => chooseSignBackend({ backend: "native", library: path }), /Cannot sign/);
  assert.equal(chooseSignBackend({ backend: "noble" }).backend, NOBLE_BACKEND);
});

Deno.test("a library that is not libsecp256k1 is not used", () => {
  // libc opens fine but has none of the symbols.
  const opened = openNativeSecp256k1({ library: "libc.so.6" });
  assert.equal(opened.ok, false);
  assert.ok(!opened.ok && opened.reason.includes("libc.so.6"));
});

Deno.test("without the ffi permission the signer falls back to noble", async () => {
  const code = [
    `import { chooseSignBackend } from ${
      JSON.stringify(import.meta.resolve("./signer_backend.ts"))
    };`,
    `const c = chooseSignBackend({ backend: "auto" });`,
    `console.log(JSON.stringify({ name: c.backend.name, reason: c.fallbackReason }));`,
  ].join("\n");
  // `deno run -` reads the program from stdin, with this checkout's deno.json; no --allow-ffi.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", "--lock=deno.test.lock", "-"],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(code));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const line = JSON.parse(new TextDecoder().decode(out.stdout).trim());
  assert.deepEqual(line, { name: "noble", reason: "no ffi permission (--allow-ffi)" });
});
