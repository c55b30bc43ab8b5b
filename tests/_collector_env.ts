/**
 * A collector under test: the local simulator, a fresh schema on the real PostgreSQL
 * (migrated), a configuration pointing at both, an HTTP client with short backoffs and
 * captured JSON log lines. `await using env = await createCollectorEnv(...)` cleans up.
 */
import { loadConfig, type RawSettings } from "../runtime/config.ts";
import { createLogger } from "../runtime/log.ts";
import { migrate } from "../db/migrate.ts";
import type { MarketRow } from "../db/catalog.ts";
import { createHttpClient } from "../polymarket/http.ts";
import { createRateLimiter } from "../polymarket/rate_limiter.ts";
import { type Simulator, type SimulatorOptions, startSimulator } from "../simulator/server.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";

export interface CollectorEnv extends AsyncDisposable {
  sim: Simulator;
  deps: CollectorDeps;
  lines: Record<string, unknown>[];
}

export interface CollectorEnvOptions {
  /** Settings on top of the simulator's URLs. */
  settings?: RawSettings;
  simulator?: SimulatorOptions;
  /** Pause the simulator's world (default true): no ticks unless the test advances it. */
  paused?: boolean;
  now?: () => number;
}

/** Starts the simulator and a migrated test schema, and builds collector deps for both. */
export async function createCollectorEnv(options: CollectorEnvOptions = {}): Promise<CollectorEnv> {
  const sim = await startSimulator({ markets: 300, lifecycleRate: 0, ...options.simulator });
  if (options.paused ?? true) sim.control.pause();
  const db = await createTestDatabase("server");
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  await migrate(db.sql, { log, timescale: "auto" });
  const config = loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    PMCOLLECT_GAMMA_URL: sim.url,
    PMCOLLECT_CLOB_URL: sim.url,
    PMCOLLECT_DATA_API_URL: sim.url,
    ...options.settings,
  });
  const http = createHttpClient({
    baseUrls: { gamma: sim.url, clob: sim.url, dataApi: sim.url },
    limiter: createRateLimiter(),
    log,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
  });
  const deps: CollectorDeps = {
    config,
    sql: db.sql,
    http,
    log,
    activeTokens: createActiveTokens(),
    now: options.now ?? Date.now,
  };
  return {
    sim,
    deps,
    lines,
    [Symbol.asyncDispose]: async () => {
      await sim.close();
      await db.dispose();
    },
  };
}

/** A markets row with every optional column empty, for tests that seed the catalog. */
export function marketRow(
  ids: Pick<MarketRow, "marketId" | "conditionId">,
  overrides: Partial<MarketRow> = {},
): MarketRow {
  return {
    ...ids,
    questionId: null,
    eventId: null,
    slug: null,
    question: null,
    outcomes: ["Yes", "No"],
    negRisk: false,
    negRiskMarketId: null,
    groupItemTitle: null,
    tickSize: null,
    minOrderSize: null,
    active: true,
    closed: false,
    archived: false,
    acceptingOrders: true,
    enableOrderBook: true,
    volume: null,
    liquidity: null,
    startDate: null,
    endDate: null,
    closedTime: null,
    ...overrides,
  };
}
