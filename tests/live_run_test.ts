/**
 * `pmcollect run --live` as an operator starts it, against the planted venue with its trading
 * routes and user channel on (simulator/plant_server.ts `trading`): `main.ts run` with the
 * markets collector reads the catalog, `main.ts relations` derives the planted structures, then
 * `main.ts run --live` with the websocket listener, the scanner and `PMCOLLECT_EXECUTOR=live`
 * (the key age-encrypted on disk, every limit explicit) prints the banner, trades the planted
 * basket and implication pair through the venue, and books the venue's trades as its fills.
 * A resting order of the same account is then canceled at the venue by `main.ts kill`, and
 * the daemon stops cleanly. Without `--live` the same settings exit 2 with one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { formatDec, parseDec } from "../edge/decimal.ts";
import { deriveApiCredentials } from "../execution/l1_auth.ts";
import { createLedger, placeOrder } from "../execution/ledger.ts";
import type { TickSize } from "../execution/order_amounts.ts";
import { OrderSigner } from "../execution/signer.ts";
import { tradingState } from "../execution/trading_state.ts";
import { VenueBroker } from "../execution/venue_broker.ts";
import { encryptKey, SecretKey } from "../keys/age_key.ts";
import { silentLogger } from "../runtime/log.ts";
import { plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import { createTestDatabase } from "./_db.ts";
import {
  type Daemon,
  FAST_SETTINGS,
  freePort,
  spawnDaemon,
  stopCleanly,
  until,
} from "./_e2e_harness.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(150_000);
const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));
const KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const MAX_AGE_MS = 3000;

/** `main.ts ARGS` to completion; its exit code and output. */
async function pmcollect(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, ...args],
    env,
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

test("pmcollect run --live trades planted episodes at the venue; pmcollect kill cancels there", async () => {
  const scenario = plantScenario({
    seed: 7,
    durationsMs: [3000],
    quietMs: 3000,
    noiseMs: 20,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const server = servePlantedScenario(scenario, {
    delayMs: 3000,
    playOn: "call",
    trading: { collateral: "5000", settleMs: 40 },
  });
  const db = await createTestDatabase("server");
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_live_run_" });
  const identity = await generateIdentity();
  const keyFile = join(dir, "key.age");
  const identityFile = join(dir, "identity.txt");
  await Deno.writeTextFile(identityFile, `${identity}\n`, { mode: 0o600 });
  await Deno.writeTextFile(keyFile, await encryptKey(KEY, await identityToRecipient(identity)), {
    mode: 0o600,
  });
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DATABASE_URL: db.url!,
    PMCOLLECT_DATA_DIR: join(dir, "data"),
    PMCOLLECT_GAMMA_URL: server.httpUrl,
    PMCOLLECT_CLOB_URL: server.httpUrl,
    PMCOLLECT_DATA_API_URL: server.httpUrl,
    PMCOLLECT_WS_MARKET_URL: server.url,
    ...FAST_SETTINGS,
    PMCOLLECT_MARKETS_INTERVAL_S: "3600",
  };
  const live: Record<string, string> = {
    ...env,
    PMCOLLECT_COLLECTORS: "markets,trades",
    PMCOLLECT_SCANNER: "on",
    PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
    PMCOLLECT_SCANNER_MAX_SKEW_MS: String(MAX_AGE_MS),
    // The planted venue is this test process: under the suite's parallel load it has been
    // starved for just over 3 s, and the stale-feed kill then halted the run it checks. Legs
    // still go stale at MAX_AGE_MS; only the whole-feed halt waits longer.
    PMCOLLECT_KILL_FEED_SILENCE_MS: "15000",
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_STREAM_RECORD: "off",
    PMCOLLECT_HEALTH_PORT: String(freePort()),
    PMCOLLECT_EXECUTOR: "live",
    PMCOLLECT_WS_USER_URL: server.userWsUrl!,
    PMCOLLECT_KEY_FILE: keyFile,
    PMCOLLECT_KEY_IDENTITY: identityFile,
    PMCOLLECT_SIGNATURE_TYPE: "0",
    PMCOLLECT_RISK_MAX_ORDER_NOTIONAL: "100",
    PMCOLLECT_RISK_MAX_MARKET_NOTIONAL: "400",
    PMCOLLECT_RISK_MAX_GROUP_NOTIONAL: "1000",
    PMCOLLECT_RISK_MAX_TOTAL_NOTIONAL: "3000",
    PMCOLLECT_RISK_MAX_OPEN_ORDERS: "20",
    PMCOLLECT_RISK_MAX_ORDERS_PER_S: "100",
    PMCOLLECT_RISK_MAX_DAILY_LOSS: "50",
    PMCOLLECT_RISK_PRICE_BAND: "0.02",
    PMCOLLECT_RISK_MAX_BOOK_AGE_MS: "2000",
    PMCOLLECT_RISK_MIN_EDGE: "0.005",
  };
  let daemon: Daemon | null = null;
  /**
   * The daemon's last warnings and errors, what the trader refused or did not fill and how each
   * trade ended (info lines, which a long run pushes out of the last ones), then its last lines
   * of any level, for a failure's message.
   */
  const trouble = () => {
    const events = daemon?.events ?? [];
    const warned = events.filter((e) => e.level === "warn" || e.level === "error").slice(-8);
    const trades = events.filter((e) =>
      ["executor_refused", "executor_order_not_filled", "executor_trade_done"].includes(
        String(e.event),
      )
    ).slice(-12);
    return `${JSON.stringify(warned)}; trades: ${JSON.stringify(trades)}; last lines: ${
      JSON.stringify(events.slice(-12))
    }`;
  };
  try {
    // 0. Without --live: exit 2, one line naming it, nothing opened.
    const refused = await pmcollect(["run"], live);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr.trim(), /^pmcollect: PMCOLLECT_EXECUTOR: .*--live/);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);

    // 1. The catalog, then the relations the product derives.
    daemon = spawnDaemon({
      ...env,
      PMCOLLECT_COLLECTORS: "markets",
      PMCOLLECT_HEALTH_PORT: String(freePort()),
    });
    await daemon.waitFor((e) => e.event === "cycle_done" && e.task === "markets", 30_000);
    await stopCleanly(daemon);
    daemon = null;
    const relations = await pmcollect(["relations", "--json"], env);
    assert.equal(relations.code, 0, relations.stderr);

    // 2. run --live: the banner, then the basket and the pair bought whole at the venue.
    daemon = spawnDaemon(live, ["--live"]);
    const started = await daemon.waitFor((e) => e.event === "live_trading_started", 40_000);
    // Played only now: on a loaded host the trader's start can outlast the first episodes.
    server.play();
    const signer = new OrderSigner(new SecretKey(KEY));
    assert.equal(started.account, signer.address);
    assert.equal(started.tradingMode, "active");
    assert.equal(started.reconciled, true);
    const traded = scenario.truth.filter((x) => x.expected && x.channel !== "neg_risk_conversion");
    const tokens = traded.flatMap((x) => {
      const markets = scenario.relations.find((r) => r.key === x.relationKey)!.markets;
      return x.channel === "neg_risk_basket"
        ? markets.map((m) => m.yesTokenId)
        : [markets[0]!.noTokenId, markets[1]!.yesTokenId];
    });
    assert.equal(tokens.length, 6);
    await until(async () => {
      const rows = await db.sql<{ shares: string }[]>`
        select sum(size)::text as shares from fills
        where side = 'BUY' and token_id = any(${tokens}) group by token_id`;
      return rows.length === tokens.length &&
        rows.every((r) => parseDec(r.shares) === parseDec(traded[0]!.depth));
    }, 40_000).catch((err) => assert.fail(`${err}; daemon: ${trouble()}`));
    // The venue's trades for the key are the ledger's fills.
    const venueFills = server.venue!.trades
      .filter((tr) => tr.order.owner.address === signer.address.toLowerCase())
      .map((tr) => [tr.order.id.toLowerCase(), formatDec(BigInt(tr.hundredths) * 10n ** 6n)])
      .sort();
    const ledgerFills = await db.sql<{ order_id: string; size: string }[]>`
      select order_id, size::text from fills`;
    assert.deepEqual(
      ledgerFills.map((f) => [f.order_id.toLowerCase(), formatDec(parseDec(f.size))]).sort(),
      venueFills,
      trouble(),
    );

    // 3. A resting order of the same account, then `pmcollect kill`: canceled at the venue.
    const credentials = await deriveApiCredentials(server.httpUrl, new SecretKey(KEY));
    const broker = new VenueBroker({
      clobUrl: server.httpUrl,
      dataApiUrl: server.httpUrl,
      userWsUrl: null,
      credentials,
      signer,
      marketRules: () =>
        Promise.resolve({ tickSize: "0.01" as TickSize, minOrderSize: "5", negRisk: true }),
      log: silentLogger(),
    });
    const token = scenario.relations[0]!.markets[0]!.yesTokenId;
    const rest = await placeOrder(createLedger(db.sql, { log: silentLogger() }), broker, {
      clientOrderId: "live-run-test-rest",
      tokenId: token,
      side: "BUY",
      orderType: "GTC",
      price: "0.02",
      size: "10",
      postOnly: false,
      expiration: null,
    });
    if (rest.kind !== "acked") assert.fail(JSON.stringify(rest));
    assert.equal(server.venue!.orders.get(rest.orderId)?.status, "LIVE");
    const killed = await pmcollect(["kill", "--reason", "test: kill", "--by", "live_run_test"], {
      ...env,
      PMCOLLECT_HEALTH_PORT: live.PMCOLLECT_HEALTH_PORT!,
    });
    assert.equal(killed.code, 0, killed.stderr);
    await until(() => server.venue!.orders.get(rest.orderId)?.status === "CANCELED", 10_000)
      .catch((err) => assert.fail(`${err}; kill said ${killed.stdout}; daemon: ${trouble()}`));
    assert.equal((await tradingState(db.sql)).mode, "halted");

    // 4. A clean stop; the human banner was on stderr.
    const stopped = await daemon.stop("SIGTERM");
    daemon = null;
    assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
    assert.match(stopped.stderr, new RegExp(`LIVE TRADING as ${signer.address} .* mode active`));
  } finally {
    await daemon?.stop("SIGTERM");
    await server.close();
    await db.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
