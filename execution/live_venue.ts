/**
 * Live trading (issue 30, `PMCOLLECT_EXECUTOR=live` and `pmcollect run --live`): the executor
 * trading the venue through the venue broker (execution/venue_broker.ts) while the collector
 * runs. It is off unless the configuration names the key, the account and every risk limit
 * (`loadConfig` refuses otherwise) and the command says `--live` (the run command refuses
 * otherwise); docs/execution.md, "Live trading".
 *
 * The account (the key as a signer, given credentials) is read first, before the database
 * opens, by `openLiveAccount` (execution/live_account.ts; a bad file is a bad setting, exit 2).
 *
 * `startLiveVenue`, before anything trades, in order:
 * 1. API credentials: the given ones, or derived from the key (L1, `l1_auth.ts`);
 * 2. the user channel is subscribed (the broker's order and fill events);
 * 3. `recover` finishes what an earlier process left open (every pending intent looked up at
 *    the venue by its order hash, fills the ledger lacks booked), then `reconcile` compares the
 *    ledger's positions and open orders with the venue's: a difference halts (stored);
 * 4. the risk engine starts in the stored trading mode (a fresh ledger is `active`: `--live`
 *    was the operator's word) with the ledger's holdings seeded;
 * 5. the banner: one JSON line (`live_trading_started`) and one human line on stderr with the
 *    account, funder, signature type, venue, every limit, the kill switch's doors and the mode.
 *
 * Then `tasks`: `executor` (every episode the scanner opens is traded on the scanner's books,
 * orders signed and sent to the venue, fills booked from the user channel) and `risk` (the
 * kill switch, which cancels at the venue: `cancelAll`, then sweeps of `openOrders`).
 *
 * Not supported live: conversions (the neg-risk adapter is an on-chain call, not a CLOB route:
 * a plan that needs one is traded without it), heartbeats (the venue's dead-man switch stays
 * unarmed), batch orders (one `POST /order` per leg), signature type 3.
 *
 * @example
 * ```ts ignore
 * import { openLiveAccount } from "./live_account.ts";
 * import { startLiveVenue } from "./live_venue.ts";
 * const account = await openLiveAccount(config.executor.live!); // before the database
 * const live = await startLiveVenue({ config, sql, log, feed, account }, signal);
 * tasks.push(...live.tasks); // runScanner({ ...deps, tap: live.tap }); serveHealth(..., { kill: live.kill })
 * ```
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import { formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import { type Config, ConfigError } from "../runtime/config.ts";
import { type Logger, printText } from "../runtime/log.ts";
import type { TaskSpec } from "../runtime/supervisor.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import type { Episode } from "../scanner/episode.ts";
import type { ScannerFeed } from "../scanner/feed.ts";
import type { ScannerTap } from "../scanner/run.ts";
import { episodeTrading, ledgerHoldings, scannerSource, seedHoldings } from "./_episode_trading.ts";
import { Executor } from "./executor.ts";
import { KILL_FILE, type KillSwitch, RISK_TASK } from "./kill_switch.ts";
import { deriveApiCredentials } from "./l1_auth.ts";
import { liveLedger } from "./_live_ledger.ts";
import type { LiveAccount } from "./live_account.ts";
import { TICK_SIZES, type TickSize } from "./order_amounts.ts";
import type { MarketRules } from "./order_rules.ts";
import { reconcile } from "./reconcile.ts";
import { recover } from "./recover.ts";
import { RiskEngine, riskLimits } from "./risk.ts";
import { tradingState } from "./trading_state.ts";
import { VenueBroker } from "./venue_broker.ts";
import { ledgerJournal } from "./venue_journal.ts";

/** The executor task's name (as live paper's). */
export const EXECUTOR_TASK = "executor";
/** How often the traded tokens are marked. */
const MARK_MS = 1000;

export interface LiveVenueDeps {
  readonly config: Config;
  readonly sql: Sql;
  readonly log: Logger;
  /** The scanner's feed: its silence is the kill switch's stale data. */
  readonly feed: ScannerFeed;
  readonly account: LiveAccount;
  /** Where the banner's human line goes (default stderr). */
  readonly say?: (line: string) => void;
}

/** What the banner says (also the `live_trading_started` line's fields). */
export interface LiveBanner {
  readonly account: string;
  readonly funder: string;
  readonly signatureType: number;
  readonly venue: string;
  readonly userChannel: string;
  readonly limits: Config["risk"];
  readonly killSwitch: { readonly command: string; readonly post: string; readonly file: string };
  readonly tradingMode: string;
  readonly tradingReason: string | null;
  readonly reconciled: boolean;
  readonly unsent: number;
  readonly fillsBooked: number;
}

export interface LiveVenue {
  /** Give to `runScanner` (`tap`). */
  readonly tap: ScannerTap;
  /** The executor task and the kill switch's task (`risk`). */
  readonly tasks: readonly TaskSpec[];
  /** The kill switch's door for `POST /kill`. */
  readonly kill: KillSwitch["kill"];
  readonly risk: RiskEngine;
  readonly broker: VenueBroker;
  readonly banner: LiveBanner;
}

/** Connects the account to the venue and prepares trading (module header); then run `tasks`. */
export async function startLiveVenue(deps: LiveVenueDeps, signal: AbortSignal): Promise<LiveVenue> {
  const { config, sql, account } = deps;
  const log = deps.log.child({ task: EXECUTOR_TASK });
  const live = config.executor.live;
  if (live === null) throw new ConfigError("PMCOLLECT_EXECUTOR", "live needs the live settings");
  const credentials = account.credentials ??
    await deriveApiCredentials(config.api.clobUrl, account.key, {
      signal,
      timeoutMs: config.api.timeoutMs,
    });
  // Intents through the journal, or the database (docs/execution.md, "Decision latency");
  // closed when the executor task ends.
  const engine: { risk: RiskEngine | null } = { risk: null };
  const ledger = liveLedger({ sql, log, config }, () => engine.risk);
  const broker = new VenueBroker({
    clobUrl: config.api.clobUrl,
    dataApiUrl: config.api.dataApiUrl,
    userWsUrl: live.userWsUrl,
    credentials,
    signer: account.signer,
    marketRules: (tokenId) => marketRules(sql, tokenId),
    journal: ledgerJournal(ledger),
    log,
    timeoutMs: config.api.timeoutMs,
  });
  await broker.start(signal);
  const recovered = await recover(ledger, broker, { signal });
  const reconciled = await reconcile(ledger, broker, { signal });
  // Read after the reconciliation, which halts on a difference.
  const state = await tradingState(sql);
  const risk = new RiskEngine(riskLimits(config.risk), { mode: state.mode });
  engine.risk = risk;
  if (state.mode !== "active") risk.setMode(state.mode, state.reason);
  const set = await loadScanRelations(sql, { convertFeeBips: config.scanner.convertFeeBips });
  const traded = seedHoldings(risk, set, await ledgerHoldings(sql));
  const banner: LiveBanner = {
    account: account.signer.address,
    funder: account.signer.maker,
    signatureType: account.signer.signatureType,
    venue: new URL(config.api.clobUrl).host,
    userChannel: new URL(live.userWsUrl).host,
    limits: config.risk,
    killSwitch: {
      command: "pmcollect kill --reason TEXT",
      post: config.health.port === 0
        ? "(off: PMCOLLECT_HEALTH_PORT=0)"
        : `POST http://127.0.0.1:${config.health.port}/kill`,
      file: join(config.dataDir, KILL_FILE),
    },
    tradingMode: state.mode,
    tradingReason: state.reason,
    reconciled: reconciled.ok,
    unsent: recovered.unsent.length,
    fillsBooked: recovered.fillsBooked,
  };
  log.info("live_trading_started", { ...banner });
  (deps.say ?? ((line: string) => printText("stderr", line)))(bannerLine(banner));

  const scanner = scannerSource();
  const killSwitch = scanner.killSwitch({ sql, broker, risk, log, dataDir: config.dataDir }, {
    maxAgeMs: config.killFeedSilenceMs,
  });
  const view = scanner.view;
  let offer: ((episode: Episode) => void) | null = null;

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
        idPrefix: `live-${Date.now().toString(36)}`,
        risk,
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
      const untap = deps.feed.tap((list) => scanner.heard(list));
      const running = new Set<Promise<void>>();
      offer = (episode) => {
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
            tradingMode: risk.mode,
            // Journaled, not yet in the intents table (the database refusing them shows here).
            intentsUnstored: ledger.intents.unstored,
            lastSuccessAt: Date.now(),
          });
          await sleep(MARK_MS, undefined, { signal: taskSignal }).catch(() => {});
        }
      } finally {
        offer = null;
        untap();
        await Promise.allSettled([...running]);
        await executor.flush();
        executor.close();
        await ledger.intents.close();
        // The user channel closes with the run's signal: wait for it on the way out.
        if (signal.aborted) await broker.closed();
      }
    },
  };
  return {
    tap: {
      attached: (next) => scanner.attach(next),
      opened: (episode) => offer?.(episode),
    },
    tasks: [executorTask, { name: RISK_TASK, run: killSwitch.run }],
    kill: killSwitch.kill,
    risk,
    broker,
    banner,
  };
}

/** The banner's human line. */
export function bannerLine(b: LiveBanner): string {
  const l = b.limits;
  const funder = b.funder === b.account ? "itself" : b.funder;
  return [
    `LIVE TRADING as ${b.account} (funds: ${funder}, signature type ${b.signatureType})`,
    `on ${b.venue} (user channel ${b.userChannel});`,
    `limits: order ${l.maxOrderNotional}, market ${l.maxMarketNotional},`,
    `group ${l.maxGroupNotional}, total ${l.maxTotalNotional}, daily loss ${l.maxDailyLoss},`,
    `${l.maxOpenOrders} open orders, ${l.maxOrdersPerSecond} orders/s,`,
    `price band ${l.priceBand}, book age ${l.maxBookAgeMs} ms, min edge ${l.minEdge};`,
    `mode ${b.tradingMode}${b.tradingReason === null ? "" : ` (${b.tradingReason})`},`,
    `reconciled ${b.reconciled ? "clean" : "WITH DIFFERENCES (halted)"};`,
    `stop: ${b.killSwitch.command} | ${b.killSwitch.post} | create ${b.killSwitch.file}`,
  ].join(" ");
}

/** A token's tick size, minimum order size and neg-risk flag, from the catalog. */
async function marketRules(sql: Sql, tokenId: string): Promise<MarketRules> {
  const [row] = await sql<
    { tick_size: string | null; min_order_size: string | null; neg_risk: boolean }[]
  >`
    select m.tick_size::text, m.min_order_size::text, m.neg_risk
    from tokens t join markets m using (market_id) where t.token_id = ${tokenId}`;
  const tick = row?.tick_size == null ? null : formatDec(parseDec(row.tick_size));
  const tickSize = TICK_SIZES.find((t) => tick !== null && parseDec(t) === parseDec(tick));
  if (row === undefined || tickSize === undefined || row.min_order_size === null) {
    throw new RangeError(`No order rules for token ${tokenId}: not in the catalog, or no tick`);
  }
  return {
    tickSize: tickSize as TickSize,
    minOrderSize: formatDec(parseDec(row.min_order_size)),
    negRisk: row.neg_risk,
  };
}
