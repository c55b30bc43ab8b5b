import assert from "node:assert/strict";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { encryptKey } from "../keys/age_key.ts";
import { ConfigError, type LiveConfig } from "../runtime/config.ts";
import { createLogger } from "../runtime/log.ts";
import { NATIVE_UNAVAILABLE } from "../tests/_native_signing.ts";
import { openLiveAccount } from "./live_account.ts";

const KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

async function liveConfig(dir: string): Promise<LiveConfig> {
  const identity = await generateIdentity();
  const keyIdentity = join(dir, "identity.txt");
  const keyFile = join(dir, "key.age");
  await Deno.writeTextFile(keyIdentity, `${identity}\n`, { mode: 0o600 });
  await Deno.writeTextFile(keyFile, await encryptKey(KEY, await identityToRecipient(identity)), {
    mode: 0o600,
  });
  return {
    userWsUrl: "ws://127.0.0.1:9/ws/user",
    keyFile,
    keyIdentity,
    signatureType: 0,
    funder: null,
    credentialsFile: null,
    signer: "auto",
    libsecp256k1: null,
  };
}

Deno.test("openLiveAccount() signs with PMCOLLECT_SIGNER's backend and logs which", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_account_" });
  try {
    const live = await liveConfig(dir);
    const lines: string[] = [];
    const log = createLogger({}, { write: (line) => lines.push(line) });
    const auto = await openLiveAccount(live, { log });
    assert.equal(auto.signer.backend, NATIVE_UNAVAILABLE === null ? "native" : "noble");
    const ready = lines.map((line) => JSON.parse(line)).find((l) =>
      l.event === "order_signer_ready"
    );
    assert.equal(ready?.backend, auto.signer.backend);
    assert.ok(!lines.join("\n").includes(KEY.slice(2)));
    const noble = await openLiveAccount({ ...live, signer: "noble" });
    assert.equal(noble.signer.backend, "noble");
    // A library that is not there: "auto" falls back, "native" is a bad setting naming it.
    const path = join(dir, "libsecp256k1.so.1");
    const fallback = await openLiveAccount({ ...live, libsecp256k1: path });
    assert.equal(fallback.signer.backend, "noble");
    assert.ok(fallback.signer.fallbackReason?.includes(path));
    await assert.rejects(
      openLiveAccount({ ...live, signer: "native", libsecp256k1: path }),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === "PMCOLLECT_LIBSECP256K1" &&
        err.message.includes(path),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
