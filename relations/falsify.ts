/**
 * Falsification: one relation against the stored resolutions of its members. Pure.
 *
 * Each member resolves to `yes` (its first outcome won), `no`, or `half` (50-50: final prices
 * 0.5/0.5), or is still open (absent). A `half` member is neither a winner nor a
 * counter-example: it breaks any constraint that assumed 0/1 payoffs, so it is reported as a
 * `fifty_fifty` finding and skipped.
 *
 * - Chains (`implies`, `ladder_*`): a member resolved `yes` before (in chain order) one
 *   resolved `no` is a counter-example: the relation is false.
 * - `exclusive`: two or more `yes` members; `complement`: both `yes` or both `no`.
 * - `partition`: two or more `yes`, or (a complete group, every member resolved, none 50-50)
 *   none. An `incomplete` partition with no winner is not contradicted: its winner may be a
 *   member nobody has seen.
 *
 * Every counter-example falsifies its relation, whoever derived or confirmed it: a relation
 * the resolutions contradict cannot be priced again. When the relation is one the venue itself
 * guarantees (neg-risk groups, `structure:neg_risk_market_id`: the adapter allows one YES), the
 * contradiction is also a fact about the venue (a tie, a void, a disputed resolution) and is
 * reported as a finding too (`partition_*`, `exclusive_several_winners`, `complement_violated`).
 *
 * @example
 * ```ts
 * import { checkRelation } from "./falsify.ts";
 * const r = { type: "ladder_date" as const, members: ["mar", "jun"], provenance: "x", status: "confirmed" as const };
 * checkRelation(r, new Map([["mar", "yes"], ["jun", "no"]])).counterExample?.reason;
 * // "mar resolved yes but jun, which it implies, resolved no"
 * ```
 */
import { isChain, type Relation } from "./derive.ts";

/** How one member resolved. */
export type MemberOutcome = "yes" | "no" | "half";

/** A resolved case the relation forbids. */
export interface CounterExample {
  members: string[];
  outcomes: MemberOutcome[];
  reason: string;
}

/** Something about the resolutions worth a person's attention (not a rejection). */
export interface Finding {
  kind:
    | "fifty_fifty"
    | "partition_no_winner"
    | "partition_several_winners"
    | "exclusive_several_winners"
    | "complement_violated";
  detail: Record<string, unknown>;
}

/** The verdict on one relation. */
export interface CheckResult {
  counterExample: CounterExample | null;
  findings: Finding[];
}

/** Checks `relation` against its members' resolved outcomes (see the module comment). */
export function checkRelation(
  relation: Pick<Relation, "type" | "members" | "provenance" | "status">,
  outcomes: ReadonlyMap<string, MemberOutcome>,
): CheckResult {
  const findings: Finding[] = [];
  const half = relation.members.filter((m) => outcomes.get(m) === "half");
  if (half.length > 0) findings.push({ kind: "fifty_fifty", detail: { members: half } });
  const yes = relation.members.filter((m) => outcomes.get(m) === "yes");
  const resolved = relation.members.filter((m) => outcomes.has(m));
  const venue = relation.provenance === "structure:neg_risk_market_id";
  let violation: CounterExample | null = null;
  let kind: Finding["kind"] | null = null;
  const example = (members: string[], reason: string): CounterExample => ({
    members,
    outcomes: members.map((m) => outcomes.get(m)!),
    reason,
  });

  if (isChain(relation.type)) {
    violation = chainViolation(relation.members, outcomes, example);
  } else if (relation.type === "exclusive" && yes.length >= 2) {
    violation = example(yes, `${yes.length} members resolved yes; at most one may`);
    kind = "exclusive_several_winners";
  } else if (relation.type === "complement" && resolved.length === 2 && half.length === 0) {
    if (yes.length !== 1) {
      violation = example(resolved, `both resolved ${yes.length === 2 ? "yes" : "no"}`);
      kind = "complement_violated";
    }
  } else if (relation.type === "partition") {
    if (yes.length >= 2) {
      violation = example(yes, `${yes.length} members resolved yes; exactly one may`);
      findings.push({ kind: "partition_several_winners", detail: { winners: yes } });
    } else if (
      yes.length === 0 && relation.status !== "incomplete" && half.length === 0 &&
      resolved.length === relation.members.length
    ) {
      violation = example(resolved, "every member resolved no; exactly one must resolve yes");
      findings.push({
        kind: "partition_no_winner",
        detail: { members: relation.members.length },
      });
    }
  }
  if (violation !== null && venue && kind !== null) {
    findings.push({ kind, detail: { ...violation } });
  }
  return { counterExample: violation, findings };
}

function chainViolation(
  members: readonly string[],
  outcomes: ReadonlyMap<string, MemberOutcome>,
  example: (members: string[], reason: string) => CounterExample,
): CounterExample | null {
  for (let i = 0; i < members.length; i++) {
    if (outcomes.get(members[i]!) !== "yes") continue;
    for (let j = i + 1; j < members.length; j++) {
      if (outcomes.get(members[j]!) === "no") {
        return example(
          [members[i]!, members[j]!],
          `${members[i]} resolved yes but ${members[j]}, which it implies, resolved no`,
        );
      }
    }
  }
  return null;
}

/**
 * A member's outcome from its `resolutions` row: `half` for 0.5/0.5 final prices, `yes`/`no`
 * from the winner token against the market's first token (or from final prices 1/0), and
 * undefined while unresolved or ambiguous.
 */
export function memberOutcome(row: {
  status: string;
  winnerTokenId: string | null;
  finalPrices: readonly string[] | null;
  firstTokenId: string | null;
}): MemberOutcome | undefined {
  const prices = row.finalPrices?.map(Number) ?? [];
  if (prices.length === 2 && prices[0] === 0.5 && prices[1] === 0.5) return "half";
  if (row.status !== "resolved") return undefined;
  if (row.winnerTokenId !== null && row.firstTokenId !== null) {
    return row.winnerTokenId === row.firstTokenId ? "yes" : "no";
  }
  if (prices.length === 2 && prices[0] === 1 && prices[1] === 0) return "yes";
  if (prices.length === 2 && prices[0] === 0 && prices[1] === 1) return "no";
  return undefined;
}
