/**
 * The project's own order signing (`execution/sign_order.ts`), body (`execution/order_body.ts`)
 * and L2 headers (`execution/l2_headers.ts`) are accepted by the simulated venue, which checks
 * them independently (`simulator/_eip712.ts`, `simulator/clob_auth.ts`): the order id it
 * answers is the hash we signed, on a neg-risk market (the other exchange contract).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { ClobClient } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { l2Headers } from "../execution/l2_headers.ts";
import { orderBody } from "../execution/order_body.ts";
import {
  addressOf,
  saltFromClientOrderId,
  signOrder,
  ZERO_BYTES32,
} from "../execution/sign_order.ts";
import { SecretKey } from "../keys/age_key.ts";
import { startSimulator } from "../simulator/server.ts";

const KEY_HEX = "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

Deno.test({
  name: "the simulator accepts orders signed, encoded and authenticated by execution/",
  fn: async () => {
    const sim = await startSimulator({
      markets: 300,
      seed: 31,
      tickMs: 60_000,
      activityPerTick: 0,
      lifecycleRate: 0,
    });
    try {
      const key = Uint8Array.from(KEY_HEX.match(/../g)!, (h) => parseInt(h, 16));
      const account = privateKeyToAccount(`0x${KEY_HEX}`);
      const me = addressOf(key);
      assertEquals(me.toLowerCase(), account.address.toLowerCase());
      const signer = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
      const creds = await new ClobClient({ host: sim.url, chain: 137, signer })
        .createOrDeriveApiKey();
      const credentials = {
        apiKey: creds.key,
        secret: new SecretKey(creds.secret),
        passphrase: new SecretKey(creds.passphrase),
      };
      const m = sim.universe.markets.find((x) =>
        x.status === "open" && x.negRiskMarketId !== "" && x.tickUnits === 100
      )!;
      const book = await (await fetch(`${sim.url}/book?token_id=${m.tokenIds[0]}`)).json();
      const bid = Math.round(Number(book.bids.at(-1).price) * 100) - 1; // cents, rests
      const signed = signOrder(
        {
          salt: saltFromClientOrderId("own-signing-1"),
          maker: me,
          signer: me,
          tokenId: BigInt(m.tokenIds[0]),
          makerAmount: BigInt(bid) * 100_000n, // 10 shares at bid cents
          takerAmount: 10_000_000n,
          side: "BUY",
          signatureType: 0,
          timestamp: BigInt(Date.now()),
          expiration: 0,
          metadata: ZERO_BYTES32,
          builder: ZERO_BYTES32,
        },
        key,
        { negRisk: true },
      );
      const body = orderBody({ order: signed, orderType: "GTC", postOnly: true }, creds.key);
      const post = async (method: "POST" | "DELETE", path: string, text: string) => {
        const headers = await l2Headers(me, credentials, {
          method,
          requestPath: path,
          body: text,
        }, Math.floor(Date.now() / 1000));
        const res = await fetch(`${sim.url}${path}`, {
          method,
          headers: { ...headers, "content-type": "application/json" },
          body: text,
        });
        return { status: res.status, json: await res.json() };
      };
      const placed = await post("POST", "/order", body);
      assertEquals(placed.status, 200, JSON.stringify(placed.json));
      assertEquals([placed.json.success, placed.json.orderID, placed.json.status], [
        true,
        signed.orderHash,
        "live",
      ]);
      // Signed for the other exchange (negRisk: false) the venue refuses the signature.
      const wrong = signOrder({ ...signed, salt: signed.salt + 1n }, key, { negRisk: false });
      const refused = await post(
        "POST",
        "/order",
        orderBody({ order: wrong, orderType: "GTC", postOnly: false }, creds.key),
      );
      assertEquals(refused, { status: 400, json: { error: "invalid order signature" } });
      const canceled = await post(
        "DELETE",
        "/order",
        JSON.stringify({ orderID: signed.orderHash }),
      );
      assertEquals(canceled.json, { canceled: [signed.orderHash], not_canceled: {} });
    } finally {
      await sim.close();
    }
  },
});
