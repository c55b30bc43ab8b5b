/**
 * A Gamma page whose array key is renamed (`{"data": [...], "next_cursor": null}`) is an
 * unrecognised page: the prices cycle fails and leaves a gap, never an `ok` with 0 rows
 * (issue 12). A local `Deno.serve` answers every Gamma request with that page; the database
 * is the real PostgreSQL (own schema).
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { runPricesCollector } from "../collectors/prices.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import { migrate } from "../db/migrate.ts";
import { createHttpClient } from "../polymarket/http.ts";
import { createRateLimiter } from "../polymarket/rate_limiter.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";

const FIXTURE = new URL(
  "./fixtures/polymarket/gamma/markets_resolved_negrisk_2024_election.json",
  import.meta.url,
);

Deno.test("prices: a Gamma page with its array under a renamed key fails the cycle with a gap", async () => {
  const markets = JSON.parse(await Deno.readTextFile(FIXTURE)) as unknown[];
  const page = JSON.stringify({ data: markets, next_cursor: null });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(page, { headers: { "content-type": "application/json" } }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const db = await createTestDatabase("server");
  const log = silentLogger();
  const controller = new AbortController();
  try {
    await migrate(db.sql, { log, timescale: "off" });
    const config = loadConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      PMCOLLECT_GAMMA_URL: url,
      PMCOLLECT_PRICES_INTERVAL_S: "0.25",
    });
    const http = createHttpClient({
      baseUrls: { gamma: url, clob: url, dataApi: url },
      limiter: createRateLimiter(),
      log,
      backoffBaseMs: 5,
      backoffMaxMs: 20,
    });
    const deps = {
      config,
      sql: db.sql,
      http,
      log,
      activeTokens: createActiveTokens(),
      now: Date.now,
    };
    const running = runPricesCollector(deps, controller.signal).catch(() => {});
    const deadline = Date.now() + 10_000;
    let runs: { status: string; rows_written: number }[] = [];
    while (Date.now() < deadline) {
      runs = await db.sql<{ status: string; rows_written: number }[]>`
        select status, rows_written::int from collector_runs
        where collector = 'prices' and finished_at is not null`;
      if (runs.filter((r) => r.status === "failed").length >= 2) break;
      await delay(20);
    }
    controller.abort();
    await running;
    assert.ok(runs.filter((r) => r.status === "failed").length >= 2, "no failed prices cycle");
    // Every cycle fails; a slot that came while one still ran is skipped (a loaded machine).
    assert.deepEqual(runs.filter((r) => r.status !== "failed" && r.status !== "skipped"), []);
    const gaps = await db.sql<{ cause: string; detail: { error?: string } }[]>`
      select cause, detail from gaps where collector = 'prices'`;
    // A skipped slot leaves its own "overlap" gap; every other gap is the bad page.
    const bad = gaps.filter((g) => g.cause !== "overlap");
    assert.ok(bad.length >= 2, JSON.stringify(gaps));
    assert.ok(bad.every((g) => g.cause === "unexpected_response"), JSON.stringify(gaps));
    assert.match(bad[0]!.detail.error ?? "", /not a markets page/);
  } finally {
    controller.abort();
    await server.shutdown();
    await db.dispose();
  }
});
