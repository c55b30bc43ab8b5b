/**
 * A database outage during the prices collector: the collector's connections go through a TCP
 * proxy in front of the real PostgreSQL, which the test closes (every connection dropped, new
 * ones refused) for a few cycles and reopens. The minutes that could not be written must come
 * back as `gaps` and `collector_runs` rows once the database is back, from the same process.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase } from "../db/client.ts";
import { runPricesCollector } from "../collectors/prices.ts";
import { silentLogger } from "../runtime/log.ts";
import { loadConfig } from "../runtime/config.ts";
import { createCollectorEnv } from "./_collector_env.ts";
import { TEST_DATABASE_URL } from "./_db.ts";
import { PgProxy, until } from "./_trades_harness.ts";

const INTERVAL_MS = 500;

Deno.test("prices: minutes missed while the database is down get gaps and collector_runs rows", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_outage_" });
  await using env = await createCollectorEnv({
    simulator: { markets: 20, seed: 31 },
    settings: { PMCOLLECT_PRICES_INTERVAL_S: String(INTERVAL_MS / 1000) },
  });
  const direct = env.deps.sql;
  const [{ schema }] = await direct<{ schema: string }[]>`select current_schema() as schema`;
  const proxy = new PgProxy();
  proxy.open();
  const url = new URL(TEST_DATABASE_URL);
  url.port = String(proxy.port);
  const proxied = await openDatabase(
    { url: url.toString(), dataDir: "", schema, poolSize: 2, connectRetryMaxMs: 200 },
    { log: silentLogger(), signal: new AbortController().signal },
  );
  const config = loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    PMCOLLECT_GAMMA_URL: env.sim.url,
    PMCOLLECT_CLOB_URL: env.sim.url,
    PMCOLLECT_DATA_API_URL: env.sim.url,
    PMCOLLECT_PRICES_INTERVAL_S: String(INTERVAL_MS / 1000),
    PMCOLLECT_DATA_DIR: dataDir,
  });
  const controller = new AbortController();
  let crashed: unknown = null;
  const running = runPricesCollector(
    { ...env.deps, config, sql: proxied.sql },
    controller.signal,
  ).catch((err) => {
    if (!controller.signal.aborted) crashed = err;
  });
  try {
    const count = async (sql: string) => Number((await direct.unsafe(sql))[0]!.n);
    await until(async () => (await count("select count(*) as n from price_snapshots")) > 0, 20_000);
    await proxy.close();
    const downAt = Date.now();
    await sleep(4 * INTERVAL_MS);
    const upAt = Date.now();
    proxy.open();
    // The first slot entirely inside the outage up to the last one that started before it ended.
    const first = Math.ceil(downAt / INTERVAL_MS) * INTERVAL_MS;
    const slots: number[] = [];
    for (let t = first; t + INTERVAL_MS <= upAt; t += INTERVAL_MS) slots.push(t);
    assert.ok(slots.length >= 2, `${slots.length} slots inside the outage`);
    await until(async () => {
      const runs = await direct<{ n: number }[]>`
        select count(*)::int as n from collector_runs
        where collector = 'prices' and started_at > ${new Date(upAt + INTERVAL_MS)}`;
      return (runs[0]?.n ?? 0) > 0;
    }, 20_000);
    await until(async () => {
      const [row] = await direct<{ n: number }[]>`
        select count(*)::int as n from gaps where collector = 'prices'
        and start_at >= ${new Date(first)} and start_at < ${new Date(upAt)}`;
      return (row?.n ?? 0) >= slots.length - 1;
    }, 10_000);
    assert.equal(crashed, null, `the collector kept running: ${crashed}`);
    for (const slot of slots) {
      const at = new Date(slot);
      const runs = await direct<{ status: string }[]>`
        select status from collector_runs where collector = 'prices' and started_at = ${at}`;
      const gaps = await direct<{ cause: string }[]>`
        select cause from gaps where collector = 'prices' and scope = '*' and start_at = ${at}`;
      const snaps = await direct`select 1 from price_snapshots where ts = ${at} limit 1`;
      assert.equal(runs.length, 1, `a collector_runs row for ${at.toISOString()}`);
      assert.ok(
        snaps.length > 0 || gaps.length > 0,
        `${at.toISOString()}: snapshots or a gap (${JSON.stringify(runs)})`,
      );
      if (runs[0]!.status === "failed") {
        assert.equal(gaps.length, 1, `a gap row for the failed ${at.toISOString()}`);
      }
    }
    const [failed] = await direct<{ n: number }[]>`
      select count(*)::int as n from gaps where collector = 'prices'
      and cause = 'db_unavailable' and start_at >= ${new Date(first)}`;
    assert.ok((failed?.n ?? 0) >= 1, "the outage's cause is named");
  } finally {
    controller.abort(new Error("test over"));
    await running;
    await proxied.close(1);
    await proxy.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
