/**
 * What a backfill would fetch: open gaps of the prices and trades collectors, and (when
 * `since` is given and not `gapsOnly`) the history of the selected markets before their first
 * live data (for trades, through the end of the first live second). The interval after a
 * clean stop that no start has closed yet is open-ended: filled up to `until`, never marked.
 * Nothing else is backfilled: the live collectors' intervals are not refetched, except the
 * venue seconds at both ends of every trades window (a fill in the second of a stop or a start
 * may or may not have been stored live), whose trades already stored are recognised by their
 * identity and not stored again. Book-snapshot gaps are listed as not backfillable.
 *
 * @example
 * ```ts ignore
 * import { planBackfill } from "./plan.ts";
 * const plan = await planBackfill(sql, { since: new Date("2026-01-01"), now: new Date() });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { listGaps, type StoredGap } from "../db/ops.ts";
import { loadCheckpoints } from "./checkpoints.ts";
import { type MarketTarget, type Selection, selectMarkets } from "./select.ts";
import { type BackfillWindow, fidelityFor, newWindow } from "./windows.ts";

/** Options of {@link planBackfill}. */
export interface PlanOptions extends Selection {
  since?: Date;
  until?: Date;
  gapsOnly?: boolean;
  now: Date;
}

/** A gap in the plan with the windows that fill it. */
export interface PlannedGap {
  gap: StoredGap;
  windowKeys: string[];
}

/** The plan: windows (with checkpoint state), the gaps they fill and what is skipped. */
export interface BackfillPlan {
  windows: BackfillWindow[];
  gaps: PlannedGap[];
  skipped: { collector: string; scope: string; cause: string; why: string }[];
  /** Condition id → trades the Data API is expected to return for its walk (estimate). */
  expectedTrades: Map<string, number>;
  /** `--markets` ids found neither in the catalog nor via the tag. */
  unknownMarkets: string[];
  /** `--events` ids with no market in the catalog. */
  unknownEvents: string[];
  /** Markets Gamma listed for `--tag` (null without one). */
  tagMarkets: number | null;
  /** True when a selection was given and matched no market at all. */
  selectedNothing: boolean;
  now: Date;
}

const NOT_BACKFILLABLE: Record<string, string> = {
  books: "book snapshots cannot be backfilled: the venue keeps no historical order books",
  markets: "the catalog is refreshed by the markets collector, not backfilled",
  resolutions: "resolutions are re-checked by the resolutions collector, not backfilled",
  history: "the venue serves no more (or only coarser) history for it (backfill --resolved)",
};

/** Builds the plan from the database (and Gamma for a tag selection). */
export async function planBackfill(sql: Queryable, options: PlanOptions): Promise<BackfillPlan> {
  const until = options.until ?? options.now;
  const since = options.since ?? new Date(0);
  const targets = await selectMarkets(sql, options);
  const byToken = new Map<string, MarketTarget>();
  const byScope = new Map<string, MarketTarget>();
  for (const m of targets.markets) {
    byScope.set(m.conditionId, m).set(m.marketId, m);
    for (const t of m.tokenIds) byToken.set(t, m);
  }
  const windows = new Map<string, BackfillWindow>();
  const add = (w: BackfillWindow) => {
    if (w.endAt > w.startAt && !windows.has(w.key)) windows.set(w.key, w);
    return w.key;
  };
  const plan: BackfillPlan = {
    windows: [],
    gaps: [],
    skipped: [],
    expectedTrades: new Map(),
    unknownMarkets: targets.unknown,
    unknownEvents: targets.unknownEvents,
    tagMarkets: targets.tagMarkets,
    selectedNothing: targets.explicit && targets.markets.length === 0,
    now: options.now,
  };
  for (const gap of await gapsToFill(sql, { since, until })) {
    const skip = (why: string) => plan.skipped.push({ ...gap, why });
    if (gap.collector !== "prices" && gap.collector !== "trades") {
      skip(NOT_BACKFILLABLE[gap.collector] ?? `no historical source for "${gap.collector}"`);
      continue;
    }
    // An open interval (the collector stopped and has not started again) is uncovered up to
    // `until`; it is filled that far but stays open, as its end is not known yet.
    const open = isOpenEnded(gap);
    const range = {
      startAt: new Date(Math.max(gap.startAt.getTime(), since.getTime())),
      endAt: open ? until : new Date(Math.min(gap.endAt.getTime(), until.getTime())),
    };
    const { units, complete } = gapUnits(gap, targets, { byToken, byScope });
    if (units.length === 0) {
      skip(targets.explicit ? "not in the selected markets" : "scope not in the catalog");
      continue;
    }
    const keys: string[] = [];
    for (const { market: m, tokenId } of units) {
      const options = { ...range, conditionId: m.conditionId, ...gapWindow(m) };
      keys.push(add(newWindow(gap.collector, tokenId, options)));
    }
    // A gap only partly inside [since, until), or only partly inside the selected markets, is
    // filled that far but stays open.
    if (complete && !open && gap.startAt >= since && gap.endAt <= until) {
      plan.gaps.push({ gap, windowKeys: keys });
    }
  }
  if (options.since !== undefined && options.gapsOnly !== true) {
    const first = await firstLiveData(sql);
    for (const m of targets.markets) {
      const base = { conditionId: m.conditionId, fidelityMinutes: fidelityFor(m) };
      const options = { ...base, startAt: since, reason: "history" as const };
      for (const t of m.tokenIds) {
        const pricesEnd = minDate(until, first.prices.get(t) ?? null, first.pricesRun);
        add(newWindow("prices", t, { ...options, endAt: pricesEnd }));
        // Through the end of the first live second (a trades window includes the second of
        // its end): the subscription may have begun inside it, and the fills it did catch are
        // the same rows (their identity has no source).
        const tradesEnd = minDate(until, first.trades.get(t) ?? null, first.tradesRun);
        add(newWindow("trades", t, { ...options, endAt: tradesEnd }));
      }
    }
  }
  plan.windows = [...windows.values()];
  await loadCheckpoints(sql, plan.windows);
  plan.expectedTrades = await expectTrades(sql, plan.windows, options.now);
  return plan;
}

/**
 * The (market, token) pairs a gap left uncovered, among the selected markets: every token of
 * a connection outage (`tokens`), one token, a market's tokens, or every market's for "*".
 * `complete` is false when an explicit selection leaves out some of an outage's tokens, so a
 * partial run does not mark the gap backfilled (tokens missing from the whole catalog have
 * nothing to fill).
 */
function gapUnits(
  gap: StoredGap,
  targets: { markets: readonly MarketTarget[]; explicit: boolean },
  index: { byToken: Map<string, MarketTarget>; byScope: Map<string, MarketTarget> },
): { units: { market: MarketTarget; tokenId: string }[]; complete: boolean } {
  if (gap.tokens !== undefined) {
    const units = [];
    for (const tokenId of gap.tokens) {
      const market = index.byToken.get(tokenId);
      if (market !== undefined) units.push({ market, tokenId });
    }
    return { units, complete: !targets.explicit || units.length === gap.tokens.length };
  }
  if (gap.scope === "*") {
    return {
      units: targets.markets.flatMap((m) => m.tokenIds.map((t) => ({ market: m, tokenId: t }))),
      complete: true,
    };
  }
  const market = index.byToken.get(gap.scope) ?? index.byScope.get(gap.scope);
  if (market === undefined) return { units: [], complete: true };
  const tokens = index.byToken.has(gap.scope) ? [gap.scope] : market.tokenIds;
  return { units: tokens.map((t) => ({ market, tokenId: t })), complete: true };
}

/**
 * Not-yet-backfilled gaps overlapping [since, until), plus the open-ended trades intervals of a
 * clean stop (`detail.open`, collectors/_downtime_gap.ts) that began before `since`: they are
 * uncovered up to now, whatever their recorded end.
 */
async function gapsToFill(sql: Queryable, range: { since: Date; until: Date }) {
  const inRange = await listGaps(sql, { from: range.since, to: range.until, openOnly: true });
  const earlier = await listGaps(sql, { to: range.since, collector: "trades", openOnly: true });
  const seen = new Set(inRange.map(gapId));
  const stillOpen = earlier.filter((g) => isOpenEnded(g) && !seen.has(gapId(g)));
  return [...inRange, ...stillOpen];
}

function gapId(g: StoredGap): string {
  return `${g.collector}\n${g.scope}\n${g.startAt.getTime()}\n${g.cause}`;
}

/** A trades interval after a clean stop that no start has closed yet. */
export function isOpenEnded(gap: { collector: string; detail?: Record<string, unknown> }): boolean {
  return gap.collector === "trades" && gap.detail?.open === true;
}

function gapWindow(m: MarketTarget) {
  return { fidelityMinutes: fidelityFor(m), reason: "gap" as const };
}

function minDate(...dates: (Date | null)[]): Date {
  const times = dates.filter((d) => d !== null).map((d) => d.getTime());
  return new Date(Math.min(...times));
}

/** First live price per token, first live (ws) trade per token, first run of each collector. */
async function firstLiveData(sql: Queryable) {
  const prices = await sql<{ token_id: string; first: Date }[]>`
    select token_id, min(ts) as first from price_snapshots group by token_id`;
  const trades = await sql<{ token_id: string; first: Date }[]>`
    select token_id, min(ts) as first from trades where received_at is not null
    group by token_id`;
  const runs = await sql<{ collector: string; first: Date }[]>`
    select collector, min(started_at) as first from collector_runs
    where collector in ('prices', 'trades') group by collector`;
  const run = (c: string) => runs.find((r) => r.collector === c)?.first ?? null;
  return {
    prices: new Map(prices.map((r) => [r.token_id, r.first])),
    trades: new Map(trades.map((r) => [r.token_id, r.first])),
    pricesRun: run("prices"),
    tradesRun: run("trades"),
  };
}

/**
 * Trades a newest-first Data API walk of each market will page through: the market's stored
 * trade rate (last 24 h) times the time back to its oldest open window.
 */
async function expectTrades(sql: Queryable, windows: readonly BackfillWindow[], now: Date) {
  const oldest = new Map<string, number>();
  for (const w of windows) {
    if (w.kind !== "trades" || w.done) continue;
    const start = Math.min(oldest.get(w.conditionId) ?? Infinity, w.startAt.getTime());
    oldest.set(w.conditionId, start);
  }
  const out = new Map<string, number>();
  if (oldest.size === 0) return out;
  const rows = await sql<{ condition_id: string; n: string; first: Date | null }[]>`
    select coalesce(tr.condition_id, tk.condition_id) as condition_id, count(*) as n,
           min(tr.ts) as first
    from trades tr left join tokens tk using (token_id)
    where coalesce(tr.condition_id, tk.condition_id) = any(${[...oldest.keys()]})
      and tr.ts > ${new Date(now.getTime() - 86_400_000)}
    group by 1`;
  for (const [scope, start] of oldest) {
    const r = rows.find((x) => x.condition_id === scope);
    const spanS = r?.first ? Math.max(1, (now.getTime() - r.first.getTime()) / 1000) : 1;
    const rate = r === undefined ? 0 : Number(r.n) / spanS;
    out.set(scope, Math.round(rate * Math.max(0, now.getTime() - start) / 1000));
  }
  return out;
}
