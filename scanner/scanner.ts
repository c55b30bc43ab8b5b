/**
 * The scanner: on every book event of a relation leg it updates the exact L2 book, then
 * re-evaluates each relation that includes the token. Gates first (an incomplete group, a
 * gated or stale leg, or legs whose connections' last data lie more than `maxSkewMs` apart
 * mean no opportunity, counted), then the exact best-level pre-checks, then the edge engine
 * for the channels that pass. Positive plans open and extend episodes (`episode.ts`); the peak
 * plan is re-priced 250 ms and 1 s after the peak.
 *
 * Time is the events' receive time, never a wall clock: an event at t first settles every
 * re-pricing due before t (on the books as they were), then applies. `advance(now)` does the
 * same between events (live, on a timer), so a live run and a replay of the same events give
 * the same episodes. A leg whose connection goes silent ends its episodes at the exact instant
 * it went stale (last data + `maxBookAgeMs`).
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
import { changedSides, gateOf, staleAtOf, usedSides } from "./_gates.ts";
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
  gatedLegs: number;
  staleLegs: number;
  skewedLegs: number;
  prechecksPassed: number;
  evaluations: number;
  episodesOpened: number;
  episodesFinal: number;
}

const GROUP_CHANNELS: readonly LiveChannel[] = ["neg_risk_conversion", "neg_risk_basket"];
const PAIR_CHANNELS: readonly LiveChannel[] = ["implication"];

export class Scanner {
  readonly books: L2Books;
  readonly counts: ScannerCounts = {
    events: 0,
    relationChecks: 0,
    incompleteGroups: 0,
    gatedLegs: 0,
    staleLegs: 0,
    skewedLegs: 0,
    prechecksPassed: 0,
    evaluations: 0,
    episodesOpened: 0,
    episodesFinal: 0,
  };
  readonly #o: ScannerOptions;
  readonly #rules;
  #set: RelationSet;
  /** Open episodes by relation key + channel. */
  readonly #open = new Map<string, { episode: Episode; relation: ScanRelation }>();
  /** Ended episodes waiting for their survival re-pricing. */
  #closing: Episode[] = [];
  /**
   * Each channel's last answer per relation (episode key → plan or null). A change on a book
   * side a channel never buys from cannot change its answer, so it is reused, not recomputed.
   */
  readonly #last = new Map<string, Plan | null>();

  constructor(set: RelationSet, options: ScannerOptions) {
    this.#set = set;
    this.#o = options;
    this.#rules = parseRules(options.rules ?? POLYMARKET_RULES);
    this.books = options.books ?? new L2Books();
  }

  get relations(): RelationSet {
    return this.#set;
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
    this.#set = set;
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

  /** One book event, in arrival order. */
  push(event: BookEvent): void {
    this.counts.events++;
    this.advance(event.receivedAt);
    this.books.apply(event);
    const sides = changedSides(event);
    for (const relation of this.#set.relationsOf(event.tokenId)) {
      this.#evaluate(relation, {
        now: event.receivedAt,
        sequence: event.sequence,
        sides,
        token: event.tokenId,
      });
    }
  }

  /** Settles everything due strictly before `now`: survival re-pricing and stale legs. */
  advance(now: number): void {
    for (const [key, { episode, relation }] of this.#open) {
      const staleAt = staleAtOf(relation, { books: this.books, limits: this.#o });
      if (staleAt !== null && staleAt < now) {
        this.#reprice(episode, staleAt);
        this.counts.staleLegs++;
        this.#close(key, staleAt, "stale_leg");
      }
    }
    for (const { episode } of this.#open.values()) this.#reprice(episode, now);
    if (this.#closing.length === 0) return;
    const still: Episode[] = [];
    for (const episode of this.#closing) {
      this.#reprice(episode, now);
      if (isFinal(episode)) this.#final(episode);
      else still.push(episode);
    }
    this.#closing = still;
  }

  /** End of the stream (a backtest's end): ends open episodes, prices what is still due. */
  finish(now: number): void {
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

  #evaluate(
    relation: ScanRelation,
    change: { now: number; sequence: number; sides: number; token: string },
  ): void {
    const { now, sequence } = change;
    this.counts.relationChecks++;
    const channels = relation.kind === "group" ? GROUP_CHANNELS : PAIR_CHANNELS;
    if (relation.kind === "group" && !relation.complete) {
      this.counts.incompleteGroups++;
      return;
    }
    const gate = gateOf(relation, now, { books: this.books, limits: this.#o });
    if (gate !== null) {
      if (gate === "gated_leg") this.counts.gatedLegs++;
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
      if (plan === undefined || (change.sides & usedSides(relation, channel, change.token)) !== 0) {
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
      this.#open.set(key, { episode, relation });
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
      this.#o.onEpisode(episode, "peak");
    }
  }

  #close(key: string, now: number, reason: string): void {
    const open = this.#open.get(key);
    if (open === undefined) return;
    this.#open.delete(key);
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

function episodeKey(relation: ScanRelation, channel: LiveChannel): string {
  return `${relation.key}\u0000${channel}`;
}
