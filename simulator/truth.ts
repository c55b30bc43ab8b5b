/**
 * The simulator's planted structure, for tests that check a relation registry against it:
 * every neg-risk group with its full member list (placeholders and "Other" included), every
 * date and threshold ladder in order, every game, and every market's fee schedule in force.
 *
 * @example
 * ```ts
 * import { createUniverse } from "./universe.ts";
 * import { structureTruth } from "./truth.ts";
 * const truth = structureTruth(createUniverse({ markets: 500, seed: 3, now: 0 }));
 * truth.negRiskGroups.every((g) => g.marketIds.length >= 3); // true
 * ```
 */
import type { SimMarket, Universe } from "./universe.ts";
import { feeScheduleAt, type SimEventKind, type SimFeeSchedule } from "./structure.ts";

/** A neg-risk group as planted: members in question-index order. */
export interface TruthNegRiskGroup {
  eventId: string;
  negRiskMarketId: string;
  augmented: boolean;
  /** Every member, including unlisted ones, placeholders and Other, by question index. */
  marketIds: string[];
  placeholderIds: string[];
  otherId: string | null;
}

/** A ladder: members ordered so that each implies the next (earlier date, higher strike). */
export interface TruthLadder {
  eventId: string;
  kind: Extract<SimEventKind, "date_ladder" | "threshold_ladder">;
  /** For dates: earliest first ("by March" ⇒ "by June"). For strikes: highest first. */
  impliedChain: string[];
}

/** A game: its markets, and the implication chains its lines plant. */
export interface TruthGame {
  eventId: string;
  gameId: string;
  marketIds: string[];
  /** Spreads by ascending (most negative) line, then the moneyline: each implies the next. */
  marginChain: string[];
  /** Totals by descending line ("over 220.5" ⇒ "over 210.5"). */
  totalsChain: string[];
}

/** The planted structure of a universe. */
export interface StructureTruth {
  negRiskGroups: TruthNegRiskGroup[];
  ladders: TruthLadder[];
  games: TruthGame[];
  /** Market ids that resolve 50-50 on cancellation (or did). */
  fiftyFifty: string[];
}

/** Reads the planted structure out of `universe`. */
export function structureTruth(universe: Universe): StructureTruth {
  const truth: StructureTruth = { negRiskGroups: [], ladders: [], games: [], fiftyFifty: [] };
  for (const e of universe.events) {
    const members = e.marketIndexes.map((i) => universe.markets[i]);
    const ids = (ms: SimMarket[]) => ms.map((m) => m.id);
    if (e.negRisk) {
      truth.negRiskGroups.push({
        eventId: e.id,
        negRiskMarketId: e.negRiskMarketId,
        augmented: e.meta.negRiskAugmented,
        marketIds: ids(members),
        placeholderIds: ids(members.filter((m) => m.meta.placeholder)),
        otherId: members.find((m) => m.meta.negRiskOther)?.id ?? null,
      });
    } else if (e.meta.kind === "date_ladder" || e.meta.kind === "threshold_ladder") {
      const ordered = e.meta.kind === "date_ladder" ? members : [...members].reverse();
      truth.ladders.push({ eventId: e.id, kind: e.meta.kind, impliedChain: ids(ordered) });
    } else if (e.meta.kind === "game" && members[0]?.meta.sports) {
      const line = (m: SimMarket) => Number(m.meta.sports?.line ?? 0);
      const of = (type: string) => members.filter((m) => m.meta.sports?.sportsMarketType === type);
      truth.games.push({
        eventId: e.id,
        gameId: members[0].meta.sports.gameId,
        marketIds: ids(members),
        marginChain: ids([...of("spreads"), ...of("moneyline")].sort((a, b) => line(a) - line(b))),
        totalsChain: ids(of("totals").sort((a, b) => line(b) - line(a))),
      });
    }
    for (const m of members) if (m.meta.is5050) truth.fiftyFifty.push(m.id);
  }
  return truth;
}

/** The fee schedule a market has at `nowMs` (null: fee-free). */
export function feeTruth(market: SimMarket, nowMs: number): SimFeeSchedule | null {
  return feeScheduleAt(market.meta, nowMs);
}
