/**
 * What every collector receives: configuration, the database, the venue edge, a logger,
 * the in-process active-token set, a clock, and its supervisor context for health/metrics.
 * Built once in the run command; collectors never build their own.
 */
import type { Config } from "../runtime/config.ts";
import type { Sql } from "../db/client.ts";
import type { HttpClient } from "../polymarket/http.ts";
import type { Reachability } from "../polymarket/reachability.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import type { ActiveTokens } from "./_active_tokens.ts";
import type { ShedState } from "../runtime/shed.ts";

export interface CollectorDeps {
  readonly config: Config;
  readonly sql: Sql;
  readonly http: HttpClient;
  readonly log: Logger;
  readonly activeTokens: ActiveTokens;
  /** Wall clock in epoch ms (tests inject one). */
  readonly now: () => number;
  /** What the disk guard sheds (quotes, book cadence); absent = nothing is shed. */
  readonly shed?: ShedState;
  /** Unreachable venue hosts, shared with `/healthz` (the websocket's too); optional. */
  readonly reachability?: Reachability;
  /** Health and metrics reporting; the supervisor passes one per run. */
  readonly context?: TaskContext;
}
