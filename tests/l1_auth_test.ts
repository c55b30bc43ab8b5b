/**
 * L1 authentication (`execution/l1_auth.ts`) against the simulator, which recovers the signer of
 * every `ClobAuth` signature: the credentials derived are the ones the official
 * `@polymarket/clob-client-v2@1.1.0` gets for the same key, another nonce gets other ones, and
 * a key that is not hex is an error that does not quote it.
 */
import assert from "node:assert/strict";
// Test-only, by full specifier (README dependency table): the official client's L1 answer.
// deno-lint-ignore no-import-prefix
import { ClobClient } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { SecretKey } from "../keys/age_key.ts";
import { deriveApiCredentials, l1Headers } from "../execution/l1_auth.ts";
import { startSimulator } from "../simulator/server.ts";

const KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";

Deno.test("deriveApiCredentials() gets the official client's credentials from the simulator", async () => {
  const sim = await startSimulator({ markets: 20, seed: 3, tickMs: 60_000, lifecycleRate: 0 });
  try {
    const ours = await deriveApiCredentials(sim.url, new SecretKey(`0x${KEY}`));
    const account = privateKeyToAccount(`0x${KEY}`);
    const wallet = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
    const theirs = await new ClobClient({ host: sim.url, chain: 137, signer: wallet })
      .createOrDeriveApiKey();
    assert.deepEqual(
      [ours.apiKey, ours.secret.reveal(), ours.passphrase.reveal()],
      [theirs.key, theirs.secret, theirs.passphrase],
    );
    assert.equal(l1Headers(new SecretKey(KEY), 1_780_000_000).POLY_ADDRESS, account.address);
    // Another nonce, other credentials (the venue keys them by address and nonce).
    const other = await deriveApiCredentials(sim.url, new SecretKey(KEY), { nonce: 1n });
    assert.notEqual(other.apiKey, ours.apiKey);
    // A key that is not 32 bytes of hex is refused before any request, without quoting it.
    await assert.rejects(
      deriveApiCredentials(sim.url, new SecretKey("not a key")),
      (err: unknown) => err instanceof TypeError && !err.message.includes("not a key"),
    );
  } finally {
    await sim.close();
  }
});
