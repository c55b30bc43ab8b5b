import assert from "node:assert/strict";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
// Test-only: imported by full specifier, not through deno.json (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import { domainSeparator as viemDomainSeparator, hashStruct } from "npm:viem@2.57.20";
import {
  addressOf,
  checksumAddress,
  CTF_EXCHANGE_V2,
  domainSeparator,
  NEG_RISK_CTF_EXCHANGE_V2,
  orderDigest,
  orderStructHash,
  saltFromClientOrderId,
  signOrder,
  type UnsignedOrder,
  ZERO_BYTES32,
} from "./sign_order.ts";
import { chooseSignBackend } from "./signer_backend.ts";
import { nativeTest } from "../tests/_native_signing.ts";

// The web3.js documentation's example account.
const KEY = hexToBytes("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

const ORDER: UnsignedOrder = {
  salt: 123_456_789n,
  maker: ADDRESS,
  signer: ADDRESS,
  tokenId: 71321045679252212594626385532706912750332728571942532289631379312455583992563n,
  makerAmount: 5_200_000n,
  takerAmount: 10_000_000n,
  side: "BUY",
  signatureType: 0,
  timestamp: 1_780_000_000_000n,
  expiration: 0,
  metadata: ZERO_BYTES32,
  builder: ZERO_BYTES32,
};

Deno.test("addressOf() and checksumAddress() give EIP-55 addresses", () => {
  assert.equal(addressOf(KEY), ADDRESS);
  // EIP-55's own examples.
  for (
    const address of [
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]
  ) assert.equal(checksumAddress(address.toLowerCase()), address);
  assert.throws(() => checksumAddress("0x123"), TypeError);
});

Deno.test("domainSeparator() equals viem's for both V2 exchanges", () => {
  for (const verifyingContract of [CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2]) {
    const theirs = viemDomainSeparator({
      domain: {
        name: "Polymarket CTF Exchange",
        version: "2",
        chainId: 137,
        verifyingContract: verifyingContract as `0x${string}`,
      },
    });
    assert.equal(`0x${bytesToHex(domainSeparator(verifyingContract))}`, theirs);
  }
});

Deno.test("signOrder() gives a 65-byte low-s signature that recovers the signer", () => {
  for (const negRisk of [false, true]) {
    const signed = signOrder(ORDER, KEY, { negRisk });
    const digest = orderDigest(ORDER, { negRisk });
    assert.equal(signed.orderHash, `0x${bytesToHex(digest)}`);
    const bytes = hexToBytes(signed.signature.slice(2));
    assert.equal(bytes.length, 65);
    const v = bytes[64]!;
    assert.ok(v === 27 || v === 28);
    const recovered = new Uint8Array(65);
    recovered[0] = v - 27;
    recovered.set(bytes.subarray(0, 64), 1);
    const signature = secp256k1.Signature.fromBytes(recovered, "recovered");
    assert.ok(!signature.hasHighS());
    const publicKey = signature.recoverPublicKey(digest).toBytes(true);
    assert.deepEqual(publicKey, secp256k1.getPublicKey(KEY, true));
    // Deterministic: the same order signs the same.
    assert.equal(signOrder(ORDER, KEY, { negRisk }).signature, signed.signature);
  }
  assert.notEqual(
    signOrder(ORDER, KEY, { negRisk: false }).orderHash,
    signOrder(ORDER, KEY, { negRisk: true }).orderHash,
  );
});

Deno.test("the order hash covers every signed field and not the expiration", () => {
  const base = orderDigest(ORDER, { negRisk: false });
  const changes: Partial<UnsignedOrder>[] = [
    { salt: ORDER.salt + 1n },
    { tokenId: ORDER.tokenId + 1n },
    { makerAmount: ORDER.makerAmount + 1n },
    { takerAmount: ORDER.takerAmount + 1n },
    { side: "SELL" },
    { signatureType: 2, maker: "0x0000000000000000000000000000000000000001" },
    { timestamp: ORDER.timestamp + 1n },
    { metadata: `0x${"00".repeat(31)}01` },
    { builder: `0x${"00".repeat(31)}01` },
  ];
  for (const change of changes) {
    assert.notDeepEqual(orderDigest({ ...ORDER, ...change }, { negRisk: false }), base);
  }
  assert.deepEqual(orderDigest({ ...ORDER, expiration: 1_790_000_000 }, { negRisk: false }), base);
});

Deno.test("signOrder() refuses type 3, an EOA maker ≠ signer, and malformed fields", () => {
  assert.throws(() => signOrder({ ...ORDER, signatureType: 3 as never }, KEY, { negRisk: false }), {
    name: "RangeError",
    message: "Signature type 3 is not supported (0, 1 or 2)",
  });
  assert.throws(
    () =>
      signOrder({ ...ORDER, maker: "0x0000000000000000000000000000000000000001" }, KEY, {
        negRisk: false,
      }),
    RangeError,
  );
  assert.throws(
    () => signOrder({ ...ORDER, metadata: "0x00" }, KEY, { negRisk: false }),
    TypeError,
  );
  for (const signer of [`0x${"g".repeat(40)}`, `1x${"0".repeat(40)}`, ADDRESS.slice(0, 41)]) {
    assert.throws(
      () => signOrder({ ...ORDER, signatureType: 2, signer }, KEY, { negRisk: false }),
      { name: "TypeError", message: `Not an address: ${signer}` },
    );
  }
  assert.throws(
    () => signOrder({ ...ORDER, builder: `0x${"0".repeat(63)}z` }, KEY, { negRisk: false }),
    { name: "TypeError", message: "builder is not 0x + 32 bytes" },
  );
  assert.throws(() => signOrder({ ...ORDER, salt: -1n }, KEY, { negRisk: false }), RangeError);
  assert.throws(
    () => signOrder({ ...ORDER, tokenId: 1n << 256n }, KEY, { negRisk: false }),
    RangeError,
  );
});

Deno.test("saltFromClientOrderId() is stable, 48 bits, and differs between ids", () => {
  const a = saltFromClientOrderId("c-1");
  assert.equal(saltFromClientOrderId("c-1"), a);
  // Pinned: a restart finds its orders by the hashes these salts give, so they never change.
  assert.equal(a, 243_422_707_439_514n);
  assert.equal(saltFromClientOrderId("order-7"), 103_824_234_849_290n);
  assert.equal(saltFromClientOrderId("é-ü"), 123_430_049_432_549n);
  assert.notEqual(saltFromClientOrderId("c-2"), a);
  const salts = new Set<bigint>();
  for (let i = 0; i < 2_000; i++) {
    const salt = saltFromClientOrderId(`order-${i}`);
    assert.ok(salt >= 0n && salt < 1n << 48n);
    salts.add(salt);
  }
  assert.equal(salts.size, 2_000);
  // Some salt uses the top bits (the 48 bits are all used, not a narrower slice).
  assert.ok([...salts].some((s) => s >= 1n << 47n));
});

nativeTest("signOrder() with libsecp256k1 as its backend gives noble's bytes", () => {
  const { backend } = chooseSignBackend({ backend: "native" });
  assert.equal(backend.name, "native");
  for (const negRisk of [false, true]) {
    for (const side of ["BUY", "SELL"] as const) {
      const order = { ...ORDER, side };
      assert.deepEqual(
        signOrder(order, KEY, { negRisk, backend }),
        signOrder(order, KEY, { negRisk }),
      );
    }
  }
});

Deno.test("orderStructHash() equals viem's hashStruct at the edges of every uint256 field", () => {
  const edges = [
    0n,
    1n,
    255n,
    256n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 64n - 1n,
    2n ** 255n,
    2n ** 256n - 1n,
  ];
  const types = {
    Order: [
      { name: "salt", type: "uint256" },
      { name: "maker", type: "address" },
      { name: "signer", type: "address" },
      { name: "tokenId", type: "uint256" },
      { name: "makerAmount", type: "uint256" },
      { name: "takerAmount", type: "uint256" },
      { name: "side", type: "uint8" },
      { name: "signatureType", type: "uint8" },
      { name: "timestamp", type: "uint256" },
      { name: "metadata", type: "bytes32" },
      { name: "builder", type: "bytes32" },
    ],
  } as const;
  for (const [i, value] of edges.entries()) {
    const order: UnsignedOrder = {
      ...ORDER,
      salt: value,
      tokenId: edges[(i + 3) % edges.length]!,
      makerAmount: edges[(i + 5) % edges.length]!,
      takerAmount: value,
      timestamp: edges[(i + 7) % edges.length]!,
      side: i % 2 === 0 ? "BUY" : "SELL",
      metadata: `0x${"ab".repeat(32)}`,
    };
    const theirs = hashStruct({
      types,
      primaryType: "Order",
      data: {
        ...order,
        maker: order.maker as `0x${string}`,
        signer: order.signer as `0x${string}`,
        side: order.side === "BUY" ? 0 : 1,
        metadata: order.metadata as `0x${string}`,
        builder: order.builder as `0x${string}`,
      },
    });
    assert.equal(`0x${bytesToHex(orderStructHash(order))}`, theirs, `edge #${i}`);
  }
});
