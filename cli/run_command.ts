/**
 * `pmcollect run` (the default): open the database, migrate if needed, then run the enabled
 * collectors, the relation registry's refresh task, the scanner and the disk guard under the
 * supervisor with `/healthz` + `/metrics` and per-minute health lines, until the signal
 * aborts. Then every task drains and the database closes. With `PMCOLLECT_EXECUTOR=paper` the
 * live paper executor and its kill switch run too (execution/live_paper.ts; `POST /kill`); with
 * `PMCOLLECT_EXECUTOR=live` and `--live`, the executor trading the venue
 * (execution/live_venue.ts).
 *
 * This is the one place where collector tasks are built from their shared dependencies.
 *
 * @example
 * ```ts
 * import { runRunCommand } from "./run_command.ts";
 * const code = await runRunCommand(config, { log, signal: root.signal });
 * ```
 */
import { createVenueHttp, openConfiguredDatabase } from "./_connect.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import { recordTradesDowntime } from "../collectors/_downtime_gap.ts";
import { runBooksCollector } from "../collectors/books.ts";
import { runMarketsCollector } from "../collectors/markets.ts";
import { runPricesCollector } from "../collectors/prices.ts";
import { runQualityMetrics } from "../backfill/quality_metrics.ts";
import { createResolutionInbox } from "../collectors/resolution_inbox.ts";
import { runResolutionsCollector } from "../collectors/resolutions.ts";
import { runTradesCollector } from "../collectors/trades.ts";
import { migrate } from "../db/migrate.ts";
import { scaleBudgets } from "../polymarket/rate_limiter.ts";
import { createReachability } from "../polymarket/reachability.ts";
import { type CollectorName, type Config, ConfigError } from "../runtime/config.ts";
import { assertHealthPortFree, runHealthLog, serveHealth } from "../runtime/health.ts";
import { LoopLag, runLoopLagSampler } from "../runtime/loop_lag.ts";
import type { Logger } from "../runtime/log.ts";
import { runSupervisor, type TaskSpec } from "../runtime/supervisor.ts";
import { createMetrics } from "../runtime/_metrics.ts";
import { runTimescaleJobsWatch } from "../db/timescale_jobs_health.ts";
import { createShedState } from "../runtime/shed.ts";
import { runDiskGuard } from "./_disk.ts";
import { createScannerFeed, type ScannerFeed } from "../scanner/feed.ts";
import { runScanner } from "../scanner/run.ts";
import { RefreshNotice, runRelationsRefresh } from "../relations/refresh_task.ts";
import { runForecastTask } from "../models/forecast_task.ts";
import { startLivePaper } from "../execution/live_paper.ts";
import { openLiveAccount } from "../execution/live_account.ts";
import { startLiveVenue } from "../execution/live_venue.ts";

type CollectorRunner = (deps: CollectorDeps, signal: AbortSignal) => Promise<void>;

/**
 * The full set for one process: the websocket listener hands `market_resolved` messages to the
 * resolution tracker through an in-process inbox, and book events of watched tokens to the
 * scanner through `feed` when there is one.
 */
export function collectorRunners(
  feed?: ScannerFeed,
): Readonly<Record<CollectorName, CollectorRunner>> {
  const inbox = createResolutionInbox();
  return {
    markets: runMarketsCollector,
    prices: runPricesCollector,
    books: runBooksCollector,
    trades: (deps, signal) => {
      // In the background: a database that is down at start must not delay listening.
      void recordTradesDowntime(deps, new Date(deps.now()));
      return runTradesCollector({
        ...deps,
        onMarketResolved: (m) => void inbox.push(m),
        ...(feed === undefined ? {} : { bookFeed: feed }),
      }, signal);
    },
    resolutions: (deps, signal) => runResolutionsCollector(deps, signal, { inbox }),
  };
}

/** One supervisor task per enabled collector that this binary has a runner for. */
export function buildCollectorTasks(
  shared: Omit<CollectorDeps, "context">,
  runners: Readonly<Partial<Record<CollectorName, CollectorRunner>>> = collectorRunners(),
): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  for (const name of shared.config.collectors.enabled) {
    const runner = runners[name];
    if (runner === undefined) {
      shared.log.warn("collector_not_built", { task: name });
      continue;
    }
    const log = shared.log.child({ task: name });
    tasks.push({ name, run: (signal, context) => runner({ ...shared, log, context }, signal) });
  }
  return tasks;
}

/** Runs until `signal` aborts, then drains and closes; returns the exit code. */
export async function runRunCommand(
  config: Config,
  context: {
    readonly log: Logger;
    readonly signal: AbortSignal;
    /** `run --live`: the operator's own word that the venue may be traded. */
    readonly live?: boolean;
  },
): Promise<number> {
  const { log, signal } = context;
  // The scanner reads the listener's books: it runs only alongside the trades collector.
  const scanning = config.scanner.enabled && config.collectors.enabled.includes("trades");
  const mode = config.executor.mode;
  if (mode === "live" && context.live !== true) {
    throw new ConfigError(
      "PMCOLLECT_EXECUTOR",
      "live trades the venue with real money: start the command with --live (pmcollect run --live)",
    );
  }
  if (mode !== "live" && context.live === true) {
    throw new ConfigError(
      "PMCOLLECT_EXECUTOR",
      `--live needs PMCOLLECT_EXECUTOR=live, the key, the account and every limit (got ${mode})`,
    );
  }
  if (mode !== "off" && !scanning) {
    throw new ConfigError(
      "PMCOLLECT_EXECUTOR",
      `${mode} trades the scanner's episodes: it needs PMCOLLECT_SCANNER=on and trades in ` +
        "PMCOLLECT_COLLECTORS",
    );
  }
  assertHealthPortFree(config.health.port);
  // The live account is read before anything opens: a bad key file is a bad setting (exit 2).
  const account = config.executor.live === null
    ? null
    : await openLiveAccount(config.executor.live, { log });
  const db = await openConfiguredDatabase(config, { log, signal, joinRunning: false });
  try {
    const { mode, applied } = await migrate(db.sql, { log, timescale: config.database.timescale });
    log.info("schema_ready", { mode, applied });
    const reachability = createReachability();
    const http = createVenueHttp(config, {
      log,
      budgets: scaleBudgets(config.api.rateFraction),
      reachability,
    });
    const shed = createShedState();
    const feed = scanning ? createScannerFeed() : undefined;
    const shared = {
      config,
      sql: db.sql,
      http,
      log,
      activeTokens: createActiveTokens(),
      now: Date.now,
      shed,
      reachability,
    };
    const tasks = buildCollectorTasks(shared, collectorRunners(feed));
    // The relation registry refreshes itself (at start, after catalog changes, on a schedule)
    // and tells the scanner, which reloads at once.
    const registry = new RefreshNotice();
    const intervalMs = config.relations.refreshIntervalMs;
    if (intervalMs > 0) {
      const relationsLog = log.child({ task: "relations" });
      tasks.push({
        name: "relations",
        run: (s, context) =>
          runRelationsRefresh({
            sql: db.sql,
            log: relationsLog,
            intervalMs,
            context,
            notice: registry,
          }, s),
      });
    }
    // Forecasts of every open market on a schedule, scored as markets resolve (off by default).
    const forecastMs = config.forecast.intervalMs;
    if (forecastMs > 0) {
      const forecastLog = log.child({ task: "forecasts" });
      tasks.push({
        name: "forecasts",
        run: (s, context) =>
          runForecastTask({
            sql: db.sql,
            log: forecastLog,
            intervalMs: forecastMs,
            retainDays: config.forecast.retainDays,
            context,
            // Live paper's model-edge playbook (PMCOLLECT_EXECUTOR_MODEL=on) trades each batch.
            onForecasts: (f) =>
              paper !== null && "forecasts" in paper ? paper.forecasts(f) : Promise.resolve(),
          }, s),
      });
    }
    // Live paper: the account prepared from the ledger before anything trades.
    // Live: the venue's account recovered and reconciled before anything trades.
    const paper = feed === undefined
      ? null
      : config.executor.mode === "paper"
      ? await startLivePaper({ config, sql: db.sql, log, feed }, signal)
      : account !== null
      ? await startLiveVenue({ config, sql: db.sql, log, feed, account }, signal)
      : null;
    if (feed !== undefined) {
      const scannerLog = log.child({ task: "scanner" });
      const tap = paper === null ? {} : { tap: paper.tap };
      tasks.push({
        name: "scanner",
        run: (s, context) =>
          runScanner({ ...shared, log: scannerLog, context, feed, registry, ...tap }, s),
      });
    }
    if (paper !== null) tasks.push(...paper.tasks);
    // The disk guard: free space and days left, shedding quotes then book cadence when low.
    const diskLog = log.child({ task: "disk" });
    tasks.push({
      name: "disk",
      run: (s, context) => runDiskGuard({ config, sql: db.sql, shed, log: diskLog, context }, s),
    });
    const started = performance.now();
    const metrics = createMetrics();
    // Not a collector: TimescaleDB's background jobs, on /healthz and /metrics.
    const watch: TaskSpec = {
      name: "timescale_jobs",
      run: (s, ctx) => runTimescaleJobsWatch(db.sql, { ...ctx, signal: s, metrics }),
    };
    const supervisor = runSupervisor([...tasks, watch], { signal, log, metrics });
    const lag = new LoopLag();
    const server = config.health.port === 0 ? undefined : serveHealth({
      health: () => supervisor.health(),
      metrics: supervisor.metrics,
      unreachable: () => reachability.unreachable(Date.now()),
    }, {
      port: config.health.port,
      signal,
      log,
      ...(paper === null ? {} : { kill: paper.kill }),
    });
    log.info("collecting", { collectors: tasks.map((t) => t.name), healthPort: server?.port ?? 0 });
    await Promise.all([
      supervisor.done,
      server?.done,
      runHealthLog(supervisor, { signal, log, lag }),
      runLoopLagSampler(lag, { signal, metrics: supervisor.metrics, log }),
      runQualityMetrics(db.sql, supervisor.metrics, {
        signal,
        log: log.child({ task: "quality" }),
      }),
    ]);
    log.info("collectors_stopped", {
      durationMs: Math.round(performance.now() - started),
      loopLagWorstMs: Math.round(lag.worstMs),
    });
    return 0;
  } finally {
    await db.close(5);
    log.info("db_closed");
  }
}
