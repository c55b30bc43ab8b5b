/**
 * Live trading (`PMCOLLECT_EXECUTOR=live`, `run --live`; execution/live_venue.ts) composed as
 * the run command composes it, with the planted venue as the exchange: the planted scenario on a
 * loopback port with its trading routes and user channel on (simulator/plant_server.ts
 * `trading`), the trades listener feeding the scanner task, the live executor and its kill
 * switch under the supervisor, the ledger in a test schema of the real PostgreSQL, the key
 * age-encrypted on disk and the API credentials derived with an L1 signature.
 *
 * The basket and the implication pair are traded through the venue broker: the venue's trades
 * for our key (`/data/trades`, L2) are the ledger's fills, one for one; the venue's orders are
 * the ledger's orders (same ids, statuses and matched sizes). A resting order is then placed,
 * shown in `/data/orders`, and `pmcollect kill` (the command's function, through the health
 * port's `POST /kill`) cancels it at the venue and halts. Then the refusals: no `--live`, a key
 * file that is not there, and (runtime/config_test.ts) default limits. An order at the venue
 * that the ledger does not hold halts the start: banner, mode and stored reconciliation.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runKillCommand } from "../cli/kill_command.ts";
import { runRunCommand } from "../cli/run_command.ts";
import type { Queryable } from "../db/client.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import { deriveApiCredentials } from "../execution/l1_auth.ts";
import { l2Headers } from "../execution/l2_headers.ts";
import { placeOrder } from "../execution/ledger.ts";
import { createLedger } from "../execution/ledger.ts";
import { openLiveAccount } from "../execution/live_account.ts";
import { startLiveVenue } from "../execution/live_venue.ts";
import type { TickSize } from "../execution/order_amounts.ts";
import { tradingState } from "../execution/trading_state.ts";
import { VenueBroker } from "../execution/venue_broker.ts";
import { encryptKey } from "../keys/age_key.ts";
import { type Config, ConfigError, loadConfig } from "../runtime/config.ts";
import { serveHealth } from "../runtime/health.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { runScanner } from "../scanner/run.ts";
import { type PlantedScenario, plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import { setup, startCollector, until } from "./_trades_harness.ts";
import { testWithin } from "./_time_limit.ts";

const log = Deno.env.get("LV_DEBUG") ? createLogger({}, {}) : silentLogger();
const KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const MAX_AGE_MS = 3000;
const test = testWithin(90_000);

/** Every limit explicit, as live trading demands; room for one round of each plant. */
const LIMITS = {
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

/** The key age-encrypted to a fresh identity, both files private, in `dir`. */
async function keyFiles(dir: string): Promise<Record<string, string>> {
  const identity = await generateIdentity();
  const keyFile = join(dir, "key.age");
  const identityFile = join(dir, "identity.txt");
  await Deno.writeTextFile(identityFile, `${identity}\n`, { mode: 0o600 });
  await Deno.writeTextFile(keyFile, await encryptKey(KEY, await identityToRecipient(identity)), {
    mode: 0o600,
  });
  return {
    PMCOLLECT_EXECUTOR: "live",
    PMCOLLECT_KEY_FILE: keyFile,
    PMCOLLECT_KEY_IDENTITY: identityFile,
    PMCOLLECT_SIGNATURE_TYPE: "0",
    ...LIMITS,
  };
}

/** The scenario's relations as catalog rows (tick, minimum size, neg-risk: the order rules). */
async function seedCatalog(sql: Queryable, scenario: PlantedScenario): Promise<void> {
  for (const r of scenario.relations) {
    const group = r.kind === "group";
    for (const m of r.markets) {
      await sql`insert into markets (market_id, event_id, condition_id, tick_size, min_order_size,
          end_date, question_index, fee_rate, fee_exponent, fee_taker_only, neg_risk)
        values (${m.marketId}, ${`ev-${r.key}`}, ${m.conditionId}, ${m.tickSize},
          ${m.minOrderSize}, ${m.endDate}, ${m.questionIndex ?? null}, 0, 1, true, ${group})`;
      await sql`insert into tokens (token_id, market_id, outcome_index)
        values (${m.yesTokenId}, ${m.marketId}, 0), (${m.noTokenId}, ${m.marketId}, 1)`;
    }
    await sql`insert into relations (relation_key, type, members, provenance, status, rules_digest)
      values (${r.key}, ${group ? "partition" : "implies"}, ${r.markets.map((m) => m.marketId)},
        'test', ${group && !r.complete ? "incomplete" : "confirmed"}, 'd')`;
  }
}

/** A private CLOB route read with our L2 headers (what the venue says, not what we booked). */
async function venueGet(config: Config, path: string): Promise<unknown[]> {
  const account = await openLiveAccount(config.executor.live!);
  const credentials = await deriveApiCredentials(config.api.clobUrl, account.key);
  const headers = await l2Headers(account.signer.address, credentials, {
    method: "GET",
    requestPath: path,
  }, Math.floor(Date.now() / 1000));
  const res = await fetch(`${config.api.clobUrl}${path}`, { headers: { ...headers } });
  assert.equal(res.status, 200, path);
  return ((await res.json()) as { data: unknown[] }).data;
}

test("live: planted episodes traded through the venue broker; the ledger is the venue's; pmcollect kill cancels at the venue", async () => {
  const scenario = plantScenario({
    seed: 7,
    durationsMs: [3000],
    quietMs: 3000,
    noiseMs: 20,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const t = await setup({
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_QUOTES_INTERVAL_MS: "0",
    PMCOLLECT_STREAM_RECORD: "off",
    PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
    PMCOLLECT_SCANNER_MAX_SKEW_MS: String(MAX_AGE_MS),
    ...await keyFiles(await Deno.makeTempDir({ prefix: "pmcollect_live_" })),
  });
  const sql = t.db.sql;
  await seedCatalog(sql, scenario);
  // No conversion fee known: conversions are not planned (live cannot convert); the basket and
  // the implication pair are traded.
  const traded = scenario.truth.filter((x) => x.expected && x.channel !== "neg_risk_conversion");
  assert.equal(traded.length, 2);

  const server = servePlantedScenario(scenario, {
    delayMs: 800,
    playOn: "subscribe",
    trading: { collateral: "5000", settleMs: 40 },
  });
  const controller = new AbortController();
  const signal = controller.signal;
  const lines: string[] = [];
  let config: Config = {
    ...t.config,
    api: {
      ...t.config.api,
      wsMarketUrl: server.url,
      clobUrl: server.httpUrl,
      dataApiUrl: server.httpUrl,
    },
    executor: {
      ...t.config.executor,
      live: { ...t.config.executor.live!, userWsUrl: server.userWsUrl! },
    },
  };
  const feed = createScannerFeed();
  const collector = await startCollector({ ...t.deps(sql), config, bookFeed: feed });
  const set = new RelationSet(scenario.relations);
  t.activeTokens.publish(
    set.tokens().map((tokenId) => ({
      tokenId,
      conditionId: set.marketOf(tokenId)!.conditionId,
      marketId: set.marketOf(tokenId)!.marketId,
    })),
  );
  let supervisor: ReturnType<typeof runSupervisor> | null = null;
  let health: ReturnType<typeof serveHealth> | null = null;
  try {
    const account = await openLiveAccount(config.executor.live!);
    const live = await startLiveVenue({
      config,
      sql,
      log,
      feed,
      account,
      say: (line) => lines.push(line),
    }, signal);
    // The banner: the account, the venue, every limit, the doors and the mode.
    assert.equal(live.banner.account, account.signer.address);
    assert.equal(live.banner.tradingMode, "active");
    assert.equal(live.banner.reconciled, true);
    assert.equal(lines.length, 1);
    for (const part of [account.signer.address, new URL(server.httpUrl).host, "pmcollect kill"]) {
      assert.ok(lines[0]!.includes(part), `${part} in ${lines[0]}`);
    }
    for (const value of Object.values(LIMITS)) assert.ok(lines[0]!.includes(value), value);

    supervisor = runSupervisor([
      {
        name: "scanner",
        run: (s, context) =>
          runScanner({ ...t.deps(sql), config, context, feed, tap: live.tap }, s),
      },
      ...live.tasks,
    ], { signal, log });
    health = serveHealth(supervisor, { port: 0, signal, log, kill: live.kill });
    config = { ...config, health: { ...config.health, port: health.port } };

    // 1. Each plan's legs bought whole at the venue.
    const boughtTokens = (key: string, channel: string) => {
      const markets = scenario.relations.find((r) => r.key === key)!.markets;
      if (channel === "neg_risk_basket") return markets.map((m) => m.yesTokenId);
      return [markets[0]!.noTokenId, markets[1]!.yesTokenId];
    };
    const tokens = traded.flatMap((x) => boughtTokens(x.relationKey, x.channel));
    const venueTrades = async () =>
      (await venueGet(config, "/data/trades")) as {
        id: string;
        taker_order_id: string;
        asset_id: string;
        side: string;
        size: string;
        price: string;
      }[];
    await until(async () => {
      const rows = await sql<{ token_id: string; shares: string }[]>`
        select token_id, sum(size)::text as shares from fills
        where side = 'BUY' and token_id = any(${tokens}) group by token_id`;
      return rows.length === tokens.length &&
        rows.every((r) => parseDec(r.shares) === parseDec(traded[0]!.depth));
    }, 30_000);

    // 2. The ledger's fills are the venue's trades, one for one; its orders are the venue's.
    const ledgerFills = await sql<
      { fill_id: string; order_id: string; token_id: string; size: string; price: string }[]
    >`select fill_id, order_id, token_id, size::text, price::text from fills order by fill_id`;
    const trades = await venueTrades();
    assert.ok(trades.length >= tokens.length, `${trades.length} trades at the venue`);
    const fromVenue = trades.map((tr) => [
      `${tr.id}:${tr.taker_order_id}`,
      tr.taker_order_id.toLowerCase(),
      tr.asset_id,
      formatDec(parseDec(tr.size)),
      formatDec(parseDec(tr.price)),
    ]).sort((a, b) => a[0]!.localeCompare(b[0]!));
    assert.deepEqual(
      ledgerFills.map((f) => [
        f.fill_id,
        f.order_id.toLowerCase(),
        f.token_id,
        formatDec(parseDec(f.size)),
        formatDec(parseDec(f.price)),
      ]),
      fromVenue,
    );
    const venueOrders = [...server.venue!.orders.values()]
      .map((o) => [o.id.toLowerCase(), o.status, formatDec(BigInt(o.matched) * 10n ** 6n)])
      .sort((a, b) => a[0]!.localeCompare(b[0]!));
    const ledgerOrders = await sql<{ order_id: string; status: string; size_matched: string }[]>`
      select order_id, status, size_matched::text from orders`;
    assert.deepEqual(
      ledgerOrders.map((o) => [
        o.order_id.toLowerCase(),
        o.status,
        formatDec(parseDec(o.size_matched)),
      ]).sort((a, b) => a[0]!.localeCompare(b[0]!)),
      venueOrders,
    );
    assert.ok(venueOrders.length >= tokens.length, `${venueOrders.length} orders`);

    // 3. A resting order, at the venue and in /data/orders; `pmcollect kill` cancels it there.
    const token = scenario.relations[0]!.markets[0]!.yesTokenId;
    const rest = await placeOrder(createLedger(sql, { log }), live.broker, {
      clientOrderId: "live-test-rest",
      tokenId: token,
      side: "BUY",
      orderType: "GTC",
      price: "0.02",
      size: "10",
      postOnly: false,
      expiration: null,
    }, { signal });
    if (rest.kind !== "acked") assert.fail(JSON.stringify(rest));
    const open = (await venueGet(config, "/data/orders")) as { id: string }[];
    assert.deepEqual(open.map((o) => o.id), [rest.orderId]);
    const killLines: string[] = [];
    const code = await runKillCommand(
      loadConfig({ DATABASE_URL: t.db.url!, PMCOLLECT_HEALTH_PORT: String(health.port) }),
      {
        log,
        signal,
        write: (l) => killLines.push(l),
        args: ["--reason", "test: pmcollect kill", "--by", "live_venue_test"],
      },
    );
    assert.equal(code, 0, killLines.join("\n"));
    assert.equal(server.venue!.orders.get(rest.orderId)?.status, "CANCELED");
    assert.deepEqual(await venueGet(config, "/data/orders"), []);
    assert.equal(live.risk.mode, "halted");
    assert.equal((await tradingState(sql)).mode, "halted");
    await until(async () => {
      const [row] = await sql<{ status: string }[]>`
        select status from orders where order_id = ${rest.orderId}`;
      return row?.status === "CANCELED";
    }, 10_000);
  } finally {
    controller.abort();
    await supervisor?.done;
    await health?.done;
    await collector.stop();
    await server.close();
    await t.dispose();
  }
});

test("live: run refuses without --live, and a key file that is not there is a bad setting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_live_" });
  try {
    const env = { ...await keyFiles(dir), PMCOLLECT_HEALTH_PORT: "0" };
    const signal = new AbortController().signal;
    await assert.rejects(
      runRunCommand(loadConfig(env), { log, signal }),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === "PMCOLLECT_EXECUTOR" &&
        /--live/.test(err.message),
    );
    await assert.rejects(
      runRunCommand(loadConfig({ ...env, PMCOLLECT_EXECUTOR: "paper" }), {
        log,
        signal,
        live: true,
      }),
      (err: unknown) => err instanceof ConfigError && /PMCOLLECT_EXECUTOR=live/.test(err.message),
    );
    const missing = { ...env, PMCOLLECT_KEY_FILE: join(dir, "nowhere.age") };
    await assert.rejects(
      runRunCommand(loadConfig(missing), { log, signal, live: true }),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === "PMCOLLECT_KEY_FILE" &&
        err.message.includes("nowhere.age"),
    );
    // The right key, the wrong identity: refused the same way, the key never quoted.
    const other = await keyFiles(await Deno.makeTempDir({ dir }));
    const wrong = { ...env, PMCOLLECT_KEY_IDENTITY: other.PMCOLLECT_KEY_IDENTITY! };
    await assert.rejects(
      openLiveAccount(loadConfig(wrong).executor.live!),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === "PMCOLLECT_KEY_FILE" &&
        !err.message.includes(KEY),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("live: an order at the venue that the ledger does not hold halts the start, before any order", async () => {
  const scenario = plantScenario({ seed: 7, durationsMs: [3000], maxBookAgeMs: MAX_AGE_MS });
  const t = await setup(await keyFiles(await Deno.makeTempDir({ prefix: "pmcollect_live_" })));
  const server = servePlantedScenario(scenario, {
    delayMs: 60_000,
    playOn: "subscribe",
    trading: { collateral: "5000", settleMs: 40 },
  });
  const controller = new AbortController();
  let broker: VenueBroker | null = null;
  try {
    await seedCatalog(t.db.sql, scenario);
    const config: Config = {
      ...t.config,
      api: { ...t.config.api, clobUrl: server.httpUrl, dataApiUrl: server.httpUrl },
      executor: {
        ...t.config.executor,
        live: { ...t.config.executor.live!, userWsUrl: server.userWsUrl! },
      },
    };
    const account = await openLiveAccount(config.executor.live!);
    // Another client of the same account rests an order the ledger never heard of.
    const credentials = await deriveApiCredentials(server.httpUrl, account.key);
    const market = scenario.relations[0]!.markets[0]!;
    const stranger = new VenueBroker({
      clobUrl: server.httpUrl,
      dataApiUrl: server.httpUrl,
      userWsUrl: null,
      credentials,
      signer: account.signer,
      marketRules: () =>
        Promise.resolve({ tickSize: "0.01" as TickSize, minOrderSize: "5", negRisk: true }),
      log,
    });
    const placed = await stranger.submit({
      clientOrderId: "elsewhere-1",
      tokenId: market.yesTokenId,
      side: "BUY",
      orderType: "GTC",
      price: "0.02",
      size: "10",
      postOnly: false,
      expiration: null,
    });
    assert.ok(placed.ok, JSON.stringify(placed));
    const lines: string[] = [];
    const live = await startLiveVenue({
      config,
      sql: t.db.sql,
      log,
      feed: createScannerFeed(),
      account,
      say: (line) => lines.push(line),
    }, controller.signal);
    broker = live.broker;
    assert.equal(live.banner.reconciled, false);
    assert.equal(live.banner.tradingMode, "halted");
    assert.equal(live.risk.mode, "halted");
    assert.match(lines[0]!, /WITH DIFFERENCES \(halted\)/);
    const [row] = await t.db.sql<{ ok: boolean; differences: { kind: string }[] }[]>`
      select ok, differences from reconciliations order by id desc limit 1`;
    assert.equal(row!.ok, false);
    assert.ok(row!.differences.length >= 1, JSON.stringify(row!.differences));
    const [{ intents }] = await t.db.sql<{ intents: number }[]>`
      select count(*)::int as intents from intents`;
    assert.equal(intents, 0);
  } finally {
    controller.abort();
    await broker?.closed();
    await server.close();
    await t.dispose();
  }
});
