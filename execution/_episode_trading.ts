/**
 * What live paper (`live_paper.ts`) and live trading (`live_venue.ts`) do alike around the
 * executor: hold the scanner once it attached (its books as the playbooks read them, its feed's
 * last frame: `scannerSource`), seed the risk engine with the ledger's holdings, tell the kill
 * switch when the scanner's feed went silent, and trade each episode the scanner opens (book the outcome in
 * `trade_outcomes`, mark the traded tokens, let the kill switch act on any breach, log the
 * result). Only the broker differs between the two.
 *
 * @example
 * ```ts ignore
 * const scanner = scannerSource();
 * const killSwitch = scanner.killSwitch({ sql, broker, risk, log, dataDir }, { maxAgeMs: 5000 });
 * const traded = seedHoldings(risk, set, await ledgerHoldings(sql));
 * const trading = episodeTrading({ executor, sql, risk, killSwitch, view, relations, traded, log, context, signal });
 * await trading.trade(episode);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import type { Episode } from "../scanner/episode.ts";
import type { RelationSet } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import type { L2Books } from "../stream/l2_book.ts";
import { scannerBookView } from "./_book_view.ts";
import type { Executor } from "./executor.ts";
import { createKillSwitch, type KillSwitch, type KillSwitchDeps } from "./kill_switch.ts";
import type { BookView } from "./playbook.ts";
import type { RiskEngine } from "./risk.ts";
import { insertTradeOutcomes, outcomeOfTrade } from "./trade_outcomes.ts";

/** A position the ledger holds (decimal text). */
export interface Holding {
  readonly tokenId: string;
  readonly size: string;
  readonly cost: string;
}

/** The ledger's non-zero positions. */
export async function ledgerHoldings(sql: Queryable): Promise<Holding[]> {
  const rows = await sql<{ token_id: string; size: string; cost: string }[]>`
    select token_id, size::text, cost::text from positions where size <> 0 order by token_id`;
  return rows.map((r) => ({ tokenId: r.token_id, size: r.size, cost: r.cost }));
}

/**
 * Gives the risk engine what the ledger holds (with its market and neg-risk group, where the
 * relations know them); returns those tokens, the first of the set to mark.
 */
export function seedHoldings(
  risk: RiskEngine,
  set: RelationSet,
  holdings: readonly Holding[],
): Set<string> {
  const traded = new Set<string>();
  for (const h of holdings) {
    const market = set.marketOf(h.tokenId);
    const group = market === undefined
      ? undefined
      : set.relationsOf(market.yesTokenId).find((r) => r.kind === "group");
    risk.seedHolding({
      tokenId: h.tokenId,
      marketId: market?.conditionId ?? h.tokenId,
      groupId: group?.key ?? null,
      size: parseDec(h.size),
      cost: parseDec(h.cost),
    });
    traded.add(h.tokenId);
  }
  return traded;
}

/** The scanner as live paper and live trading hold it (`scannerSource`). */
export interface ScannerSource {
  /** The scanner's books as the playbooks read them; null for every token until it attached. */
  readonly view: BookView;
  /** The scanner's relations now (undefined until it attached). */
  relations(): RelationSet | undefined;
  /** The scanner tap's `attached`: its books and relations (again after a restart). */
  attach(next: { readonly books: L2Books; readonly set: RelationSet }): void;
  /** Frames the scanner took: the last one's receive instant is the feed's last frame. */
  heard(frames: readonly BookEvent[]): void;
  /** The kill switch, with the feed's silence (`feedSilence`) as its stale-data door. */
  killSwitch(
    deps: Omit<KillSwitchDeps, "stale">,
    options: { readonly maxAgeMs: number },
  ): KillSwitch;
}

/** Holds the scanner from the moment it attaches; see {@link ScannerSource}. */
export function scannerSource(): ScannerSource {
  let attached: { readonly books: L2Books; readonly set: RelationSet } | null = null;
  let view: BookView | null = null;
  let lastFrameAt = 0;
  return {
    view: (tokenId) => (view === null ? null : view(tokenId)),
    relations: () => attached?.set,
    attach: (next) => {
      attached = next;
      view = scannerBookView(next.books, next.set);
    },
    heard: (frames) => {
      const last = frames.at(-1);
      if (last !== undefined && last.receivedAt > lastFrameAt) lastFrameAt = last.receivedAt;
    },
    killSwitch: (deps, options) =>
      createKillSwitch({
        ...deps,
        stale: feedSilence({
          lastFrameAt: () => lastFrameAt,
          watching: () => (attached?.set.relations.length ?? 0) > 0,
          maxAgeMs: options.maxAgeMs,
        }),
      }),
  };
}

/**
 * The kill switch's stale-data door: why the scanner's feed counts as silent (nothing since
 * `lastFrameAt()` for longer than `maxAgeMs` while relations are watched), or null.
 */
export function feedSilence(o: {
  readonly lastFrameAt: () => number;
  readonly watching: () => boolean;
  readonly maxAgeMs: number;
}): () => string | null {
  return () => {
    const last = o.lastFrameAt();
    if (last === 0 || !o.watching()) return null;
    const silent = Date.now() - last;
    return silent > o.maxAgeMs
      ? `the scanner's feed has delivered nothing for ${silent} ms (> ${o.maxAgeMs} ms)`
      : null;
  };
}

export interface EpisodeTradingDeps {
  readonly executor: Executor;
  readonly sql: Queryable;
  readonly risk: RiskEngine;
  readonly killSwitch: KillSwitch;
  readonly view: BookView;
  /** The scanner's relations now (undefined before it attached). */
  readonly relations: () => RelationSet | undefined;
  /** Tokens the account holds or has traded: marked at their best bid. */
  readonly traded: Set<string>;
  readonly log: Logger;
  readonly context: TaskContext;
  readonly signal: AbortSignal;
}

export interface EpisodeTrading {
  /** Trades one opened episode; never throws (a failure is logged and counted). */
  trade(episode: Episode): Promise<void>;
  /** Marks every traded token at its best bid. */
  mark(): void;
  readonly counts: { episodes: number; orders: number; refused: number; failed: number };
  /** Trades by outcome. */
  readonly outcomes: Record<string, number>;
}

export function episodeTrading(d: EpisodeTradingDeps): EpisodeTrading {
  const counts = { episodes: 0, orders: 0, refused: 0, failed: 0 };
  const outcomes: Record<string, number> = {};
  const mark = () => {
    for (const tokenId of d.traded) {
      const bid = d.view(tokenId)?.bids[0];
      if (bid !== undefined) d.risk.mark(tokenId, bid.price);
    }
  };
  const trade = async (episode: Episode) => {
    const relation = d.relations()?.relations.find((r) => r.key === episode.relationKey);
    if (relation === undefined) return;
    counts.episodes++;
    try {
      const result = await d.executor.trade(episode.peakPlan, {
        relation,
        at: episode.startedAt,
      });
      counts.orders += result.orders;
      counts.refused += result.refused;
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      d.context.counter(`executor_${result.outcome}_total`);
      await d.executor.flush(); // its fills in the ledger before its outcome row
      for (const leg of result.legs) d.traded.add(leg.tokenId);
      mark();
      await d.killSwitch.enforce(d.risk.assess(Date.now()), "executor");
      await insertTradeOutcomes(d.sql, [outcomeOfTrade(result, { subject: relation.key })]);
      d.log.info("executor_trade_done", {
        relationKey: relation.key,
        channel: episode.channel,
        outcome: result.outcome,
        planProfit: formatDec(result.decision.planProfit),
        pnl: formatDec(result.pnl),
        orders: result.orders,
        refused: result.refused,
        handoffMs: result.handoffMs,
      });
    } catch (err) {
      counts.failed++;
      if (d.signal.aborted) return;
      d.log.error("executor_trade_failed", {
        relationKey: relation.key,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  return { trade, mark, counts, outcomes };
}
