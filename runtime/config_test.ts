import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

/** Every limit the risk engine uses, set explicitly (to their defaults' values: explicit counts). */
const LIMITS = {
  PMCOLLECT_RISK_MAX_ORDER_NOTIONAL: "50",
  PMCOLLECT_RISK_MAX_MARKET_NOTIONAL: "200",
  PMCOLLECT_RISK_MAX_GROUP_NOTIONAL: "500",
  PMCOLLECT_RISK_MAX_TOTAL_NOTIONAL: "1000",
  PMCOLLECT_RISK_MAX_OPEN_ORDERS: "20",
  PMCOLLECT_RISK_MAX_ORDERS_PER_S: "100",
  PMCOLLECT_RISK_MAX_DAILY_LOSS: "50",
  PMCOLLECT_RISK_PRICE_BAND: "0.02",
  PMCOLLECT_RISK_MAX_BOOK_AGE_MS: "2000",
  PMCOLLECT_RISK_MIN_EDGE: "0.005",
};
const LIVE = {
  PMCOLLECT_EXECUTOR: "live",
  PMCOLLECT_KEY_FILE: "/keys/key.age",
  PMCOLLECT_KEY_IDENTITY: "/keys/identity.txt",
  PMCOLLECT_SIGNATURE_TYPE: "0",
  ...LIMITS,
};

function refusal(env: Record<string, string>, flags: Record<string, string> = {}): ConfigError {
  try {
    loadConfig(env, flags);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("loadConfig accepted the configuration");
}

Deno.test("loadConfig() builds the live account only when every setting is explicit", () => {
  const config = loadConfig(LIVE);
  assert.equal(config.executor.mode, "live");
  assert.deepEqual(config.executor.live, {
    userWsUrl: "wss://ws-subscriptions-clob.polymarket.com/ws/user",
    keyFile: "/keys/key.age",
    keyIdentity: "/keys/identity.txt",
    signatureType: 0,
    funder: null,
    credentialsFile: null,
    signer: "auto",
    libsecp256k1: null,
  });
  assert.equal(loadConfig({}).executor.live, null);
  assert.equal(loadConfig({ PMCOLLECT_EXECUTOR: "paper" }).executor.live, null);
});

Deno.test("loadConfig() refuses live trading on a default limit, naming every one missing", () => {
  const { PMCOLLECT_RISK_MAX_DAILY_LOSS: _, PMCOLLECT_RISK_MIN_EDGE: __, ...some } = LIVE;
  const err = refusal(some);
  assert.equal(err.variable, "PMCOLLECT_EXECUTOR");
  assert.match(err.message, /missing: PMCOLLECT_RISK_MAX_DAILY_LOSS, PMCOLLECT_RISK_MIN_EDGE$/);
  assert.doesNotMatch(err.message, /\n/);
  // A flag counts as explicit.
  const withFlags = loadConfig(some, {
    PMCOLLECT_RISK_MAX_DAILY_LOSS: "10",
    PMCOLLECT_RISK_MIN_EDGE: "0.01",
  });
  assert.equal(withFlags.risk.maxDailyLoss, "10");
});

Deno.test("loadConfig() refuses live trading without the key, the account or any limit", () => {
  const err = refusal({ PMCOLLECT_EXECUTOR: "live" });
  for (
    const key of [
      "PMCOLLECT_KEY_FILE",
      "PMCOLLECT_KEY_IDENTITY",
      "PMCOLLECT_SIGNATURE_TYPE",
      ...Object.keys(LIMITS),
    ]
  ) {
    assert.ok(err.message.includes(key), `${key} named in: ${err.message}`);
  }
  const { PMCOLLECT_KEY_FILE: _, ...noKey } = LIVE;
  assert.match(refusal(noKey).message, /missing: PMCOLLECT_KEY_FILE$/);
  // A proxy or safe wallet needs its funder.
  assert.match(refusal({ ...LIVE, PMCOLLECT_SIGNATURE_TYPE: "2" }).message, /PMCOLLECT_FUNDER$/);
  const safe = loadConfig({
    ...LIVE,
    PMCOLLECT_SIGNATURE_TYPE: "2",
    PMCOLLECT_FUNDER: "0x52908400098527886E0F7030069857D2E4169EE7",
  });
  assert.equal(safe.executor.live?.signatureType, 2);
  assert.equal(
    refusal({ ...LIVE, PMCOLLECT_SIGNATURE_TYPE: "3" }).variable,
    "PMCOLLECT_SIGNATURE_TYPE",
  );
  assert.equal(refusal({ ...LIVE, PMCOLLECT_FUNDER: "0x12" }).variable, "PMCOLLECT_FUNDER");
});

Deno.test("loadConfig() reads who signs live orders: PMCOLLECT_SIGNER and PMCOLLECT_LIBSECP256K1", () => {
  const live = loadConfig({
    ...LIVE,
    PMCOLLECT_SIGNER: "noble",
    PMCOLLECT_LIBSECP256K1: "/opt/lib/libsecp256k1.so.2",
  }).executor.live!;
  assert.equal(live.signer, "noble");
  assert.equal(live.libsecp256k1, "/opt/lib/libsecp256k1.so.2");
  assert.equal(refusal({ ...LIVE, PMCOLLECT_SIGNER: "wasm" }).variable, "PMCOLLECT_SIGNER");
});

Deno.test("loadConfig() reads the kill switch's feed-silence limit, else the scanner's max book age", () => {
  assert.equal(loadConfig({}).killFeedSilenceMs, 10_000);
  assert.equal(loadConfig({ PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: "3000" }).killFeedSilenceMs, 3000);
  const apart = loadConfig({
    PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: "3000",
    PMCOLLECT_KILL_FEED_SILENCE_MS: "15000",
  });
  assert.equal(apart.scanner.maxBookAgeMs, 3000);
  assert.equal(apart.killFeedSilenceMs, 15_000);
  assert.equal(
    refusal({ PMCOLLECT_KILL_FEED_SILENCE_MS: "0" }).variable,
    "PMCOLLECT_KILL_FEED_SILENCE_MS",
  );
});

Deno.test("the intent journal is on by default, off on request, and nothing else is accepted", () => {
  assert.equal(loadConfig({}).executor.intentJournal, true);
  assert.equal(loadConfig({ PMCOLLECT_INTENT_JOURNAL: "off" }).executor.intentJournal, false);
  assert.equal(refusal({ PMCOLLECT_INTENT_JOURNAL: "yes" }).variable, "PMCOLLECT_INTENT_JOURNAL");
});
