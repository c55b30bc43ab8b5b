import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
// Test-only: imported by full specifier, not through deno.json (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import { createL2Headers } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { SecretKey } from "../keys/age_key.ts";
import { l2Headers, type L2Request } from "./l2_headers.ts";

const KEY = `0x${"4d".repeat(32)}` as const;
const account = privateKeyToAccount(KEY);
const wallet = createWalletClient({ account, transport: http("http://127.0.0.1:9") });

/** Deterministic pseudo-random bytes, as base64url without padding (as the venue issues). */
function secretText(seed: number, length: number): string {
  const bytes = Uint8Array.from({ length }, (_, i) => (seed * 131 + i * 197 + 7) % 256);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

const REQUESTS: readonly L2Request[] = [
  { method: "GET", requestPath: "/data/orders" },
  { method: "DELETE", requestPath: "/cancel-all" },
  { method: "DELETE", requestPath: "/order", body: '{"orderID":"0xabc"}' },
  {
    method: "POST",
    requestPath: "/order",
    body: '{"deferExec":false,"postOnly":true,"order":{"salt":1,"side":"BUY"},"owner":"k"}',
  },
  { method: "POST", requestPath: "/v1/heartbeats", body: '{"heartbeat_id":""}' },
];

Deno.test("l2Headers() equals the official client's createL2Headers() byte for byte", async () => {
  for (let seed = 0; seed < 12; seed++) {
    const secret = secretText(seed, 32 + (seed % 3));
    const creds = { key: `key-${seed}`, secret, passphrase: `pass-${seed}` };
    for (const request of REQUESTS) {
      const ts = 1_780_000_000 + seed * 977;
      const ours = await l2Headers(
        account.address,
        {
          apiKey: creds.key,
          secret: new SecretKey(secret),
          passphrase: new SecretKey(creds.passphrase),
        },
        request,
        ts,
      );
      const theirs = await createL2Headers(wallet, creds, { ...request }, ts);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    }
  }
});

Deno.test("l2Headers() is HMAC-SHA256 of ts+METHOD+path+body, url-safe base64 with padding", async () => {
  // 0xfb 0xff … makes '+' and '/' likely in the plain encoding; the secret has '-' and '_'.
  const secretBytes = Uint8Array.from({ length: 32 }, (_, i) => 0xfb ^ (i * 37));
  const secret = btoa(String.fromCharCode(...secretBytes)).replaceAll("+", "-")
    .replaceAll("/", "_");
  const request: L2Request = { method: "POST", requestPath: "/order", body: '{"a":1}' };
  const headers = await l2Headers(
    "0x0000000000000000000000000000000000000001",
    {
      apiKey: "k",
      secret: new SecretKey(secret),
      passphrase: new SecretKey("p"),
    },
    request,
    1_780_000_123,
  );
  const expected = createHmac("sha256", secretBytes).update('1780000123POST/order{"a":1}')
    .digest("base64").replaceAll("+", "-").replaceAll("/", "_");
  assert.equal(headers.POLY_SIGNATURE, expected);
  assert.match(headers.POLY_SIGNATURE, /^[A-Za-z0-9_-]{43}=$/);
  assert.equal(headers.POLY_TIMESTAMP, "1780000123");
});

Deno.test("l2Headers() refuses a secret that is not base64url without quoting it", async () => {
  const creds = {
    apiKey: "k",
    secret: new SecretKey("not base64!*"),
    passphrase: new SecretKey("p"),
  };
  await assert.rejects(
    l2Headers("0x1", creds, { method: "GET", requestPath: "/x" }, 1),
    (err: Error) => err instanceof TypeError && !err.message.includes("not base64!*"),
  );
  await assert.rejects(
    l2Headers("0x1", { ...creds, secret: new SecretKey("c2VjcmV0") }, {
      method: "GET",
      requestPath: "/x",
    }, 1.5),
    RangeError,
  );
});
