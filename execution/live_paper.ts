/**
 * Live paper trading (issue 30, `PMCOLLECT_EXECUTOR=paper`): the executor trading the paper
 * broker against the live books while the collector runs. `startLivePaper` prepares the account
 * before anything trades; its two tasks then run under the supervisor beside the scanner:
 *
 * - `executor`: every episode the scanner opens (`ScannerTap.opened`) is handed to the executor
 *   (execution/executor.ts) at once, with the scanner's own books as the playbook's view; the
 *   paper broker is fed the frames the scanner received (a tap on the feed, applied on the next
 *   macrotask so the scanner's pass runs first), each YES frame also mirrored onto its NO token,
 *   with real timers for the order latency. Fills and order updates are booked in the ledger
 *   as the broker emits them; traded tokens are marked at their best bid every second and after
 *   each trade, when the risk engine's breaches are enforced.
 *   With `PMCOLLECT_EXECUTOR_MODEL=on`, each batch the forecasts task writes (`forecasts`) is
 *   handed to the model-edge playbook too (execution/model_trades.ts): the forecasts of tokens
 *   the scanner follows, against the ledger's equity, through the same risk engine (a batch of
 *   the market baseline, made with no stored model, is skipped whole).
 * - `risk`: the kill switch (execution/kill_switch.ts), its `KILL` file in the data directory,
 *   its `kill` given to `POST /kill`, and `stale()` judged from the feed: the scanner's rule
 *   (a connection silent for longer than `PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS` makes its legs
 *   stale) applied to the whole feed, once data has flowed, while the scanner watches tokens.
 *
 * The start, in order (docs/execution.md, "Live paper"): the configured cash is deposited once
 * (ref `live-paper`); the paper broker, whose state is in memory, starts empty but for what the
 * ledger says it holds (the cash balance and the positions); `recover` then finds every pending
 * intent unknown to it (`unsent`); every order the ledger still holds as LIVE died with the
 * previous process and is closed as CANCELED; `reconcile` compares the two (a difference halts);
 * the risk engine starts in the stored trading mode with the ledger's holdings seeded.
 *
 * The ledger is the process's own (the main schema): no venue path exists, so every order in it
 * is a paper order; client order ids start with `paper-live-<start>`.
 *
 * @example
 * ```ts ignore
 * import { startLivePaper } from "./live_paper.ts";
 * const paper = await startLivePaper({ config, sql, log, feed }, signal);
 * tasks.push(...paper.tasks); // runScanner({ ...deps, tap: paper.tap }); serveHealth(..., { kill: paper.kill })
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import { formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import type { Config } from "../runtime/config.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskSpec } from "../runtime/supervisor.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import type { Episode } from "../scanner/episode.ts";
import type { ScannerFeed } from "../scanner/feed.ts";
import type { RelationSet } from "../scanner/relation_set.ts";
import type { ScannerTap } from "../scanner/run.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { mirrorEvent } from "./_book_view.ts";
import {
  episodeTrading,
  type Holding,
  ledgerHoldings,
  scannerSource,
  seedHoldings,
} from "./_episode_trading.ts";
import { Executor } from "./executor.ts";
import { type KillSwitch, RISK_TASK } from "./kill_switch.ts";
import { type Ledger, recordOrderEvent } from "./ledger.ts";
import { liveLedger } from "./_live_ledger.ts";
import { recordCash } from "./ledger_cash.ts";
import { PaperBroker } from "./paper_broker.ts";
import { reconcile } from "./reconcile.ts";
import { recover } from "./recover.ts";
import { RiskEngine, riskLimits } from "./risk.ts";
import { tradingState } from "./trading_state.ts";
import type { ForecastsAt } from "../models/forecast_at.ts";
import { ledgerEquity, modelForecastsOf, modelLimits, tradeForecasts } from "./model_trades.ts";
import { insertTradeOutcomes, outcomeOfForecast } from "./trade_outcomes.ts";

/** The executor task's name. */
export const EXECUTOR_TASK = "executor";
/** How often the traded tokens are marked (and the report refreshed). */
const MARK_MS = 1000;

export interface LivePaperDeps {
  readonly config: Config;
  readonly sql: Sql;
  readonly log: Logger;
  /** The scanner's feed: the paper broker taps it. */
  readonly feed: ScannerFeed;
}

export interface LivePaper {
  /** Give to `runScanner` (`tap`): the books in use and every episode as it opens. */
  readonly tap: ScannerTap;
  /** The executor task and the kill switch's task (`risk`). */
  readonly tasks: readonly TaskSpec[];
  /**
   * Give to the forecasts task (`onForecasts`): with `PMCOLLECT_EXECUTOR_MODEL=on`, each batch
   * goes to the model-edge playbook while the executor task runs; otherwise it does nothing.
   */
  readonly forecasts: (forecasts: ForecastsAt) => Promise<void>;
  /** The kill switch's door for `POST /kill`. */
  readonly kill: KillSwitch["kill"];
  readonly risk: RiskEngine;
  readonly broker: PaperBroker;
}

/** Prepares the paper account from the ledger (module header); then run `tasks`. */
export async function startLivePaper(
  deps: LivePaperDeps,
  signal: AbortSignal,
): Promise<LivePaper> {
  const { config, sql } = deps;
  const log = deps.log.child({ task: EXECUTOR_TASK });
  // Intents through the journal, or the database (docs/execution.md, "Decision latency");
  // closed when the executor task ends.
  const engine: { risk: RiskEngine | null } = { risk: null };
  const ledger = liveLedger({ sql, log, config }, () => engine.risk);
  const o = config.executor;
  await recordCash(ledger, {
    reason: "deposit",
    ref: "live-paper",
    amount: o.cash,
    at: Date.now(),
  });
  const account = await ledgerAccount(ledger);
  const scanner = scannerSource();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const broker = new PaperBroker({
    now: Date.now,
    latencyMs: o.latencyMs,
    cash: account.cash,
    holdings: account.holdings.map((h) => ({ tokenId: h.tokenId, size: h.size })),
    feeOf: (tokenId) => scanner.relations()?.marketOf(tokenId)?.fee ?? null,
    setTimer: (ms, run) => {
      const id = setTimeout(() => {
        timers.delete(id);
        run();
      }, ms);
      timers.add(id);
    },
  });
  const recovered = await recover(ledger, broker, { signal });
  const canceled = await cancelLedgerOrders(ledger);
  const reconciled = await reconcile(ledger, broker, { signal });
  // Read after the reconciliation, which halts on a difference.
  const state = await tradingState(sql);
  const risk = new RiskEngine(riskLimits(config.risk), { mode: state.mode });
  engine.risk = risk;
  if (state.mode !== "active") risk.setMode(state.mode, state.reason);
  const set = await loadScanRelations(sql, { convertFeeBips: config.scanner.convertFeeBips });
  const traded = seedHoldings(risk, set, account.holdings);
  log.info("live_paper_started", {
    cash: account.cash,
    holdings: account.holdings.length,
    unsent: recovered.unsent.length,
    canceled,
    reconciled: reconciled.ok,
    tradingMode: state.mode,
    latencyMs: o.latencyMs,
  });

  // The feed's last frame: the scanner's staleness rule over the whole feed.
  const killSwitch = scanner.killSwitch({ sql, broker, risk, log, dataDir: config.dataDir }, {
    maxAgeMs: config.killFeedSilenceMs,
  });
  const view = scanner.view;
  /** The running executor task's way in; null while it is not running. */
  let offer: ((episode: Episode) => void) | null = null;
  let offerForecasts: ((forecasts: ForecastsAt) => Promise<void>) | null = null;

  const executorTask: TaskSpec = {
    name: EXECUTOR_TASK,
    run: async (taskSignal, context) => {
      const executor = new Executor({
        ledger,
        broker,
        books: view,
        limits: { maxBookAgeMs: config.risk.maxBookAgeMs, minEdge: ZERO },
        now: Date.now,
        log,
        idPrefix: `paper-live-${Date.now().toString(36)}`,
        risk,
        convert: (request) => broker.convert(request),
        signal: taskSignal,
      });
      const { trade, mark, counts, outcomes } = episodeTrading({
        executor,
        sql,
        risk,
        killSwitch,
        view,
        relations: scanner.relations,
        traded,
        log,
        context,
        signal: taskSignal,
      });
      // Each frame the scanner took, on the next macrotask (after the scanner's pass).
      let frames: BookEvent[] = [];
      let drain: ReturnType<typeof setTimeout> | null = null;
      const untap = deps.feed.tap((list) => {
        frames.push(...list);
        drain ??= setTimeout(() => {
          drain = null;
          const batch = frames;
          frames = [];
          for (const event of batch) feedBroker(broker, scanner.relations(), event);
          scanner.heard(batch);
        }, 0);
      });
      const running = new Set<Promise<void>>();
      const limits = modelLimits(config);
      offerForecasts = async (forecasts) => {
        const set = scanner.relations();
        if (set === undefined) return;
        if (forecasts.modelVersion === null) {
          // The market baseline: its probability is the price, every token would be declined.
          log.info("executor_forecasts_skipped", {
            forecastAt: forecasts.at.toISOString(),
            markets: forecasts.markets.length,
            reason: "baseline forecasts (no stored model)",
          });
          return;
        }
        const all = modelForecastsOf(forecasts);
        const followed = all.filter((f) => set.marketOf(f.tokenId) !== undefined);
        if (followed.length === 0) return;
        const p = (async () => {
          await executor.flush();
          const equity = await ledgerEquity(sql, view);
          const results = await tradeForecasts(followed, {
            executor,
            set,
            equity,
            limits,
            now: Date.now,
          });
          // The fills booked in the ledger before the outcomes say what they bought.
          await executor.flush();
          for (const r of results) traded.add(r.leg.tokenId);
          mark();
          await killSwitch.enforce(risk.assess(Date.now()), "executor");
          await insertTradeOutcomes(sql, results.map((r) => outcomeOfForecast(r, view)));
          const outcomes: Record<string, number> = {};
          for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
          log.info("executor_forecasts_done", {
            forecastAt: forecasts.at.toISOString(),
            forecasts: all.length,
            notFollowed: all.length - followed.length,
            outcomes,
            orders: results.reduce((n, r) => n + r.orders, 0),
          });
        })();
        const done = p.catch((err) => {
          if (taskSignal.aborted) return;
          log.error("executor_forecasts_failed", {
            error: err instanceof Error ? err.message : String(err),
          });
        });
        running.add(done);
        await done.finally(() => running.delete(done));
      };
      offer = (episode) => {
        // After the scanner's pass: the trade starts as soon as the pass returns.
        queueMicrotask(() => {
          const p = trade(episode);
          running.add(p);
          void p.finally(() => running.delete(p));
        });
      };
      try {
        while (!taskSignal.aborted) {
          mark();
          context.report({
            ...counts,
            outcomes: { ...outcomes },
            cash: broker.cash(),
            tradingMode: risk.mode,
            // Journaled, not yet in the intents table (the database refusing them shows here).
            intentsUnstored: ledger.intents.unstored,
            lastSuccessAt: Date.now(),
          });
          await sleep(MARK_MS, undefined, { signal: taskSignal }).catch(() => {});
        }
      } finally {
        offer = null;
        offerForecasts = null;
        untap();
        if (drain !== null) clearTimeout(drain);
        await Promise.allSettled([...running]);
        await executor.flush();
        executor.close();
        await ledger.intents.close();
        for (const id of timers) clearTimeout(id);
        timers.clear();
      }
    },
  };
  return {
    tap: {
      attached: (next) => scanner.attach(next),
      opened: (episode) => offer?.(episode),
    },
    tasks: [executorTask, { name: RISK_TASK, run: killSwitch.run }],
    forecasts: (forecasts) =>
      config.executor.model.enabled && offerForecasts !== null
        ? offerForecasts(forecasts)
        : Promise.resolve(),
    kill: killSwitch.kill,
    risk,
    broker,
  };
}

/** One frame to the paper broker: a YES frame also as its NO mirror (one book per condition). */
function feedBroker(broker: PaperBroker, set: RelationSet | undefined, event: BookEvent): void {
  broker.onBookEvent(event);
  const market = set?.marketOf(event.tokenId);
  if (market !== undefined && market.yesTokenId === event.tokenId) {
    broker.onBookEvent(mirrorEvent(event, market.noTokenId));
  }
}

/** The ledger's cash balance and the positions it holds. */
async function ledgerAccount(ledger: Ledger): Promise<{
  cash: string;
  holdings: Holding[];
}> {
  const [row] = await ledger.sql<{ cash: string }[]>`
    select coalesce(sum(amount), 0)::text as cash from cash`;
  return { cash: formatDec(parseDec(row!.cash)), holdings: await ledgerHoldings(ledger.sql) };
}

/**
 * Closes as CANCELED every order the ledger holds as LIVE: the paper broker that held it was
 * the previous process's memory. Returns how many.
 */
async function cancelLedgerOrders(ledger: Ledger): Promise<number> {
  const open = await ledger.sql<
    {
      order_id: string;
      client_order_id: string | null;
      token_id: string;
      side: "BUY" | "SELL";
      order_type: "GTC" | "GTD" | "FOK" | "FAK";
      price: string;
      original_size: string;
      size_matched: string;
      created_at: Date;
    }[]
  >`
    select order_id, client_order_id, token_id, side, order_type, price::text,
      original_size::text, size_matched::text, created_at
    from orders where status = 'LIVE'`;
  for (const o of open) {
    await recordOrderEvent(ledger, {
      orderId: o.order_id,
      clientOrderId: o.client_order_id,
      tokenId: o.token_id,
      side: o.side,
      orderType: o.order_type,
      price: o.price,
      originalSize: o.original_size,
      sizeMatched: o.size_matched,
      status: "CANCELED",
      createdAt: o.created_at.getTime(),
    }, { at: Date.now(), source: "paper_restart" });
  }
  if (open.length > 0) {
    ledger.log.warn("paper_orders_closed_at_start", { orders: open.map((o) => o.order_id) });
  }
  return open.length;
}
