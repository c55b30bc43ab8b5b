/**
 * The markets collector: every `collectors.markets.intervalMs` it walks the tracked universe
 * through Gamma keyset pages, fetches the parent events (neg-risk groups) of what it saw,
 * upserts events, markets and tokens, and re-reads by id every market that was active last
 * time but is missing now (so a close or resolution is stored on the next cycle). After each
 * complete walk it publishes the active token set for the websocket listener. Each market's
 * tracked metadata (fees, tick, neg-risk structure, rules) is recorded with change history,
 * and a bounded number of markets never read on the CLOB are read there (`_clob_metadata.ts`).
 *
 * @example
 * ```ts ignore
 * import { runMarketsCollector } from "./markets.ts";
 * await runMarketsCollector(deps, controller.signal); // until the signal aborts
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { ActiveToken } from "./_active_tokens.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import type { GammaEvent } from "../polymarket/gamma_event_schema.ts";
import { type ListedMarketsPage, listEvents, listMarkets } from "../polymarket/gamma.ts";
import {
  type EventRow,
  type MarketRow,
  type TokenRow,
  upsertEvents,
  upsertMarkets,
  upsertTokens,
} from "../db/catalog.ts";
import { recordMarketMetadata, updateEventNegRiskFlags } from "../db/market_metadata.ts";
import { type EventFlags, metadataFromGamma, observationKey } from "./market_metadata.ts";
import { readClobMetadata } from "./_clob_metadata.ts";
import { createCycleRunner, type CycleResult, storeRejects } from "./_cycle.ts";
import { runOnSchedule } from "./_schedule.ts";
import { chunk, logUniverseCap, MARKETS_SOURCE, walkUniverse } from "./_universe.ts";
import { KnownMarketRecord } from "./_known_markets.ts";

const TASK = "markets";
/** Ids per by-id request (Gamma's practical ceiling for repeated id filters). */
const IDS_PER_REQUEST = 100;

/** Runs the markets collector until `signal` aborts; rethrows `signal.reason`. */
export async function runMarketsCollector(
  deps: CollectorDeps,
  signal: AbortSignal,
): Promise<void> {
  logUniverseCap(deps, TASK);
  const cycles = createCycleRunner(deps, { task: TASK });
  // Digest of each market's last recorded Gamma observation: unchanged ones are not re-sent.
  const recorded = new Map<string, string>();
  // What each market stored by an earlier walk gave: an unchanged one is not parsed, upserted
  // or observed again.
  const known = new KnownMarketRecord<StoredMarket>({ fullEvery: FULL_WALK_EVERY });
  await runOnSchedule({
    task: TASK,
    intervalMs: deps.config.collectors.markets.intervalMs,
    now: deps.now,
    log: deps.log,
    immediate: true,
    cycle: (slot, cycleSignal) =>
      cycles.run(slot, cycleSignal, () => walk(deps, { recorded, known }, cycleSignal)),
  }, signal);
}

/** Walks between two walks that process every market again (an hour at the default 5 min). */
const FULL_WALK_EVERY = 12;

/** What a stored market contributes to later walks while it stays byte-identical. */
interface StoredMarket {
  eventIds: readonly string[];
  /** Its active tokens (none when closed or inactive). */
  active: readonly ActiveToken[];
  /** The flags of its first event its metadata was observed with. */
  flags: EventFlags | undefined;
}

interface WalkState {
  rows: number;
  rejects: number;
  events: Set<string>;
  active: ActiveToken[];
  seen: Set<string>;
  /**
   * The neg-risk flags of the events fetched in this walk (a whole universe's events, so only
   * the two flags, from a table of their 9 combinations, not the parsed events).
   */
  eventFlags: Map<string, EventFlags>;
  /** Observation time of this walk's metadata. */
  at: Date;
  metadataChanges: number;
  recorded: Map<string, string>;
  known: KnownMarketRecord<StoredMarket>;
  unchanged: number;
}

async function walk(
  deps: CollectorDeps,
  memory: { recorded: Map<string, string>; known: KnownMarketRecord<StoredMarket> },
  signal: AbortSignal,
): Promise<CycleResult> {
  const { recorded, known } = memory;
  known.startWalk();
  const state: WalkState = {
    rows: 0,
    rejects: 0,
    events: new Set(),
    active: [],
    seen: new Set(),
    eventFlags: new Map(),
    at: new Date(deps.now()),
    metadataChanges: 0,
    recorded,
    known,
    unchanged: 0,
  };
  const previous = await previouslyActive(deps);
  for await (const page of walkUniverse(deps, signal, known)) {
    await store(deps, page, state, signal);
  }
  const missing = [...previous].filter((id) => !state.seen.has(id));
  for (const ids of chunk(missing, IDS_PER_REQUEST)) {
    const query = { id: ids, limit: IDS_PER_REQUEST };
    for await (const page of listMarkets(deps.http, query, { signal })) {
      await store(deps, page, state, signal);
    }
  }
  const change = deps.activeTokens.publish(state.active);
  const clob = await readClobMetadata(deps, signal);
  return {
    rows: state.rows,
    rejects: state.rejects,
    errors: 0,
    detail: {
      markets: state.seen.size,
      activeTokens: state.active.length,
      unchanged: state.unchanged,
      recheckedMissing: missing.length,
      tokensAdded: change.added.length,
      tokensRemoved: change.removed.length,
      metadataChanges: state.metadataChanges + clob.changes,
      clobChecked: clob.checked,
      clobNotFound: clob.notFound,
    },
  };
}

/**
 * Upserts one market page with the events it references that were not fetched yet. Its
 * unchanged markets (byte-identical to when an earlier walk stored them) only count as seen
 * and active and ask for their events; the rest are upserted, observed and then recorded.
 */
async function store(
  deps: CollectorDeps,
  page: ListedMarketsPage,
  state: WalkState,
  signal: AbortSignal,
): Promise<void> {
  state.rejects += await storeRejects(deps, MARKETS_SOURCE, page.rejects);
  const wanted = new Set<string>();
  const unchanged: [string, StoredMarket][] = [];
  for (const id of page.unchanged) {
    const stored = state.known.get(id);
    if (stored === undefined) continue;
    unchanged.push([id, stored]);
    state.seen.add(id);
    for (const e of stored.eventIds) if (!state.events.has(e)) wanted.add(e);
  }
  for (const m of page.items) {
    state.seen.add(m.id);
    for (const id of m.eventIds) if (!state.events.has(id)) wanted.add(id);
  }
  const events: GammaEvent[] = [];
  for (const ids of chunk([...wanted], IDS_PER_REQUEST)) {
    const query = { id: ids, limit: IDS_PER_REQUEST, include_markets: false };
    for await (const p of listEvents(deps.http, query, { signal })) {
      state.rejects += await storeRejects(deps, "gamma:/events/keyset", p.rejects);
      events.push(...p.items);
    }
  }
  for (const id of wanted) state.events.add(id);
  for (const e of events) state.eventFlags.set(e.id, flagsOf(e));
  const rows = toCatalogRows(page.items, events);
  state.rows += await upsertEvents(deps.sql, rows.events);
  state.rows += await updateEventNegRiskFlags(
    deps.sql,
    events.map((e) => ({ ...e, eventId: e.id })),
  );
  state.rows += await upsertMarkets(deps.sql, rows.markets);
  state.rows += await upsertTokens(deps.sql, rows.tokens);
  const observed = page.items.map((m) => metadataFromGamma(m, state.eventFlags.get(m.eventIds[0])));
  const keys = observed.map(observationKey);
  const fresh = observed.filter((o, i) => state.recorded.get(o.marketId) !== keys[i]);
  const changes = await recordMarketMetadata(deps.sql, fresh, {
    at: state.at,
    source: MARKETS_SOURCE,
  });
  observed.forEach((o, i) => state.recorded.set(o.marketId, keys[i]!));
  state.metadataChanges += changes;
  state.rows += changes;
  page.items.forEach((m, i) => {
    const active: ActiveToken[] = m.closed === true || m.active === false
      ? []
      : m.clobTokenIds.map((tokenId) => ({ tokenId, conditionId: m.conditionId, marketId: m.id }));
    for (const t of active) state.active.push(t);
    const print = page.prints[i];
    if (print === undefined) return;
    const flags = state.eventFlags.get(m.eventIds[0]!);
    state.known.record(m.id, print, { eventIds: m.eventIds, active, flags });
  });
  state.unchanged += unchanged.length;
  for (const [id, stored] of unchanged) {
    for (const t of stored.active) state.active.push(t);
    // Its event's neg-risk flags moved under it: observe it again on the next walk.
    if (state.eventFlags.get(stored.eventIds[0]!) !== stored.flags) state.known.forget(id);
  }
}

const FLAG_VALUES = [null, false, true] as const;
/** Every combination of the two flags, so each event costs a map entry, not an object. */
const EVENT_FLAGS: readonly EventFlags[] = FLAG_VALUES.flatMap((enableNegRisk) =>
  FLAG_VALUES.map((negRiskAugmented) => Object.freeze({ enableNegRisk, negRiskAugmented }))
);

function flagsOf(e: GammaEvent): EventFlags {
  const at = (v: boolean | null) => FLAG_VALUES.indexOf(v);
  return EVENT_FLAGS[at(e.enableNegRisk) * 3 + at(e.negRiskAugmented)]!;
}

/** Market ids active at the end of the previous walk (from the database after a restart). */
async function previouslyActive(deps: CollectorDeps): Promise<Set<string>> {
  if (deps.activeTokens.ready) {
    return new Set([...deps.activeTokens.current().values()].map((t) => t.marketId));
  }
  const rows = await deps.sql<{ market_id: string }[]>`
    select market_id from markets where active and not closed`;
  return new Set(rows.map((r) => r.market_id));
}

/** Catalog rows of one page: events (from `events`), markets and their tokens. */
export interface CatalogRows {
  events: EventRow[];
  markets: MarketRow[];
  tokens: TokenRow[];
}

/**
 * Turns a page of Gamma markets (and the events they belong to) into catalog rows. Tokens pair
 * `clobTokenIds[i]` with `outcomes[i]`; a market's event is its first parent event.
 *
 * @example
 * ```ts
 * import { toCatalogRows } from "./markets.ts";
 * toCatalogRows([], []); // { events: [], markets: [], tokens: [] }
 * ```
 */
export function toCatalogRows(
  markets: readonly GammaMarket[],
  events: readonly GammaEvent[],
): CatalogRows {
  const eventRows: EventRow[] = events.map((e) => ({
    eventId: e.id,
    slug: e.slug,
    title: e.title,
    negRisk: e.negRisk,
    negRiskMarketId: e.negRiskMarketId,
    active: e.active,
    closed: e.closed,
    startDate: e.startDate,
    endDate: e.endDate,
  }));
  const marketRows: MarketRow[] = [];
  const tokenRows: TokenRow[] = [];
  for (const m of markets) {
    marketRows.push({
      marketId: m.id,
      conditionId: m.conditionId,
      questionId: m.questionId,
      eventId: m.eventIds[0] ?? null,
      slug: m.slug,
      question: m.question,
      outcomes: m.outcomes,
      negRisk: m.negRisk,
      negRiskMarketId: m.negRiskMarketId,
      groupItemTitle: m.groupItemTitle,
      tickSize: m.orderPriceMinTickSize,
      minOrderSize: m.orderMinSize,
      active: m.active,
      closed: m.closed,
      archived: m.archived,
      acceptingOrders: m.acceptingOrders,
      enableOrderBook: m.enableOrderBook,
      volume: m.volume,
      liquidity: m.liquidity,
      startDate: m.startDate,
      endDate: m.endDate,
      closedTime: m.closedTime,
    });
    m.clobTokenIds.forEach((tokenId, i) => {
      tokenRows.push({
        tokenId,
        conditionId: m.conditionId,
        marketId: m.id,
        outcome: m.outcomes[i] ?? null,
        outcomeIndex: i,
      });
    });
  }
  return { events: eventRows, markets: marketRows, tokens: tokenRows };
}
