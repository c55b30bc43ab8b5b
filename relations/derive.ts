/**
 * Relations derived from structure alone (no text understanding): neg-risk partitions from
 * `negRiskMarketID` and question indexes, date ladders and threshold ladders inside one event,
 * and markets of one game. Pure: takes the catalog's current rows, returns relations.
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
import { createHash } from "node:crypto";

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

export function rulesDigest(members: readonly StructuralMarket[]): string {
  return createHash("sha256").update(members.map((m) => m.rulesHash ?? "").join("\n")).digest(
    "hex",
  );
}

function groupBy<K>(items: readonly StructuralMarket[], key: (m: StructuralMarket) => K | null) {
  const out = new Map<K, StructuralMarket[]>();
  for (const m of items) {
    const k = key(m);
    if (k === null) continue;
    const list = out.get(k);
    if (list === undefined) out.set(k, [m]);
    else list.push(m);
  }
  return out;
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

export const MONTH = "(?:january|february|march|april|may|june|july|august|september|october|" +
  "november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\\.?";
export const DATE = new RegExp(
  `\\b${MONTH}(?:\\s+\\d{1,2}(?:st|nd|rd|th)?)?(?:,?\\s+\\d{4})?\\b`,
  "gi",
);
export const NUMBER = /\$?\d[\d,]*(?:\.\d+)?(?:\s?[kmb]\b)?/gi;
export const ABOVE = /\b(above|over|greater than|more than|at least|reach|hit)\b|>/i;
export const BELOW = /\b(below|under|less than|at most|dip to)\b|</i;

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

/** "$90,000" → 90000, "100k" → 100000. */
export function numberValue(text: string): number {
  const m = /^\$?([\d,]+(?:\.\d+)?)\s?([kmb])?$/i.exec(text.trim());
  if (m === null) return NaN;
  const scale = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? "").toLowerCase() as "k" | "m" | "b"] ?? 1;
  return Number(m[1]!.replaceAll(",", "")) * scale;
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

/** A line that cannot push: a finite number with a half point ("-3.5", "210.5"). */
function halfLine(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) && Math.abs(value * 2) % 2 === 1 ? value : null;
}

const sameOutcomes = (a: StructuralMarket, b: StructuralMarket) =>
  a.outcomes.length === 2 && a.outcomes.join("\u0000") === b.outcomes.join("\u0000");

/**
 * Same-game templates. Margin ⇒ win: with the moneyline and the spreads quoting the same
 * outcomes in the same order (the line belongs to the first), "first side covers -5.5" ⇒
 * "covers -3.5" ⇒ "wins" ⇒ "covers +1.5": a chain by ascending line, the moneyline at 0.
 * Totals: "over 220.5" ⇒ "over 210.5" (descending line; ascending when the first outcome is
 * Under). Only half-point lines (no push) and one moneyline per game; anything else derives
 * nothing.
 */
function games(markets: readonly StructuralMarket[]): Relation[] {
  const out: Relation[] = [];
  for (const [gameId, members] of groupBy(markets, (m) => m.gameId)) {
    if (members.length < 2) continue;
    const moneylines = members.filter((m) => m.sportsMarketType === "moneyline");
    const moneyline = moneylines.length === 1 ? moneylines[0]! : null;
    const spreads = members.filter((m) =>
      m.sportsMarketType === "spreads" && halfLine(m.line) !== null &&
      moneyline !== null && sameOutcomes(m, moneyline)
    );
    if (moneyline !== null && spreads.length > 0) {
      const chain = [...spreads, moneyline].sort((a, b) => lineOf(a) - lineOf(b));
      out.push({
        key: `game_margin:${gameId}`,
        type: "implies",
        members: chain.map((m) => m.marketId),
        provenance: "structure:game_margin",
        status: "confirmed",
        rulesDigest: rulesDigest(chain),
        detail: { gameId, lines: chain.map((m) => m.line), order: "margin implies win" },
      });
    }
    const totals = members.filter((m) =>
      m.sportsMarketType === "totals" && halfLine(m.line) !== null
    );
    const first = totals[0];
    if (first === undefined || !totals.every((m) => sameOutcomes(m, first))) continue;
    if (new Set(totals.map(lineOf)).size !== totals.length || totals.length < 2) continue;
    const under = /^under$/i.test(first.outcomes[0]!);
    const chain = [...totals].sort((a, b) => (lineOf(b) - lineOf(a)) * (under ? -1 : 1));
    out.push({
      key: `game_totals:${gameId}`,
      type: "ladder_line",
      members: chain.map((m) => m.marketId),
      provenance: "structure:game_totals",
      status: "confirmed",
      rulesDigest: rulesDigest(chain),
      detail: {
        gameId,
        lines: chain.map((m) => m.line),
        order: under ? "lower under-line implies higher" : "higher over-line implies lower",
      },
    });
  }
  return out;
}

function lineOf(m: StructuralMarket): number {
  return m.sportsMarketType === "moneyline" ? 0 : Number(m.line);
}
