/**
 * The two connections every command builds from the configuration: the database and the
 * venue's HTTP client (with its own rate limiter, so each command has its own budget); and the
 * check that the database is migrated, for commands that refuse to run on an old schema.
 */
import { type Database, openDatabase, type Sql } from "../db/client.ts";
import { migrationStatus } from "../db/migrate.ts";
import { createHttpClient, type HttpClient } from "../polymarket/http.ts";
import { type Budget, createRateLimiter, type EndpointFamily } from "../polymarket/rate_limiter.ts";
import type { Reachability } from "../polymarket/reachability.ts";
import type { Config } from "../runtime/config.ts";
import type { Logger } from "../runtime/log.ts";

/**
 * Opens the configured database; `poolSize` caps the pool for short-lived commands. On the
 * embedded database a command joins the process already running there (the collector) unless
 * `joinRunning` is false: only the collector itself refuses to share its data directory.
 */
export function openConfiguredDatabase(
  config: Config,
  context: { log: Logger; signal: AbortSignal; poolSize?: number; joinRunning?: boolean },
): Promise<Database> {
  return openDatabase({
    url: config.database.url,
    dataDir: config.dataDir,
    poolSize: context.poolSize ?? config.database.poolSize,
    connectRetryMaxMs: config.database.connectRetryMaxMs,
    joinRunning: context.joinRunning ?? true,
  }, { log: context.log, signal: context.signal });
}

/** An HTTP client for Gamma, CLOB and the Data API with the given rate budgets. */
export function createVenueHttp(
  config: Config,
  context: {
    log: Logger;
    budgets: Partial<Record<EndpointFamily, Budget>>;
    reachability?: Reachability;
  },
): HttpClient {
  return createHttpClient({
    baseUrls: {
      gamma: config.api.gammaUrl,
      clob: config.api.clobUrl,
      dataApi: config.api.dataApiUrl,
    },
    limiter: createRateLimiter({ budgets: context.budgets }),
    log: context.log.child({ component: "http" }),
    timeoutMs: config.api.timeoutMs,
    reachability: context.reachability,
  });
}

/** False, after telling the user to run `pmcollect --migrate`, when a migration is pending. */
export async function schemaIsCurrent(sql: Sql, write: (line: string) => void): Promise<boolean> {
  const status = await migrationStatus(sql);
  if (status.mode !== null && status.migrations.every((m) => m.state !== "pending")) return true;
  write("the schema is not up to date: run `pmcollect --migrate` first");
  return false;
}
