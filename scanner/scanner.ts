/**
 * The scanner: on every book event of a relation leg it updates the exact L2 book, then
 * re-evaluates each relation that includes the token. Gates first (an incomplete group, a leg
 * whose market is no longer tradable, a gated or stale leg, or legs whose connections' last data lie more than `maxSkewMs` apart
 * mean no opportunity, counted), then the exact best-level pre-checks, then the edge engine
 * for the channels that pass. Positive plans open and extend episodes (`episode.ts`); the peak
 * plan is re-priced 250 ms and 1 s after the peak.
 *
 * Applying a change and evaluating are split: `ingest` (the listener's path) only updates the
 * L2 book and marks the token's relations dirty; a pass (`evaluatePending`) evaluates each
 * dirty relation once, at the receive time of the latest event that changed it. Live, passes
 * run off the listener's path with a time budget (`_pass_scheduler.ts`); `push` (replay) runs
 * one at each new receive instant. Under normal load the live passes fall on the same
 * boundaries (each frame is evaluated before the next arrives), so a live run and a replay of
 * the same events give the same episodes; when the event loop falls behind, a live pass
 * coalesces several instants and only the latest book state of each relation is evaluated
 * (counted in `passes` vs `events`).
 *
 * Time is the events' receive time, never a wall clock: an event at t first settles every
 * re-pricing due before t (on the books as they were), then applies. `advance(now)` does the
 * same between events (live, on a timer). A leg whose connection goes silent ends its episodes at the exact instant
 * it went stale (last data + `maxBookAgeMs`); a leg whose market closed or resolved, at the
 * instant it did.
 *
 * @example
 * ```ts
 * import { Scanner } from "./scanner.ts";
 * const scanner = new Scanner(relationSet, { maxBookAgeMs: 10_000, maxSkewMs: 2_000, onEpisode });
 * for (const event of events) scanner.push(event);
 * scanner.finish(lastReceivedAt);
 * ```
 */
import { parseRules } from "../edge/legs.ts";
import { POLYMARKET_RULES, type VenueRules } from "../edge/market.ts";
import type { Plan } from "../edge/plan.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { evaluateChannel, type LiveChannel, precheck, repricePlan } from "./_evaluate.ts";
import { type Episode, isFinal, SURVIVAL_OFFSETS_MS } from "./episode.ts";
import { changedSides, gateOf, staleAtOf, staleTimeOf, usedSides } from "./_gates.ts";
import { DueHeap } from "./_due_heap.ts";
import type { RelationSet, ScanRelation } from "./relation_set.ts";

export type EpisodePhase = "open" | "peak" | "final";

export interface ScannerOptions {
  /** A leg whose connection delivered nothing for longer is stale. */
  readonly maxBookAgeMs: number;
  /** Largest gap between the legs' connections' last data. */
  readonly maxSkewMs: number;
  readonly onEpisode: (episode: Episode, phase: EpisodePhase) => void;
  /** Episodes of a backtest are marked as replayed. */
  readonly replayed?: boolean;
  readonly rules?: VenueRules;
  /** The books to keep (shared with another consumer); a new set by default. */
  readonly books?: L2Books;
}

/** What the scanner did and refused, for `/metrics`. */
export interface ScannerCounts {
  events: number;
  relationChecks: number;
  incompleteGroups: number;
  /** A leg's market was no longer tradable (resolved, closed, not accepting orders). */
  closedLegs: number;
  gatedLegs: number;
  staleLegs: number;
  skewedLegs: number;
  prechecksPassed: number;
  evaluations: number;
  episodesOpened: number;
  episodesFinal: number;
  /** Evaluation passes (each evaluates every dirty relation at most once). */
  passes: number;
}

const GROUP_CHANNELS: readonly LiveChannel[] = ["neg_risk_conversion", "neg_risk_basket"];
const PAIR_CHANNELS: readonly LiveChannel[] = ["implication"];

export class Scanner {
  readonly books: L2Books;
  readonly counts: ScannerCounts = {
    events: 0,
    relationChecks: 0,
    incompleteGroups: 0,
    closedLegs: 0,
    gatedLegs: 0,
    staleLegs: 0,
    skewedLegs: 0,
    prechecksPassed: 0,
    evaluations: 0,
    episodesOpened: 0,
    episodesFinal: 0,
    passes: 0,
  };
  readonly #o: ScannerOptions;
  readonly #rules;
  #set: RelationSet;
  /** Open episodes by relation key + channel, with the instant last scheduled in `#due`. */
  readonly #open = new Map<string, OpenEpisode>();
  /** Ended episodes waiting for their survival re-pricing. */
  #closing: Episode[] = [];
  /**
   * Each channel's last answer per relation (episode key → plan or null). A change on a book
   * side a channel never buys from cannot change its answer, so it is reused, not recomputed.
   */
  readonly #last = new Map<string, Plan | null>();
  /** Relations changed since their last evaluation, by key, in order of first change. */
  readonly #dirty = new Map<string, Dirty>();
  /** Latest receive time among the dirty changes. */
  #dirtyUntil = -Infinity;
  /**
   * Open episodes by the earliest instant something may be due for them: a lower bound on a
   * leg's stale or close instant (staleness only moves later as connections deliver) or the
   * next survival re-pricing. An event settles only the entries whose instant passed; an
   * entry whose `at` is not its episode's `dueAt` was superseded and is dropped.
   */
  readonly #due = new DueHeap();
  /** Rebuild `#due` from every open episode (a new relation set). */
  #rebuildDue = false;
  /** Nothing in the closing list is due at or before this instant. */
  #closingQuiet = -Infinity;
  /** `advance` calls that had something due (the rest returned at once). */
  #scans = 0;

  constructor(set: RelationSet, options: ScannerOptions) {
    this.#set = set;
    this.#o = options;
    this.#rules = parseRules(options.rules ?? POLYMARKET_RULES);
    this.books = options.books ?? new L2Books();
  }

  get relations(): RelationSet {
    return this.#set;
  }

  /** How many `advance` calls had something due (the rest returned at once). */
  get advanceScans(): number {
    return this.#scans;
  }

  /** Open episodes (for health reports). */
  get openEpisodes(): number {
    return this.#open.size;
  }

  /** Swaps the relation set; open episodes of relations that are gone end now. */
  setRelations(set: RelationSet, now: number): void {
    const keep = new Set(set.relations.map((r) => r.key));
    for (const [key, open] of this.#open) {
      if (!keep.has(open.relation.key)) this.#close(key, now, "relation_removed");
    }
    const byKey = new Map(set.relations.map((r) => [r.key, r]));
    for (const [key, dirty] of this.#dirty) {
      const relation = byKey.get(key);
      if (relation === undefined) this.#dirty.delete(key);
      else this.#dirty.set(key, { ...dirty, relation });
    }
    this.#set = set;
    this.#rebuildDue = true;
    // A relation's markets may have changed under the same key: answer everything afresh.
    this.#last.clear();
  }

  watches(tokenId: string): boolean {
    return this.#set.watches(tokenId);
  }

  /** Resubscribed tokens: their books are gated until the next snapshot. */
  resubscribed(tokenIds: readonly string[]): void {
    for (const t of tokenIds) this.books.close(t);
  }

  /**
   * One book event, in arrival order, with the replay's scheduling: the relations it touches
   * are evaluated once every event of its receive instant is applied (a pass at each new
   * instant, or `finish`). Deterministic; the backtest and the tests use it.
   */
  push(event: BookEvent): void {
    if (this.#dirty.size > 0 && event.receivedAt > this.#dirtyUntil) this.evaluatePending();
    this.ingest(event);
  }

  /**
   * The listener's side, cheap (O(levels changed + relations of the token)): settles what is
   * due before the event, applies it to the L2 book and marks its relations dirty, remembering
   * the receive time and sequence of the latest change. Evaluation waits for a pass
   * (`evaluatePending`, scheduled off the listener's path by `_pass_scheduler.ts`).
   */
  ingest(event: BookEvent): void {
    this.counts.events++;
    this.advance(event.receivedAt);
    const connection = this.books.connectionOf(event.tokenId);
    this.books.apply(event);
    if (connection !== null && connection !== event.connection) this.#recheck(event.tokenId);
    const relations = this.#set.relationsOf(event.tokenId);
    if (relations.length === 0) return;
    const sides = changedSides(event);
    for (const relation of relations) {
      let dirty = this.#dirty.get(relation.key);
      if (dirty === undefined) {
        dirty = { relation, at: event.receivedAt, sequence: event.sequence, touched: new Map() };
        this.#dirty.set(relation.key, dirty);
      }
      dirty.at = event.receivedAt;
      dirty.sequence = event.sequence;
      dirty.touched.set(event.tokenId, (dirty.touched.get(event.tokenId) ?? 0) | sides);
    }
    if (event.receivedAt > this.#dirtyUntil) this.#dirtyUntil = event.receivedAt;
  }

  /** Relations changed since their last evaluation. */
  get pending(): number {
    return this.#dirty.size;
  }

  /**
   * A pass: evaluates each dirty relation once, on the books as they are now, at the receive
   * time of the latest event that changed it (the event that made the evaluated state, so
   * episode instants stay exact). With `deadline` (a `performance.now()` instant) it stops
   * after the relation that crosses it; the rest stay dirty. Returns how many remain.
   */
  evaluatePending(deadline = Infinity): number {
    if (this.#dirty.size > 0) this.counts.passes++;
    for (const [key, dirty] of this.#dirty) {
      this.#dirty.delete(key);
      this.#evaluate(dirty.relation, dirty);
      if (deadline !== Infinity && performance.now() >= deadline) break;
    }
    if (this.#dirty.size === 0) this.#dirtyUntil = -Infinity;
    return this.#dirty.size;
  }

  /** Settles everything due strictly before `now`: survival re-pricing and stale legs. */
  advance(now: number): void {
    if (this.#rebuildDue) this.#scheduleAll();
    if (!(this.#due.peekAt() < now) && !(this.#closingQuiet < now)) return;
    this.#scans++;
    const context = { books: this.books, limits: this.#o };
    while (this.#due.peekAt() < now) {
      const { at: scheduled, key } = this.#due.pop()!;
      const open = this.#open.get(key);
      if (open === undefined || open.dueAt !== scheduled) continue;
      const at = staleTimeOf(open.relation, context);
      if (at !== null && at < now) {
        const ends = staleAtOf(open.relation, context)!;
        this.#reprice(open.episode, ends.at);
        if (ends.reason === "stale_leg") this.counts.staleLegs++;
        else this.counts.closedLegs++;
        this.#close(key, ends.at, ends.reason);
        continue;
      }
      this.#reprice(open.episode, now);
      this.#schedule(key, open, Math.min(at ?? Infinity, nextReprice(open.episode)));
    }
    if (!(this.#closingQuiet < now)) return;
    let quiet = Infinity;
    const still: Episode[] = [];
    for (const episode of this.#closing) {
      this.#reprice(episode, now);
      if (isFinal(episode)) this.#final(episode);
      else {
        still.push(episode);
        quiet = Math.min(quiet, nextReprice(episode));
      }
    }
    this.#closing = still;
    this.#closingQuiet = quiet;
  }

  /** Schedules the open episode's next check at `at` (Infinity: nothing can fall due). */
  #schedule(key: string, open: OpenEpisode, at: number): void {
    open.dueAt = at;
    if (at !== Infinity) this.#due.push(at, key);
  }

  /**
   * The token's book moved to another connection, whose last data may be older: its open
   * episodes are checked afresh on the next advance (not every open episode).
   */
  #recheck(tokenId: string): void {
    for (const relation of this.#set.relationsOf(tokenId)) {
      const channels = relation.kind === "group" ? GROUP_CHANNELS : PAIR_CHANNELS;
      for (const channel of channels) {
        const key = episodeKey(relation, channel);
        const open = this.#open.get(key);
        if (open !== undefined) this.#schedule(key, open, -Infinity);
      }
    }
  }

  #scheduleAll(): void {
    this.#rebuildDue = false;
    this.#due.clear();
    // -Infinity: each is checked (and rescheduled from its books) on the next advance.
    for (const [key, open] of this.#open) this.#schedule(key, open, -Infinity);
  }

  /** End of the stream (a backtest's end): ends open episodes, prices what is still due. */
  finish(now: number): void {
    this.evaluatePending();
    this.advance(now);
    for (const key of [...this.#open.keys()]) this.#close(key, now, "end_of_stream");
    for (const episode of this.#closing) {
      for (let i = 0; i < episode.survival.length; i++) {
        if (episode.survival[i] === undefined) episode.survival[i] = this.#repriced(episode);
      }
      this.#final(episode);
    }
    this.#closing = [];
  }

  #evaluate(relation: ScanRelation, change: Dirty): void {
    const { at: now, sequence } = change;
    this.counts.relationChecks++;
    const channels = relation.kind === "group" ? GROUP_CHANNELS : PAIR_CHANNELS;
    if (relation.kind === "group" && !relation.complete) {
      this.counts.incompleteGroups++;
      return;
    }
    const gate = gateOf(relation, now, { books: this.books, limits: this.#o });
    if (gate !== null) {
      if (gate === "gated_leg") this.counts.gatedLegs++;
      else if (gate === "closed_leg") this.counts.closedLegs++;
      else if (gate === "stale_leg") this.counts.staleLegs++;
      else this.counts.skewedLegs++;
      for (const channel of channels) {
        const key = episodeKey(relation, channel);
        this.#last.delete(key);
        this.#close(key, now, gate);
      }
      return;
    }
    let passed: LiveChannel[] | null = null;
    const asOf = new Date(now).toISOString();
    for (const channel of channels) {
      const key = episodeKey(relation, channel);
      let plan = this.#last.get(key);
      if (plan === undefined || touches(relation, channel, change.touched)) {
        if (passed === null) {
          passed = precheck(relation, this.books);
          if (passed.length > 0) this.counts.prechecksPassed++;
        }
        plan = null;
        if (passed.includes(channel)) {
          this.counts.evaluations++;
          const context = { books: this.books, rules: this.#rules, asOf };
          plan = evaluateChannel(relation, channel, context)?.plan ?? null;
        }
        this.#last.set(key, plan);
      }
      if (plan !== null && plan.profit > 0n) {
        this.#observe(relation, { channel, plan, now, sequence });
      } else this.#close(key, now, "no_edge");
    }
  }

  #observe(
    relation: ScanRelation,
    seen: { channel: LiveChannel; plan: Plan; now: number; sequence: number },
  ): void {
    const key = episodeKey(relation, seen.channel);
    const open = this.#open.get(key);
    const ages = relation.markets.map((m) =>
      seen.now - (this.books.freshness(m.yesTokenId)?.changedAt ?? seen.now)
    );
    if (open === undefined) {
      const episode: Episode = {
        relationKey: relation.key,
        channel: seen.channel,
        startedAt: seen.now,
        startSequence: seen.sequence,
        endedAt: null,
        endReason: null,
        peakAt: seen.now,
        peakProfit: seen.plan.profit,
        peakPlan: seen.plan,
        peakBookAgesMs: ages,
        survival: SURVIVAL_OFFSETS_MS.map(() => undefined),
        observations: 1,
        replayed: this.#o.replayed ?? false,
      };
      const open: OpenEpisode = { episode, relation, dueAt: Infinity };
      this.#open.set(key, open);
      this.#schedule(key, open, -Infinity);
      this.counts.episodesOpened++;
      this.#o.onEpisode(episode, "open");
      return;
    }
    const episode = open.episode;
    episode.observations++;
    if (seen.plan.profit > episode.peakProfit) {
      episode.peakAt = seen.now;
      episode.peakProfit = seen.plan.profit;
      episode.peakPlan = seen.plan;
      episode.peakBookAgesMs = ages;
      episode.survival = SURVIVAL_OFFSETS_MS.map(() => undefined);
      if (nextReprice(episode) < open.dueAt) this.#schedule(key, open, nextReprice(episode));
      this.#o.onEpisode(episode, "peak");
    }
  }

  #close(key: string, now: number, reason: string): void {
    const open = this.#open.get(key);
    if (open === undefined) return;
    this.#open.delete(key);
    // Its pending re-pricing (or its final report) is due on the next advance.
    this.#closingQuiet = -Infinity;
    open.episode.endedAt = now;
    open.episode.endReason = reason;
    this.#closing.push(open.episode);
  }

  /** Re-prices the peak plan for every survival instant strictly before `now`. */
  #reprice(episode: Episode, now: number): void {
    for (let i = 0; i < SURVIVAL_OFFSETS_MS.length; i++) {
      if (episode.survival[i] !== undefined) continue;
      if (episode.peakAt + SURVIVAL_OFFSETS_MS[i]! < now) {
        episode.survival[i] = this.#repriced(episode);
      }
    }
  }

  #repriced(episode: Episode) {
    return repricePlan(episode.peakPlan, { books: this.books, rules: this.#rules, set: this.#set });
  }

  #final(episode: Episode): void {
    this.counts.episodesFinal++;
    this.#o.onEpisode(episode, "final");
  }
}

interface OpenEpisode {
  readonly episode: Episode;
  readonly relation: ScanRelation;
  /** The instant of its live entry in `#due`. */
  dueAt: number;
}

/** A relation's changes since its last evaluation. */
interface Dirty {
  readonly relation: ScanRelation;
  /** Receive time and sequence of the latest change. */
  at: number;
  sequence: number;
  /** Token → YES book sides changed. */
  readonly touched: Map<string, number>;
}

/** The first pending re-pricing instant of `episode` (due once strictly passed). */
function nextReprice(episode: Episode): number {
  for (let i = 0; i < SURVIVAL_OFFSETS_MS.length; i++) {
    if (episode.survival[i] === undefined) return episode.peakAt + SURVIVAL_OFFSETS_MS[i]!;
  }
  return Infinity;
}

/** True when a change touched a book side `channel` buys from. */
function touches(relation: ScanRelation, channel: LiveChannel, touched: Map<string, number>) {
  for (const [token, sides] of touched) {
    if ((sides & usedSides(relation, channel, token)) !== 0) return true;
  }
  return false;
}

function episodeKey(relation: ScanRelation, channel: LiveChannel): string {
  return `${relation.key}\u0000${channel}`;
}
