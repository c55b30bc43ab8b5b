import assert from "node:assert/strict";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { encryptKey, loadKey, SecretKey } from "../keys/age_key.ts";
import type { OrderRequest } from "./broker.ts";
import type { MarketRules } from "./order_rules.ts";
import { OrderRuleError, OrderSigner } from "./signer.ts";
import { createLogger } from "../runtime/log.ts";
import { nativeTest } from "../tests/_native_signing.ts";

const KEY_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const FUNDER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const NOW = 1_780_000_000_123;
const MARKET: MarketRules = { tickSize: "0.01", minOrderSize: "5", negRisk: false };
const REQUEST: OrderRequest = {
  clientOrderId: "c-1",
  tokenId: "123",
  side: "BUY",
  orderType: "GTC",
  price: "0.52",
  size: "10",
  postOnly: false,
  expiration: null,
};

Deno.test("OrderSigner signs with the key from its age file and never prints it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const identity = await generateIdentity();
    await Deno.writeTextFile(`${dir}/id.txt`, `${identity}\n`, { mode: 0o600 });
    const armored = await encryptKey(`0x${KEY_HEX}`, await identityToRecipient(identity));
    await Deno.writeTextFile(`${dir}/key.age`, armored, { mode: 0o600 });
    const signer = new OrderSigner(await loadKey(`${dir}/key.age`, `${dir}/id.txt`));
    assert.equal(signer.address, ADDRESS);
    assert.equal(signer.maker, ADDRESS);
    for (const text of [String(signer), JSON.stringify(signer), Deno.inspect(signer)]) {
      assert.ok(!text.toLowerCase().includes(KEY_HEX), text);
      assert.ok(text.includes(ADDRESS), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildSignedOrder() pins salt and timestamp: same intent and now, same order hash", () => {
  const signer = new OrderSigner(new SecretKey(KEY_HEX)); // 0x optional
  const post = signer.buildSignedOrder(REQUEST, MARKET, NOW);
  assert.equal(post.orderType, "GTC");
  assert.equal(post.postOnly, false);
  assert.equal(post.order.timestamp, BigInt(NOW));
  assert.equal(post.order.makerAmount, 5_200_000n);
  assert.equal(post.order.takerAmount, 10_000_000n);
  assert.equal(post.order.expiration, 0);
  assert.equal(signer.buildSignedOrder(REQUEST, MARKET, NOW).order.orderHash, post.order.orderHash);
  const later = signer.buildSignedOrder(REQUEST, MARKET, NOW + 1).order.orderHash;
  assert.notEqual(later, post.order.orderHash);
  const other = signer.buildSignedOrder({ ...REQUEST, clientOrderId: "c-2" }, MARKET, NOW);
  assert.notEqual(other.order.salt, post.order.salt);
  const negRisk = signer.buildSignedOrder(REQUEST, { ...MARKET, negRisk: true }, NOW);
  assert.notEqual(negRisk.order.orderHash, post.order.orderHash);
});

Deno.test("buildSignedOrder() throws the venue's refusal as an OrderRuleError", () => {
  const signer = new OrderSigner(new SecretKey(`0x${KEY_HEX}`));
  assert.throws(() => signer.buildSignedOrder({ ...REQUEST, price: "0.525" }, MARKET, NOW), {
    name: "OrderRuleError",
    code: "INVALID_ORDER_MIN_TICK_SIZE",
    clientOrderId: "c-1",
    message: "order c-1 is invalid. Price (0.525) breaks minimum tick size rule: 0.01",
  });
  try {
    signer.buildSignedOrder({ ...REQUEST, size: "1" }, MARKET, NOW);
    assert.fail("expected a refusal");
  } catch (err) {
    assert.ok(err instanceof OrderRuleError);
    assert.equal(err.code, "INVALID_ORDER_MIN_SIZE");
  }
});

Deno.test("OrderSigner with a funder signs as POLY_GNOSIS_SAFE: maker = funder, signer = key", () => {
  const signer = new OrderSigner(new SecretKey(KEY_HEX), {
    signatureType: 2,
    funder: FUNDER.toLowerCase(),
  });
  const { order } = signer.buildSignedOrder(REQUEST, MARKET, NOW);
  assert.equal(order.maker, FUNDER);
  assert.equal(order.signer, ADDRESS);
  assert.equal(order.signatureType, 2);
});

Deno.test("OrderSigner refuses bad keys and funders without quoting the key", () => {
  const bad = ["", "0x1234", `${KEY_HEX}00`, "zz".repeat(32), "00".repeat(32)];
  for (const text of bad) {
    assert.throws(() => new OrderSigner(new SecretKey(text)), (err: Error) => {
      return err instanceof TypeError && (text.length < 8 || !err.message.includes(text));
    });
  }
  const key = new SecretKey(KEY_HEX);
  assert.throws(() => new OrderSigner(key, { signatureType: 1 }), TypeError);
  assert.throws(
    () => new OrderSigner(key, { signatureType: 3 as never, funder: FUNDER }),
    TypeError,
  );
  assert.throws(() => new OrderSigner(key, { funder: FUNDER }), TypeError);
  // A mixed-case funder with a wrong checksum is a typo.
  const typo = FUNDER.replace("aAeb", "aaEb");
  assert.throws(() => new OrderSigner(key, { signatureType: 2, funder: typo }), /checksum/);
});

Deno.test("OrderSigner with a library path that is absent signs with noble and logs why", () => {
  const lines: string[] = [];
  const log = createLogger({}, { write: (line) => lines.push(line) });
  const path = "/nonexistent/libsecp256k1.so.1";
  const signer = new OrderSigner(new SecretKey(KEY_HEX), { library: path, log });
  assert.equal(signer.backend, "noble");
  assert.ok(signer.fallbackReason?.includes(path));
  const noble = new OrderSigner(new SecretKey(KEY_HEX), { backend: "noble" });
  assert.equal(
    signer.buildSignedOrder(REQUEST, MARKET, NOW).order.signature,
    noble.buildSignedOrder(REQUEST, MARKET, NOW).order.signature,
  );
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!);
  assert.equal(line.event, "order_signer_ready");
  assert.equal(line.backend, "noble");
  assert.equal(line.address, ADDRESS);
  assert.ok(String(line.fallbackReason).includes(path), lines[0]);
  assert.ok(!lines[0]!.toLowerCase().includes(KEY_HEX));
  assert.throws(
    () => new OrderSigner(new SecretKey(KEY_HEX), { backend: "native", library: path }),
    /Cannot sign natively/,
  );
});

nativeTest("OrderSigner prefers libsecp256k1, says so, and signs as noble does", () => {
  const lines: string[] = [];
  const log = createLogger({}, { write: (line) => lines.push(line) });
  const native = new OrderSigner(new SecretKey(KEY_HEX), { log });
  const noble = new OrderSigner(new SecretKey(KEY_HEX), { backend: "noble" });
  assert.equal(native.backend, "native");
  assert.equal(native.fallbackReason, null);
  assert.equal(noble.backend, "noble");
  assert.equal(JSON.parse(lines[0]!).backend, "native");
  assert.equal(JSON.stringify(native), JSON.stringify({ ...noble.toJSON(), backend: "native" }));
  for (const negRisk of [false, true]) {
    for (let i = 0; i < 20; i++) {
      const request = {
        ...REQUEST,
        clientOrderId: `c-${i}`,
        side: i % 2 ? "SELL" as const : "BUY" as const,
      };
      const market = { ...MARKET, negRisk };
      assert.deepEqual(
        native.buildSignedOrder(request, market, NOW + i),
        noble.buildSignedOrder(request, market, NOW + i),
      );
    }
  }
});
