/**
 * Paper trading over a recorded stream (issue 30, `pmcollect paper`): the live scanner, the
 * executor and the paper broker fed the same book events in arrival order, with the paper
 * broker's latency and fill model (docs/execution.md, "Fill model"). Orders, fills, positions,
 * cash and conversions go to the ledger the caller passes (the paper command gives each run a
 * schema of its own), so the run can be audited line by line with SQL.
 *
 * Time is the events' receive time. At each new instant, in this order:
 * 1. the scanner evaluates the instant before (the books as they were then): an episode that
 *    opens is handed to the executor at that instant, which decides and sends its first order;
 * 2. every order in flight that reaches the venue before the new instant meets the broker's
 *    books there (`advanceTo` its arrival), and what the playbook sends next leaves at that
 *    arrival instant, on the scanner's books as they were (none later is applied yet);
 * 3. the new event reaches the scanner and the broker.
 * The loop waits for the executor (`quiet`) only while a trade is under way, so a day with few
 * episodes replays at the scanner's speed.
 *
 * A source without NO rows (a capture, the planted scenario) is given them as mirrors of the
 * YES rows (`mirrorNo`): the venue has one book per condition, a NO ask being a YES bid at 1 − p.
 *
 * @example
 * ```ts ignore
 * import { runPaper } from "./paper.ts";
 * const run = await runPaper(events, set, { ledger, latencyMs: 100, cash: "10000", ... });
 * ```
 */
import type { Dec } from "../edge/decimal.ts";
import { formatDec, ZERO } from "../edge/decimal.ts";
import type { Logger } from "../runtime/log.ts";
import type { Episode } from "../scanner/episode.ts";
import type { RelationSet, ScanRelation } from "../scanner/relation_set.ts";
import { Scanner } from "../scanner/scanner.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { mirrorEvent, scannerBookView } from "./_book_view.ts";
import {
  Executor,
  type ExecutorOptions,
  type ModelTradeResult,
  type TradeResult,
} from "./executor.ts";
import type { Ledger } from "./ledger.ts";
import { recordCash } from "./ledger_cash.ts";
import { PaperBroker } from "./paper_broker.ts";
import type { QueueModel } from "./paper_matcher.ts";
import type { PlaybookLimits } from "./playbook.ts";
import type { ModelForecast, ModelLimits } from "./model_playbook.ts";
import { ledgerEquity, tradeForecasts, withRiskMinEdge } from "./model_trades.ts";
import {
  insertTradeOutcomes,
  outcomeOfForecast,
  outcomeOfTrade,
  type TradeOutcomeRow,
} from "./trade_outcomes.ts";

export interface PaperOptions {
  readonly ledger: Ledger;
  readonly log: Logger;
  /** Order and cancel latency to the venue, ms. */
  readonly latencyMs: number;
  /** Starting collateral (booked as a deposit). */
  readonly cash: string;
  readonly queue?: QueueModel;
  readonly maxBookAgeMs: number;
  readonly maxSkewMs: number;
  readonly limits: PlaybookLimits;
  /** Client order ids start with it (one per run). */
  readonly runId: string;
  /** Episodes that open before it are not traded (their books still build). */
  readonly since?: number;
  /** The run ends at the first event at or after it. */
  readonly until?: number;
  /** The source has YES rows only: feed the broker their mirrors on the NO tokens. */
  readonly mirrorNo?: boolean;
  /** The pre-trade risk engine (none: every order the playbooks ask for is sent). */
  readonly risk?: ExecutorOptions["risk"];
  /** Called when an order is handed to the broker (the decision-latency benchmark). */
  readonly onHandoff?: ExecutorOptions["onHandoff"];
  /**
   * Stored forecasts to trade with the model-edge playbook, oldest first: each batch (one
   * instant) is handed to the executor at the first event at or after its instant.
   */
  readonly forecasts?: readonly ModelForecast[];
  /** The model playbook's limits (needed with `forecasts`). */
  readonly model?: ModelLimits;
  readonly signal?: AbortSignal;
}

/** One episode the executor was handed and what came of it. */
export interface PaperTrade {
  readonly episode: Episode;
  readonly result: TradeResult;
}

export interface PaperRun {
  readonly trades: readonly PaperTrade[];
  /** What came of each forecast handed to the model playbook. */
  readonly forecastTrades: readonly ModelTradeResult[];
  readonly events: number;
  readonly episodes: number;
  /** The paper broker's collateral at the end. */
  readonly cash: string;
}

export async function runPaper(
  source: AsyncIterable<BookEvent> | Iterable<BookEvent>,
  set: RelationSet,
  options: PaperOptions,
): Promise<PaperRun> {
  const since = options.since ?? -Infinity;
  const until = options.until ?? Infinity;
  let clock = -Infinity;
  const arrivals: number[] = [];
  const broker = new PaperBroker({
    now: () => clock,
    latencyMs: options.latencyMs,
    cash: options.cash,
    feeOf: (tokenId) => set.marketOf(tokenId)?.fee ?? null,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
  });
  const relations = new Map<string, ScanRelation>(set.relations.map((r) => [r.key, r]));
  const pending: Promise<PaperTrade | null>[] = [];
  const outcomes: TradeOutcomeRow[] = [];
  const forecasts = options.forecasts ?? [];
  let nextForecast = 0;
  const modelPending: Promise<ModelTradeResult[]>[] = [];
  let failure: unknown = null;
  let episodes = 0;
  const scanner = new Scanner(set, {
    maxBookAgeMs: options.maxBookAgeMs,
    maxSkewMs: options.maxSkewMs,
    replayed: true,
    onEpisode: (episode, phase) => {
      if (phase !== "open" || episode.startedAt < since) return;
      episodes++;
      const relation = relations.get(episode.relationKey)!;
      pending.push(
        executor.trade(episode.peakPlan, { relation, at: episode.startedAt }).then(
          (result) => {
            enforceRisk(result.legs);
            outcomes.push(outcomeOfTrade(result, { subject: relation.key }));
            return { episode, result };
          },
          (err) => {
            // Kept until the run ends (a rejection nobody waits on would end the process).
            failure ??= err;
            return null;
          },
        ),
      );
    },
  });
  const view = scannerBookView(scanner.books, set);
  const executor = new Executor({
    ledger: options.ledger,
    broker,
    books: view,
    limits: options.limits,
    now: () => clock,
    log: options.log,
    idPrefix: options.runId,
    convert: (request) => broker.convert(request),
    onHandoff: (request) => {
      const at = clock + options.latencyMs;
      let i = arrivals.length;
      while (i > 0 && arrivals[i - 1]! > at) i--;
      arrivals.splice(i, 0, at);
      options.onHandoff?.(request);
    },
    ...(options.risk === undefined ? {} : { risk: options.risk }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    let started = false;
    let events = 0;
    for await (const event of source) {
      if (event.receivedAt >= until) break;
      if ((++events & 1023) === 0) options.signal?.throwIfAborted();
      if (!started) {
        started = true;
        clock = event.receivedAt;
        await recordCash(options.ledger, {
          reason: "deposit",
          ref: `${options.runId}-start`,
          amount: options.cash,
          at: clock,
        });
        // The day's P&L is measured from here.
        options.risk?.assess(clock);
      }
      if (event.receivedAt > clock) {
        // 1. The instant before, evaluated on its books; forecasts made by then traded on them.
        scanner.evaluatePending();
        if (nextForecast < forecasts.length && forecasts[nextForecast]!.instant <= clock) {
          await tradeDueForecasts();
        }
        if (executor.working) await executor.quiet();
        // 2. Orders that reach the venue before this event.
        if (arrivals.length > 0 && arrivals[0]! < event.receivedAt) {
          await drain(event.receivedAt, false);
        }
        clock = event.receivedAt;
      }
      // 3. The event.
      if (scanner.watches(event.tokenId)) {
        scanner.push(event);
        broker.onBookEvent(event);
        const market = options.mirrorNo === true ? set.marketOf(event.tokenId) : undefined;
        if (market !== undefined) broker.onBookEvent(mirrorEvent(event, market.noTokenId));
      } else if (set.marketOf(event.tokenId) !== undefined) broker.onBookEvent(event);
    }
    scanner.finish(Number.isFinite(until) ? until : clock + 1);
    if (executor.working) await executor.quiet();
    await drain(Infinity, true);
    const settled = await Promise.all(pending);
    const forecastTrades = (await Promise.all(modelPending)).flat();
    if (failure !== null) throw failure;
    const trades = settled.filter((t) => t !== null);
    await executor.flush();
    await insertTradeOutcomes(options.ledger.sql, outcomes);
    return { trades, forecastTrades, events, episodes, cash: broker.cash() };
  } finally {
    executor.close();
  }

  /**
   * After a trade, as the kill switch does live (execution/kill_switch.ts): the traded tokens
   * marked at their best bid, then the engine's breaches enforced — a daily loss beyond the
   * limit halts, an exposure beyond a limit moves to reducing — for the rest of the run.
   */
  function enforceRisk(legs: TradeResult["legs"]): void {
    const risk = options.risk;
    if (risk === undefined) return;
    for (const leg of legs) {
      const bid = view(leg.tokenId)?.bids[0];
      if (bid !== undefined) risk.mark(leg.tokenId, bid.price);
    }
    for (const breach of risk.assess(clock)) {
      if (risk.mode === "halted" || (breach.mode === "reducing" && risk.mode === "reducing")) {
        continue;
      }
      risk.setMode(breach.mode, breach.reason);
      options.log.warn("paper_risk_breach", {
        limit: breach.limit,
        mode: breach.mode,
        reason: breach.reason,
        at: new Date(clock).toISOString(),
      });
    }
  }

  /**
   * Every forecast made by now, before `since` skipped: the equity read from the ledger once
   * (its bookings flushed first, so the replay stays deterministic), then the batch handed over.
   */
  async function tradeDueForecasts(): Promise<void> {
    const due: ModelForecast[] = [];
    while (nextForecast < forecasts.length && forecasts[nextForecast]!.instant <= clock) {
      const forecast = forecasts[nextForecast++]!;
      if (forecast.instant >= since) due.push(forecast);
    }
    if (due.length === 0) return;
    if (options.model === undefined) throw new RangeError("Forecasts need the model limits");
    const limits = options.risk === undefined
      ? options.model
      : withRiskMinEdge(options.model, options.risk.limits.minEdge);
    await executor.flush();
    const equity = await ledgerEquity(options.ledger.sql, view);
    modelPending.push(
      tradeForecasts(due, { executor, set, equity, limits, now: () => clock }).then(
        (results) => {
          for (const result of results) {
            enforceRisk([result.leg]);
            outcomes.push(outcomeOfForecast(result, view));
          }
          return results;
        },
        (err) => {
          failure ??= err;
          return [];
        },
      ),
    );
  }

  /** Moves the broker to each arrival before `before` (inclusive: at it too), in order. */
  async function drain(before: number, inclusive: boolean): Promise<void> {
    while (
      arrivals.length > 0 && (arrivals[0]! < before || (inclusive && arrivals[0]! <= before))
    ) {
      const at = arrivals.shift()!;
      if (at > clock) clock = at;
      broker.advanceTo(at);
      await executor.quiet();
    }
  }
}

/** Per channel: episodes handed over, and how they ended; P&L against the plans' edge. */
export interface ChannelSummary {
  readonly channel: string;
  episodes: number;
  declined: number;
  missed: number;
  filledWhole: number;
  filledShort: number;
  unwound: number;
  /** Σ planned profit of the trades acted on. */
  plannedEdge: Dec;
  pnl: Dec;
  capitalLocked: Dec;
}

export function summarizePaper(trades: readonly PaperTrade[]): ChannelSummary[] {
  const by = new Map<string, ChannelSummary>();
  for (const { result } of trades) {
    const channel = result.decision.channel;
    let s = by.get(channel);
    if (s === undefined) {
      s = {
        channel,
        episodes: 0,
        declined: 0,
        missed: 0,
        filledWhole: 0,
        filledShort: 0,
        unwound: 0,
        plannedEdge: ZERO,
        pnl: ZERO,
        capitalLocked: ZERO,
      };
      by.set(channel, s);
    }
    s.episodes++;
    if (result.outcome === "declined") s.declined++;
    else {
      s.plannedEdge += result.decision.planProfit;
      if (result.outcome === "missed") s.missed++;
      else if (result.outcome === "filled_whole") s.filledWhole++;
      else if (result.outcome === "filled_short") s.filledShort++;
      else s.unwound++;
    }
    s.pnl += result.pnl;
    s.capitalLocked += result.capitalLocked;
  }
  return [...by.values()].sort((a, b) => a.channel.localeCompare(b.channel));
}

/** The run as text: one line per trade (auditable against the ledger), then per channel. */
export function paperReportText(run: PaperRun, options: { readonly schema: string }): string[] {
  const lines = [
    `paper run in schema ${options.schema}: ${run.events} events, ${run.episodes} episodes`,
  ];
  for (const { episode, result } of run.trades) {
    lines.push(
      [
        new Date(episode.startedAt).toISOString(),
        episode.channel,
        episode.relationKey,
        result.outcome,
        `plan ${formatDec(result.decision.planProfit)}`,
        `pnl ${formatDec(result.pnl)}`,
        `orders ${result.orders}`,
        result.decision.reason,
      ].join("  "),
    );
  }
  for (const s of summarizePaper(run.trades)) {
    lines.push(
      `${s.channel}: ${s.episodes} episodes, ${s.declined} declined, ${s.missed} missed, ` +
        `${s.filledWhole} filled whole, ${s.filledShort} filled short, ${s.unwound} unwound; ` +
        `P&L ${formatDec(s.pnl)} against planned ${formatDec(s.plannedEdge)} ` +
        `(slippage ${formatDec(s.plannedEdge - s.pnl)}); capital locked ${
          formatDec(s.capitalLocked)
        }`,
    );
  }
  if (run.forecastTrades.length > 0) {
    const count = (o: string) => run.forecastTrades.filter((t) => t.outcome === o).length;
    lines.push(
      `model_edge: ${run.forecastTrades.length} forecasts, ${count("declined")} declined, ` +
        `${count("missed")} missed, ${count("filled_whole")} filled whole, ` +
        `${count("filled_short")} filled short`,
    );
  }
  lines.push(`cash at the end ${run.cash}`);
  return lines;
}
