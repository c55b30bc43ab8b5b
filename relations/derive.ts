/**
 * Relations derived from structure alone (no text understanding): neg-risk partitions from
 * `negRiskMarketID` and question indexes (with `exclusive` for an incomplete group and
 * `complement` for a complete pair), date ladders and threshold ladders inside one event, and
 * same-game templates (`_game_templates.ts`). Pure: takes the catalog's current rows, returns
 * relations.
 *
 * A partition is `confirmed` only when it provably covers every question: indexes 0..n-1 with
 * no gap and, for an augmented event, its "Other" member present. Anything less is
 * `incomplete` (a missing leg, an unlisted placeholder, an augmented group without Other), and
 * nothing downstream may treat it as exhaustive. Gamma cannot show members beyond the highest
 * listed index: the adapter's on-chain `questionCount` is the final check (relations.md C2).
 *
 * @example
 * ```ts
 * import { deriveRelations } from "./derive.ts";
 * deriveRelations([]); // []
 * ```
 */
import { groupBy, rulesDigest } from "./_members.ts";
import { ABOVE, BELOW, DATE, NUMBER, numberValue } from "./_question_text.ts";
import { games } from "./_game_templates.ts";

/** The catalog fields structure is read from (one market). */
export interface StructuralMarket {
  marketId: string;
  eventId: string | null;
  question: string | null;
  negRisk: boolean;
  negRiskMarketId: string | null;
  questionIndex: number | null;
  negRiskOther: boolean | null;
  eventNegRiskAugmented: boolean | null;
  groupItemTitle: string | null;
  groupItemThreshold: string | null;
  endDate: Date | null;
  gameId: string | null;
  /** Gamma `sportsMarketType` ("moneyline", "spreads", "totals"), null elsewhere. */
  sportsMarketType: string | null;
  /** Signed line as exact decimal text ("-3.5"), null for moneylines. */
  line: string | null;
  /** Outcome labels by outcome index (the first is the side a relation speaks of). */
  outcomes: readonly string[];
  rulesHash: string | null;
}

/**
 * Relation types. Chains (`ladder_*`, `implies`): each member's first outcome implies the
 * next member's. `exclusive`: at most one member's first outcome. `complement`: exactly one
 * of two. `partition`: exactly one of all members.
 */
export type RelationType =
  | "partition"
  | "exclusive"
  | "complement"
  | "implies"
  | "ladder_date"
  | "ladder_threshold"
  | "ladder_line";

/** Registry statuses (`stale` and `rejected` are only set by the registry or a reviewer). */
export type RelationStatus = "proposed" | "confirmed" | "incomplete" | "stale" | "rejected";

/** One derived relation. */
export interface Relation {
  /** Stable across member changes: the group id, the event id or the game id. */
  key: string;
  type: RelationType;
  /**
   * Market ids. Partition: by question index. Chains (ladders, implies): each member implies
   * the next ("by March" ⇒ "by June"; "> 100k" ⇒ "> 90k"; "wins by 3.5+" ⇒ "wins").
   */
  members: string[];
  provenance: string;
  status: RelationStatus;
  /** SHA-256 over the members' rules hashes in member order: an amendment changes it. */
  rulesDigest: string;
  detail: Record<string, unknown>;
}

/** Every structural relation among `markets`. */
export function deriveRelations(markets: readonly StructuralMarket[]): Relation[] {
  return [
    ...partitions(markets),
    ...ladders(markets),
    ...games(markets),
  ];
}

/** True for the types whose members form an implication chain (each implies the next). */
export function isChain(type: RelationType): boolean {
  return type === "implies" || type.startsWith("ladder_");
}

function partitions(markets: readonly StructuralMarket[]): Relation[] {
  const out: Relation[] = [];
  const groups = groupBy(markets, (m) => (m.negRisk ? m.negRiskMarketId : null));
  for (const [groupId, members] of groups) {
    const sorted = [...members].sort((a, b) =>
      (a.questionIndex ?? Infinity) - (b.questionIndex ?? Infinity)
    );
    const indexes = sorted.map((m) => m.questionIndex);
    const contiguous = indexes.every((ix, i) => ix === i);
    const augmented = sorted.some((m) => m.eventNegRiskAugmented === true);
    const other = sorted.find((m) => m.negRiskOther === true) ?? null;
    const reasons: string[] = [];
    if (!contiguous) reasons.push("question indexes have gaps or are unknown");
    if (augmented && other === null) reasons.push("augmented group without its Other member");
    out.push({
      key: `partition:${groupId}`,
      type: "partition",
      members: sorted.map((m) => m.marketId),
      provenance: "structure:neg_risk_market_id",
      status: reasons.length === 0 ? "confirmed" : "incomplete",
      rulesDigest: rulesDigest(sorted),
      detail: {
        negRiskMarketId: groupId,
        augmented,
        otherMarketId: other?.marketId ?? null,
        questionIndexes: indexes,
        ...(reasons.length > 0 ? { incomplete: reasons } : {}),
      },
    });
    if (reasons.length > 0 && sorted.length >= 2) {
      // Not exhaustive as far as we can see, but the adapter still allows one YES at most.
      out.push({
        key: `exclusive:${groupId}`,
        type: "exclusive",
        members: sorted.map((m) => m.marketId),
        provenance: "structure:neg_risk_market_id",
        status: "confirmed",
        rulesDigest: rulesDigest(sorted),
        detail: { negRiskMarketId: groupId, note: "members of an incomplete neg-risk group" },
      });
    }
    if (reasons.length === 0 && sorted.length === 2) {
      out.push({
        key: `complement:${groupId}`,
        type: "complement",
        members: sorted.map((m) => m.marketId),
        provenance: "structure:neg_risk_market_id",
        status: "confirmed",
        rulesDigest: rulesDigest(sorted),
        detail: { negRiskMarketId: groupId, note: "a complete two-question neg-risk group" },
      });
    }
  }
  return out;
}

/** One template shared by every member's question with `pattern` replaced, or null. */
function sharedStem(members: readonly StructuralMarket[], pattern: RegExp, token: string) {
  const stems = members.map((m) => {
    if (m.question === null) return null;
    const replaced = m.question.replace(pattern, token);
    return replaced === m.question ? null : replaced;
  });
  const first = stems[0];
  return first != null && stems.every((s) => s === first) ? first : null;
}

/**
 * The strike of each member: the one number that differs between the members' questions
 * (every other number must agree), or null when there is no such single position.
 */
function strikes(members: readonly StructuralMarket[]): number[] | null {
  const numbers = members.map((m) => (m.question ?? "").match(NUMBER) ?? []);
  const count = numbers[0]!.length;
  if (count === 0 || numbers.some((n) => n.length !== count)) return null;
  const varying: number[] = [];
  for (let i = 0; i < count; i++) {
    if (new Set(numbers.map((n) => n[i])).size > 1) varying.push(i);
  }
  if (varying.length !== 1) return null;
  const values = numbers.map((n) => numberValue(n[varying[0]!]!));
  return values.every(Number.isFinite) && new Set(values).size === values.length ? values : null;
}

function ladders(markets: readonly StructuralMarket[]): Relation[] {
  const out: Relation[] = [];
  const events = groupBy(markets, (m) => (m.negRisk ? null : m.eventId));
  for (const [eventId, members] of events) {
    if (members.length < 2) continue;
    const dates = members.map((m) => m.endDate?.getTime() ?? NaN);
    const dateStem = sharedStem(members, DATE, "#date#");
    if (dateStem !== null && dates.every(Number.isFinite) && new Set(dates).size === dates.length) {
      const sorted = [...members].sort((a, b) => a.endDate!.getTime() - b.endDate!.getTime());
      out.push({
        key: `ladder_date:${eventId}`,
        type: "ladder_date",
        members: sorted.map((m) => m.marketId),
        provenance: "structure:event_date_ladder",
        status: "confirmed",
        rulesDigest: rulesDigest(sorted),
        detail: { eventId, template: dateStem, order: "earlier deadline implies later" },
      });
      continue;
    }
    const numberStem = sharedStem(members, NUMBER, "#n#");
    const values = numberStem === null ? null : strikes(members);
    if (numberStem === null || values === null) continue;
    const above = ABOVE.test(numberStem);
    if (above === BELOW.test(numberStem)) continue; // direction unknown: no implication
    const strike = new Map(members.map((m, i) => [m.marketId, values[i]!]));
    const sorted = [...members].sort((a, b) =>
      (strike.get(b.marketId)! - strike.get(a.marketId)!) * (above ? 1 : -1)
    );
    out.push({
      key: `ladder_threshold:${eventId}`,
      type: "ladder_threshold",
      members: sorted.map((m) => m.marketId),
      provenance: "structure:event_threshold_ladder",
      status: "confirmed",
      rulesDigest: rulesDigest(sorted),
      detail: {
        eventId,
        template: numberStem,
        strikes: sorted.map((m) => strike.get(m.marketId)),
        order: above ? "higher threshold implies lower" : "lower threshold implies higher",
      },
    });
  }
  return out;
}
