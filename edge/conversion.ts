/**
 * The neg-risk conversion, executable now (relations.md §3.5): buy NO on markets of the group at
 * the NO asks (= 1 − YES bids, same depth), then call the adapter's `convertPositions`: `amount`
 * NO of each market of a set S (|S| ≥ 2) becomes (|S| − 1) × amount collateral at once, minus
 * `feeBips`, plus YES of every market outside S (kept, counted as worth 0). The adapter's
 * arithmetic (Polymarket/neg-risk-ctf-adapter `NegRiskAdapter.convertPositions`,
 * HEAD f78b35b): fee = ⌊amount × feeBips / 10,000⌋ in 1e-6 units of the amount, the caller gets
 * (|S| − 1) × (amount − fee) collateral and (amount − fee) of each YES outside S.
 *
 * The NO sizes need not be equal. Holding x_i NO of market i, calls on nested sets (largest
 * amount first) release Σ x − max x collateral, which is also the least the NOs pay at
 * resolution. So for a cap M on the sizes, each market independently buys the x ≤ M that is
 * worth most (exactly, fees floored per fill, 0 or at least its minimum order), and the search
 * tries every M. A single S with one size, the textbook form, is the case of equal sizes.
 *
 * @example
 * ```ts
 * import { evaluateConversion } from "./conversion.ts";
 * const result = evaluateConversion(group, { rules, asOf: "2026-11-30T00:00:00Z" });
 * ```
 */
import { ceilDiv, type Dec, floorDiv, parseDec, toNumber, ZERO } from "./decimal.ts";
import { relaxedCost, walkBuy } from "./book_walk.ts";
import { takerFee } from "./fees.ts";
import type { NegRiskGroupInput } from "./market.ts";
import { prepareLegs } from "./legs.ts";
import { type EvaluationContext, refusal } from "./neg_risk.ts";
import type { PreparedLeg } from "./search.ts";
import { type ChannelResult, type ConversionCall, planLeg } from "./plan.ts";

/**
 * The adapter's fee on a conversion of `amount` (per NO position converted, as the contract
 * takes it): amount × feeBips / 10,000, floored to 1e-6 (collateral's base unit).
 */
export function adapterFee(amount: Dec, feeBips: number): Dec {
  return floorDiv(amount * BigInt(feeBips), 1_000_000n) * 100n;
}

/** The nested `convertPositions` calls that turn NO sizes into collateral. */
export function conversionCalls(
  legs: readonly { readonly marketId: string; readonly questionIndex?: number }[],
  sizes: readonly Dec[],
  feeBips: number,
): ConversionCall[] {
  const levels = [...new Set(sizes.filter((s) => s > ZERO))].sort((a, b) => (a > b ? -1 : 1));
  const calls: ConversionCall[] = [];
  levels.forEach((level, t) => {
    const members = legs.filter((_, i) => sizes[i]! >= level);
    const amount = level - (levels[t + 1] ?? ZERO);
    if (members.length < 2) return;
    // The contract floors the fee on `amount` once, then multiplies: not ⌊(|S| − 1) × …⌋.
    const multiplier = BigInt(members.length - 1);
    const gross = multiplier * amount;
    const fee = multiplier * adapterFee(amount, feeBips);
    const indices = members.map((leg) => leg.questionIndex);
    calls.push({
      marketIds: members.map((leg) => leg.marketId),
      indexSet: indices.every((i) => i !== undefined)
        ? `0x${indices.reduce((bits, i) => bits | (1n << BigInt(i!)), 0n).toString(16)}`
        : null,
      amount,
      collateralOut: gross - fee,
      adapterFee: fee,
    });
  });
  return calls;
}

/** Value of buying x lots (x = 0…min(depth, limit)): x × unit − exact cost, null below the minimum. */
function valueTable(leg: PreparedLeg, lot: Dec, unit: Dec, limit: bigint): (Dec | null)[] {
  const values: (Dec | null)[] = [ZERO];
  let level = 0;
  let levelStart = ZERO;
  let fullCost = ZERO;
  const last = leg.depthLots < limit ? leg.depthLots : limit;
  for (let x = 1n; x <= last; x++) {
    const shares = x * lot;
    while (shares > levelStart + leg.levels[level]!.size) {
      const { price, size } = leg.levels[level]!;
      fullCost += floorDiv(size * price, 100_000_000n) + takerFee(size, price, leg.fee);
      levelStart += size;
      level++;
    }
    const { price } = leg.levels[level]!;
    const part = shares - levelStart;
    const cost = fullCost + floorDiv(part * price, 100_000_000n) + takerFee(part, price, leg.fee);
    values.push(leg.minLots !== null && x >= leg.minLots ? x * unit - cost : null);
  }
  return values;
}

/**
 * The largest cap M (in lots) that could still pay. Relaxed (fees unrounded, no minimum orders),
 * the value Σ_i max_{x ≤ M} (x·unit − cost_i(x)) − M·unit is concave in M with kinks at level
 * ends; the exact value exceeds it by at most one fee unit per level plus the adapter's
 * rounding. So past the point where it falls below −slack for good, nothing pays. 0 when no
 * leg has depth.
 */
export function capBound(legs: readonly PreparedLeg[], unit: number, lot: Dec): bigint {
  const slack = legs.reduce((n, leg) => n + leg.levels.length, 0) * 1e-5 + legs.length * 1e-6 +
    1e-7;
  const value = (leg: PreparedLeg, x: number) => x * unit - relaxedCost(leg.float, x);
  const bestUpTo = (leg: PreparedLeg, cap: number) => {
    const depth = leg.float.ends.at(-1) ?? 0;
    const xs = [0, ...leg.float.ends.filter((end) => end <= cap), Math.min(cap, depth)];
    return Math.max(...xs.map((x) => value(leg, x)));
  };
  const points = [0, ...new Set(legs.flatMap((leg) => [...leg.float.ends]))].sort((a, b) => a - b);
  const totals = points.map((cap) =>
    legs.reduce((sum, leg) => sum + bestUpTo(leg, cap), 0) - cap * unit + slack
  );
  // The value is 0 at M = 0, so the last point still above −slack exists.
  const k = totals.findLastIndex((total) => total > 0);
  if (points.length === 1) return 0n;
  let through = points[k]!;
  if (k + 1 < points.length) {
    // Linear between two points: where it crosses −slack, plus a lot for float error.
    const [a, b] = [totals[k]!, totals[k + 1]!];
    through += ((points[k + 1]! - points[k]!) * a) / (a - b);
  }
  return ceilDiv(parseDec(through.toFixed(8)), lot) + 1n;
}

export function evaluateConversion(
  group: NegRiskGroupInput,
  context: EvaluationContext,
): ChannelResult {
  const base = { channel: "neg_risk_conversion", subject: group.groupId } as const;
  const refused = refusal(group);
  if (refused !== null) return { ...base, complete: group.complete, plan: null, reason: refused };
  const feeBips = group.convertFeeBips;
  if (feeBips === null) {
    return { ...base, complete: true, plan: null, reason: "adapter feeBips unknown" };
  }
  const legs = prepareLegs(group.markets, "NO", context.rules);
  if (typeof legs === "string") return { ...base, complete: true, plan: null, reason: legs };
  const { lot } = context.rules;
  // Collateral per lot net of the adapter's fee: chooses sizes; the calls are priced exactly.
  // Exact and linear in the lots when lot × feeBips is a multiple of 0.01 (so for any lot that
  // is a multiple of the venue's 0.01): the adapter's floor to 1e-6 then never cuts.
  const unit = lot - adapterFee(lot, feeBips);
  // Caps beyond capBound cannot pay: no table needs to reach further (deep books stay cheap).
  const capLimit = capBound(legs, toNumber(unit) / toNumber(lot), lot);
  if (capLimit === 0n) return { ...base, complete: true, plan: null, reason: "no positive edge" };
  // Per leg, the best size ≤ M (smallest on ties) and its value, for every cap M.
  const best = legs.map((leg) => {
    const values = valueTable(leg, lot, unit, capLimit);
    const sizes: bigint[] = [];
    const tops: Dec[] = [];
    values.forEach((value, x) => {
      const prev = tops.at(-1) ?? ZERO;
      const better = value !== null && value > prev;
      tops.push(better ? value : prev);
      sizes.push(better ? BigInt(x) : (sizes.at(-1) ?? 0n));
    });
    return { sizes, tops };
  });
  // Up to the largest size, not the second: a minimum order can force one NO above the others.
  let chosen: { cap: bigint; value: Dec } | null = null;
  for (let cap = 1n; cap <= capLimit; cap++) {
    const value = best.reduce((sum, b) => {
      const at = cap < b.sizes.length - 1 ? cap : BigInt(b.sizes.length - 1);
      return sum + b.tops[Number(at)]!;
    }, ZERO) - cap * unit;
    if (chosen === null || value > chosen.value) chosen = { cap, value };
  }
  if (chosen === null || chosen.value <= ZERO) {
    return { ...base, complete: true, plan: null, reason: "no positive edge" };
  }
  const cap = chosen.cap;
  const lots = best.map((b) => b.sizes[Math.min(Number(cap), b.sizes.length - 1)]!);
  return priceConversion(legs, lots.map((x) => x * lot), { base, feeBips });
}

/** Prices chosen NO sizes exactly: fills level by level, then the conversion calls. */
function priceConversion(
  legs: readonly PreparedLeg[],
  sizes: readonly Dec[],
  options: {
    readonly base: { readonly channel: "neg_risk_conversion"; readonly subject: string };
    readonly feeBips: number;
  },
): ChannelResult {
  const { base, feeBips } = options;
  const bought = legs.flatMap((leg, i) => {
    const fill = sizes[i]! > ZERO ? walkBuy(leg.levels, sizes[i]!, leg.fee) : null;
    return fill === null ? [] : [planLeg(leg, fill)];
  });
  const calls = conversionCalls(legs, sizes, feeBips);
  const cost = bought.reduce((sum, leg) => sum + leg.cost, ZERO);
  const payoff = calls.reduce((sum, call) => sum + call.collateralOut, ZERO);
  const profit = payoff - cost;
  if (profit <= ZERO) return { ...base, complete: true, plan: null, reason: "no positive edge" };
  return {
    ...base,
    complete: true,
    plan: {
      channel: "neg_risk_conversion",
      path: "buy NO on the markets, convertPositions on nested sets (largest amount first) " +
        "on the NegRisk adapter, collateral now; the YES received and any NO left are kept",
      shares: sizes.reduce((max, s) => (s > max ? s : max), ZERO),
      legs: bought,
      cost,
      payoff,
      profit,
      capitalLocked: cost,
      lockedUntil: "now",
      annualisedReturn: null,
      conversion: {
        calls,
        collateralOut: payoff,
        adapterFee: calls.reduce((sum, call) => sum + call.adapterFee, ZERO),
      },
    },
  };
}
