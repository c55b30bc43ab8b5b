/**
 * Runs only the trades collector, for the SIGKILL test: env DATABASE_URL, TEST_SCHEMA,
 * PMCOLLECT_* settings and TRADES_TOKENS (JSON array of token ids) or TRADES_TOKENS_FILE. Stops on SIGTERM.
 */
import postgres from "postgres";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import { runTradesCollector } from "../collectors/trades.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import type { HttpClient } from "../polymarket/http.ts";

const env = Deno.env.toObject();
const config = loadConfig(env);
const sql = postgres(env.DATABASE_URL, {
  max: 2,
  connect_timeout: 2,
  onnotice: () => {},
  connection: { search_path: env.TEST_SCHEMA },
});
const activeTokens = createActiveTokens();
const ids: string[] = JSON.parse(
  env.TRADES_TOKENS_FILE
    ? await Deno.readTextFile(env.TRADES_TOKENS_FILE)
    : env.TRADES_TOKENS ?? "[]",
);
activeTokens.publish(ids.map((tokenId) => ({ tokenId, conditionId: null, marketId: "0" })));
const controller = new AbortController();
Deno.addSignalListener("SIGTERM", () => controller.abort());
const log = silentLogger();
await runTradesCollector({
  config,
  sql,
  http: null as unknown as HttpClient,
  log,
  activeTokens,
  now: Date.now,
}, controller.signal).catch(() => {});
await sql.end({ timeout: 1 });
Deno.exit(0);
