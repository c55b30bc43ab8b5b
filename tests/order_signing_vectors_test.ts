/**
 * Our V2 orders against the official client's, byte for byte: for random valid orders (seeded
 * PRNG: random tokens, every tick size incl. 0.005/0.0025, prices, sizes, sides, order types,
 * neg-risk or not, signature types 0, 1 and 2), the signature and the JSON body of `POST /order`
 * (and of a 15-order `POST /orders`) from `execution/` equal what
 * `@polymarket/clob-client-v2@1.1.0` produces for the same key, salt and timestamp.
 *
 * Pinning: the client takes the timestamp from `Date.now()` and the salt from
 * `Math.round(Math.random() * Date.now())` (`order-utils/utils.ts`), and exports no way to pass
 * either through `OrderBuilder`. The test therefore stubs both globals for the duration of one
 * `buildOrder`/`buildMarketOrder` call (Date.now → our timestamp, Math.random → salt ÷
 * timestamp) and asserts that the salt and timestamp the client signed are ours, so a failed
 * pin shows up as a failure, never as a silent pass. The vectors are signed twice, by each of
 * `OrderSigner`'s backends (`@noble/curves`, and the system's libsecp256k1 where it can be
 * opened; that test is ignored, with the reason in its name, where it cannot). The client's limit path (`buildOrder`) is
 * used for GTC/GTD and its market path (`buildMarketOrder`) for FOK/FAK, as `order_amounts.ts`
 * does. The order hash is checked against viem's `hashTypedData` over the same typed data.
 */
import assert from "node:assert/strict";
// Test-only: imported by full specifier, not through deno.json, so that `deno task start` does
// not install them (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import * as clob from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, hashTypedData, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { formatDec, mulDec, parseDec } from "../edge/decimal.ts";
import { SecretKey } from "../keys/age_key.ts";
import { orderBody, type OrderPost, ordersBody } from "../execution/order_body.ts";
import { TICK_SIZES } from "../execution/order_amounts.ts";
import { type RandomOrder, randomOrders } from "../execution/_random_orders.ts";
import {
  checksumAddress,
  CTF_EXCHANGE_V2,
  NEG_RISK_CTF_EXCHANGE_V2,
  type SignedOrder,
} from "../execution/sign_order.ts";
import { OrderSigner } from "../execution/signer.ts";
import type { SignBackendName } from "../execution/signer_backend.ts";
import { nativeTest } from "./_native_signing.ts";

const ORDERS = 64;
const OWNER = "5d1c2f4e-8b0a-4c3e-9f61-2a7b3c4d5e6f";

const source = randomOrders(20261206);
const KEY_HEX = `0x${source.hex(32)}`;
// As a wallet shows it (EIP-55); our signer prints every address that way.
const FUNDER = checksumAddress(`0x${source.hex(20)}`);

interface Vector extends RandomOrder {
  readonly signatureType: 0 | 1 | 2;
}

function randomVector(i: number): Vector {
  const draw = source.random();
  return { ...source.next(`vector-${i}`), signatureType: draw < 0.6 ? 0 : draw < 0.8 ? 1 : 2 };
}

const account = privateKeyToAccount(KEY_HEX as `0x${string}`);
const wallet = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
const builders = {
  0: new clob.OrderBuilder(wallet, 137, 0),
  1: new clob.OrderBuilder(wallet, 137, 1, FUNDER),
  2: new clob.OrderBuilder(wallet, 137, 2, FUNDER),
};
function signersOf(backend: SignBackendName) {
  return {
    0: new OrderSigner(new SecretKey(KEY_HEX), { backend }),
    1: new OrderSigner(new SecretKey(KEY_HEX), { signatureType: 1, funder: FUNDER, backend }),
    2: new OrderSigner(new SecretKey(KEY_HEX), { signatureType: 2, funder: FUNDER, backend }),
  };
}

/** The official client's signed order for the vector, with salt and timestamp pinned to ours. */
async function officialOrder(v: Vector, ours: SignedOrder) {
  const realNow = Date.now;
  const realRandom = Math.random;
  const timestamp = Number(ours.timestamp);
  Date.now = () => timestamp;
  Math.random = () => Number(ours.salt) / timestamp;
  try {
    const { request, market } = v;
    const side = request.side === "BUY" ? clob.Side.BUY : clob.Side.SELL;
    const options = { tickSize: market.tickSize, negRisk: market.negRisk };
    if (request.orderType === "GTC" || request.orderType === "GTD") {
      return await builders[v.signatureType].buildOrder(
        {
          tokenID: request.tokenId,
          price: Number(request.price),
          size: Number(request.size),
          side,
          ...(request.expiration === null ? {} : { expiration: request.expiration }),
        },
        options,
        2,
      );
    }
    // A market BUY is asked in dollars: size × price computed exactly, as order_amounts.ts
    // asks it (a float product such as 4786.4 × 0.3 = 1435.9199999999998 would lose a cent
    // in the client's floor to 2 dp: a difference in the question, not in the arithmetic).
    const amount = request.side === "BUY"
      ? Number(formatDec(mulDec(parseDec(request.size), parseDec(request.price))))
      : Number(request.size);
    return await builders[v.signatureType].buildMarketOrder(
      {
        tokenID: request.tokenId,
        price: Number(request.price),
        amount,
        side,
        orderType: request.orderType,
      } as never,
      options,
      2,
    );
  } finally {
    Date.now = realNow;
    Math.random = realRandom;
  }
}

function viemOrderHash(order: SignedOrder, negRisk: boolean): string {
  return hashTypedData({
    domain: {
      name: "Polymarket CTF Exchange",
      version: "2",
      chainId: 137,
      verifyingContract: (negRisk ? NEG_RISK_CTF_EXCHANGE_V2 : CTF_EXCHANGE_V2) as `0x${string}`,
    },
    types: {
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
    },
    primaryType: "Order",
    message: {
      salt: order.salt,
      maker: order.maker as `0x${string}`,
      signer: order.signer as `0x${string}`,
      tokenId: order.tokenId,
      makerAmount: order.makerAmount,
      takerAmount: order.takerAmount,
      side: order.side === "BUY" ? 0 : 1,
      signatureType: order.signatureType,
      timestamp: order.timestamp,
      metadata: order.metadata as `0x${string}`,
      builder: order.builder as `0x${string}`,
    },
  });
}

const vectors = Array.from({ length: ORDERS }, (_, i) => randomVector(i));

async function officialAgrees(backend: SignBackendName): Promise<void> {
  const signers = signersOf(backend);
  assert.equal(signers[0].backend, backend);
  const seen = {
    ticks: new Set<string>(),
    types: new Set<string>(),
    negRisk: new Set<boolean>(),
    signatureTypes: new Set<number>(),
  };
  const posts: { ours: OrderPost; official: ReturnType<typeof clob.orderToJsonV2> }[] = [];
  for (const v of vectors) {
    const ours = signers[v.signatureType].buildSignedOrder(v.request, v.market, v.nowMs);
    const official = await officialOrder(v, ours.order);
    const label = JSON.stringify({ request: v.request, market: v.market });
    assert.ok(clob.isV2Order(official), `a V2 order: ${label}`);
    assert.equal(official.salt, ours.order.salt.toString(), `salt pinned: ${label}`);
    assert.equal(official.timestamp, ours.order.timestamp.toString(), `timestamp pinned: ${label}`);
    assert.equal(ours.order.signature, official.signature, `signature: ${label}`);
    const officialJson = clob.orderToJsonV2(
      official,
      OWNER,
      clob.OrderType[v.request.orderType],
      v.request.postOnly,
    );
    assert.equal(orderBody(ours, OWNER), JSON.stringify(officialJson), `body: ${label}`);
    assert.equal(ours.order.orderHash, viemOrderHash(ours.order, v.market.negRisk), label);
    posts.push({ ours, official: officialJson });
    seen.ticks.add(v.market.tickSize);
    seen.types.add(v.request.orderType);
    seen.negRisk.add(v.market.negRisk);
    seen.signatureTypes.add(v.signatureType);
  }
  // The sample covers what it claims to cover.
  assert.equal(seen.ticks.size, TICK_SIZES.length);
  assert.equal(seen.types.size, 4);
  assert.equal(seen.negRisk.size, 2);
  assert.equal(seen.signatureTypes.size, 3);
  const batch = posts.slice(0, 15);
  assert.equal(
    ordersBody(batch.map((p) => p.ours), OWNER),
    JSON.stringify(batch.map((p) => p.official)),
  );
}

Deno.test(`${ORDERS} random orders signed by noble: signature and body equal the official client's`, () =>
  officialAgrees("noble"));

nativeTest(
  `${ORDERS} random orders signed by libsecp256k1: signature and body equal the official client's`,
  () => officialAgrees("native"),
);
