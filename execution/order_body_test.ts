import assert from "node:assert/strict";
import { hexToBytes } from "@noble/hashes/utils.js";
import { MAX_BATCH_ORDERS, orderBody, type OrderPost, ordersBody } from "./order_body.ts";
import { addressOf, type SignedOrder, signOrder, ZERO_BYTES32 } from "./sign_order.ts";

const KEY = hexToBytes("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const ME = addressOf(KEY);
const ORDER: SignedOrder = signOrder(
  {
    salt: 21_906_496_005_886n,
    maker: ME,
    signer: ME,
    tokenId: 123n,
    makerAmount: 5_200_000n,
    takerAmount: 10_000_000n,
    side: "SELL",
    signatureType: 0,
    timestamp: 1_780_000_000_000n,
    expiration: 1_780_003_600,
    metadata: ZERO_BYTES32,
    builder: ZERO_BYTES32,
  },
  KEY,
  { negRisk: true },
);
const POST: OrderPost = { order: ORDER, orderType: "GTD", postOnly: true };

Deno.test("orderBody() prints the client's field order, salt as a number, strings elsewhere", () => {
  const body = orderBody(POST, "owner-key");
  assert.equal(
    body,
    `{"deferExec":false,"postOnly":true,"order":{"salt":21906496005886,"maker":"${ME}",` +
      `"signer":"${ME}","tokenId":"123","makerAmount":"5200000","takerAmount":"10000000",` +
      `"side":"SELL","signatureType":0,"timestamp":"1780000000000","expiration":"1780003600",` +
      `"metadata":"${ZERO_BYTES32}","builder":"${ZERO_BYTES32}","signature":"${ORDER.signature}"},` +
      `"owner":"owner-key","orderType":"GTD"}`,
  );
  // The order hash is ours to record, not the venue's to read.
  assert.ok(!body.includes("orderHash"));
  assert.ok(orderBody({ ...POST, deferExec: true }, "k").startsWith('{"deferExec":true,'));
});

Deno.test("orderBody() refuses post-only FOK/FAK and a salt that is not an exact JSON number", () => {
  for (const orderType of ["FOK", "FAK"] as const) {
    assert.throws(() => orderBody({ ...POST, orderType }, "k"), RangeError);
    assert.doesNotThrow(() => orderBody({ ...POST, orderType, postOnly: false }, "k"));
  }
  const big = { ...ORDER, salt: BigInt(Number.MAX_SAFE_INTEGER) + 1n };
  assert.throws(() => orderBody({ ...POST, order: big }, "k"), RangeError);
});

Deno.test("ordersBody() is a JSON array of 1 to 15 order bodies", () => {
  const posts = Array.from({ length: MAX_BATCH_ORDERS }, () => POST);
  assert.equal(ordersBody(posts, "k"), `[${posts.map((p) => orderBody(p, "k")).join(",")}]`);
  assert.equal(ordersBody([POST], "k"), `[${orderBody(POST, "k")}]`);
  assert.throws(() => ordersBody([], "k"), RangeError);
  assert.throws(() => ordersBody([...posts, POST], "k"), RangeError);
});
