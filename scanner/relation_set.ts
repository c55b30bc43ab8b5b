/**
 * What the scanner watches: its relations as plain data (a complete or incomplete neg-risk
 * group, or an implication pair), each market with the static inputs the edge engine needs
 * (tokens, fee schedule, tick, minimum order, end date), and the index from a YES token to the
 * relations it is a leg of. Books are live (`stream/l2_book.ts`); only YES books are read (the
 * NO book is its mirror, one book per condition).
 *
 * @example
 * ```ts
 * import { RelationSet } from "./relation_set.ts";
 * const set = new RelationSet([{ key: "g1", kind: "group", complete: true, convertFeeBips: 0, markets }]);
 * set.relationsOf(markets[0].yesTokenId); // [the group]
 * ```
 */
import type { FeeSchedule } from "../edge/market.ts";

/** A market's static inputs (its book comes from the live L2 books). */
export interface ScanMarket {
  readonly marketId: string;
  /** The market's event, when known (`backtest --events` selects by it). */
  readonly eventId?: string;
  readonly conditionId: string;
  readonly yesTokenId: string;
  readonly noTokenId: string;
  readonly fee: FeeSchedule | null;
  readonly tickSize: string;
  readonly minOrderSize: string;
  readonly endDate: string | null;
  readonly questionIndex?: number;
  /** Epoch ms from which the market may not be traded (resolved, closed); null while open. */
  readonly closedAt?: number | null;
}

/** A neg-risk group (partition) or an implication pair [antecedent, consequent]. */
export interface ScanRelation {
  readonly key: string;
  readonly kind: "group" | "implication";
  /** Groups: true only when every question is present (the registry's `confirmed`). */
  readonly complete: boolean;
  /** The adapter's conversion fee (groups); null = unknown, no conversion plan. */
  readonly convertFeeBips: number | null;
  readonly markets: readonly ScanMarket[];
}

export class RelationSet {
  readonly relations: readonly ScanRelation[];
  readonly #byToken = new Map<string, ScanRelation[]>();
  readonly #marketByToken = new Map<string, ScanMarket>();

  constructor(relations: readonly ScanRelation[]) {
    this.relations = relations;
    for (const relation of relations) {
      for (const market of relation.markets) {
        this.#marketByToken.set(market.yesTokenId, market);
        this.#marketByToken.set(market.noTokenId, market);
        let list = this.#byToken.get(market.yesTokenId);
        if (list === undefined) this.#byToken.set(market.yesTokenId, list = []);
        list.push(relation);
      }
    }
  }

  /** True for a YES token that is a leg of some relation. */
  watches(tokenId: string): boolean {
    return this.#byToken.has(tokenId);
  }

  /** The relations whose legs include this YES token (empty for any other token). */
  relationsOf(tokenId: string): readonly ScanRelation[] {
    return this.#byToken.get(tokenId) ?? [];
  }

  /** The market of a YES or NO token. */
  marketOf(tokenId: string): ScanMarket | undefined {
    return this.#marketByToken.get(tokenId);
  }

  /** Every watched YES token. */
  tokens(): string[] {
    return [...this.#byToken.keys()];
  }

  /** The relations with a member in one of `eventIds`, as a set of their own. */
  ofEvents(eventIds: readonly string[]): RelationSet {
    const events = new Set(eventIds);
    return new RelationSet(
      this.relations.filter((r) => r.markets.some((m) => events.has(m.eventId ?? ""))),
    );
  }
}
