/**
 * Coherent neg-risk partitions (issue 28): the members of one neg-risk event are mutually
 * exclusive and exhaustive, so their probabilities must sum to 1 before they are scored or used.
 * Independent calibration of each member (and the market's own prices) does not ensure that.
 *
 * Method: a common shift in log-odds. Find the one c with Σ σ(logit p_i + c) = 1 (bisection; the
 * sum is increasing in c) and use σ(logit p_i + c). It keeps every member's rank and the odds
 * ratio between any two members, and moves a 2% longshot less in absolute terms than a 60%
 * favourite; plain division by the sum would instead scale every member by the same factor,
 * which inflates or deflates longshots in proportion. Probabilities are clipped to
 * [1e-6, 1 − 1e-6] before the logit.
 *
 * Only a complete partition (as many rows of the event at one horizon as the group has members)
 * is made coherent; an incomplete one is left as it is and counted, because its missing members'
 * share is unknown.
 *
 * @example
 * ```ts
 * import { cohereProbabilities } from "./coherence.ts";
 * const p = cohereProbabilities([0.5, 0.3, 0.4]); // sums to 1, same order
 * ```
 */
import { sigmoid } from "./_logistic.ts";

const CLIP = 1e-6;

/** The log-odds shift of `probabilities` that makes them sum to 1. */
export function cohereProbabilities(probabilities: readonly number[]): number[] {
  if (probabilities.length < 2) {
    throw new RangeError(`A partition needs at least 2 members, got ${probabilities.length}`);
  }
  const logits = probabilities.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Probability is not in [0, 1]: ${p}`);
    const q = Math.min(1 - CLIP, Math.max(CLIP, p));
    return Math.log(q / (1 - q));
  });
  const total = (c: number) => logits.reduce((sum, z) => sum + sigmoid(z + c), 0);
  let lo = -60;
  let hi = 60;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) < 1) lo = mid;
    else hi = mid;
  }
  const c = (lo + hi) / 2;
  return logits.map((z) => sigmoid(z + c));
}

/** A forecast of one market that may belong to a neg-risk partition. */
export interface PartitionMember {
  readonly eventId: string;
  readonly horizon: string;
  readonly negRiskGroupSize: number;
  readonly probability: number;
}

export interface CoherentPartitions {
  /** The probabilities in input order, complete partitions made coherent. */
  readonly probabilities: number[];
  /** Complete partitions adjusted. */
  readonly partitions: number;
  /** Partitions left as they were because members were missing. */
  readonly incomplete: number;
}

/** Makes every complete partition among `members` sum to 1 (per event and horizon). */
export function coherePartitions(members: readonly PartitionMember[]): CoherentPartitions {
  const probabilities = members.map((m) => m.probability);
  const groups = new Map<string, number[]>();
  members.forEach((m, i) => {
    if (m.negRiskGroupSize <= 1) return;
    const key = `${m.eventId}\u0000${m.horizon}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  });
  let partitions = 0;
  let incomplete = 0;
  for (const indices of groups.values()) {
    const size = members[indices[0]].negRiskGroupSize;
    if (indices.length !== size) {
      incomplete++;
      continue;
    }
    const coherent = cohereProbabilities(indices.map((i) => members[i].probability));
    indices.forEach((i, k) => (probabilities[i] = coherent[k]));
    partitions++;
  }
  return { probabilities, partitions, incomplete };
}
