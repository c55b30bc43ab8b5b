/**
 * The general case: one linear program over book levels and valid joint outcomes, solved with
 * HiGHS (npm `highs`, WASM). Variables are the shares bought at each ask level of every YES and
 * NO token (NO asks mirrored from YES bids) and z, the payoff guaranteed in every valid outcome;
 * maximise z − Σ shares × (price + unrounded fee per share), each token bought not at all or
 * at least at its minimum order (a binary per token: a small MIP). A neg-risk basket, a NO set held to
 * resolution (what a conversion cashes early) and an implication pair are all feasible points,
 * so the LP's optimum bounds them. Its floats only choose the quantities: the plan is then
 * floored to lots, checked against the minimum order rules and priced exactly level by level.
 *
 * @example
 * ```ts
 * import { evaluateJointOutcomes, loadSolver } from "./lp.ts";
 * const solver = await loadSolver();
 * const result = evaluateJointOutcomes(problem, { ...context, solver });
 * ```
 */
import highsModule, { type Highs } from "highs";
import { type Dec, floorTo, parseDec, toNumber, ZERO } from "./decimal.ts";
import { type LegFill, walkBuy } from "./book_walk.ts";
import { feePerShare } from "./fees.ts";
import type { MarketInput } from "./market.ts";
import { prepareLeg } from "./legs.ts";
import type { EvaluationContext } from "./neg_risk.ts";
import type { PreparedLeg } from "./search.ts";
import { annualise, type ChannelResult, latestEnd, planLeg } from "./plan.ts";

/** The one-shot HiGHS solver (its `solve` is synchronous once loaded). */
export type Solver = Highs;

// highs is CommonJS: under Deno its default import is the loader itself, typed as the module.
const highsLoader = highsModule as unknown as () => Promise<Highs>;

/** Loads HiGHS' WASM module once per process. */
export function loadSolver(): Promise<Solver> {
  return highsLoader();
}

/** Markets and the joint outcomes they may resolve to (row r, column i: market i is YES). */
export interface JointOutcomeProblem {
  readonly subject: string;
  readonly markets: readonly MarketInput[];
  readonly outcomes: readonly (readonly boolean[])[];
}

/** The LP's answer before exact pricing: shares per leg and its objective. */
export interface LpSolution {
  readonly objective: number;
  readonly shares: readonly number[];
}

/** Solves the relaxed LP; legs are [YES of market 0, NO of market 0, YES of market 1, …]. */
export function solveJointOutcomes(
  legs: readonly PreparedLeg[],
  outcomes: readonly (readonly boolean[])[],
  options: { readonly solver: Solver; readonly lot: Dec },
): LpSolution | null {
  const { solver, lot } = options;
  const cost: string[] = [];
  const bounds: string[] = [];
  const binaries: string[] = [];
  const minimums: string[] = [];
  const rows = outcomes.map(() => [] as string[]);
  legs.forEach((leg, j) => {
    const names = leg.levels.map((_, l) => `x${j}_${l}`);
    leg.levels.forEach((level, l) => {
      const unit = toNumber(level.price) + feePerShare(level.price, leg.fee);
      cost.push(`- ${unit.toPrecision(17)} ${names[l]}`);
      bounds.push(` 0 <= ${names[l]} <= ${toNumber(level.size)}`);
      outcomes.forEach((outcome, r) => {
        const yes = outcome[Math.floor(j / 2)] === true;
        if ((leg.outcome === "YES") === yes) rows[r]!.push(`+ ${names[l]}`);
      });
    });
    if (names.length === 0) return;
    // A token is bought not at all or at least at its minimum order (shares and $1): b_j.
    const total = names.map((name) => `+ ${name}`).join(" ");
    const least = leg.minLots === null ? Infinity : toNumber(leg.minLots * lot);
    if (least === Infinity) {
      minimums.push(` none${j}: ${total} <= 0`);
    } else if (least > 0) {
      binaries.push(` b${j}`);
      minimums.push(` min${j}: ${total} - ${least} b${j} >= 0`);
      minimums.push(` max${j}: ${total} - ${toNumber(leg.depthLots * lot) + 1} b${j} <= 0`);
    }
  });
  if (cost.length === 0) return null;
  const model = [
    "Maximize",
    ` obj: z ${cost.join(" ")}`,
    "Subject To",
    ...rows.map((row, r) => ` w${r}: ${row.join(" ")} - z >= 0`),
    ...minimums,
    "Bounds",
    ...bounds,
    " z >= 0",
    ...(binaries.length === 0 ? [] : ["Binaries", ...binaries]),
    "End",
  ].join("\n");
  const solution = solver.solve(model, { output_flag: false });
  if (solution.Status !== "Optimal") return null;
  const columns = solution.Columns as Record<string, { Primal: number }>;
  const shares = legs.map((leg, j) =>
    leg.levels.reduce((sum, _, l) => sum + (columns[`x${j}_${l}`]?.Primal ?? 0), 0)
  );
  return { objective: solution.ObjectiveValue, shares };
}

export function evaluateJointOutcomes(
  problem: JointOutcomeProblem,
  context: EvaluationContext & { readonly solver: Solver },
): ChannelResult {
  const base = { channel: "lp", subject: problem.subject, complete: true } as const;
  const legs: PreparedLeg[] = [];
  for (const market of problem.markets) {
    for (const outcome of ["YES", "NO"] as const) {
      const leg = prepareLeg(market, outcome, context.rules);
      if (typeof leg === "string") return { ...base, plan: null, reason: leg };
      legs.push(leg);
    }
  }
  const solution = solveJointOutcomes(legs, problem.outcomes, {
    solver: context.solver,
    lot: context.rules.lot,
  });
  if (solution === null || solution.objective <= 1e-9) {
    return { ...base, plan: null, reason: "no positive edge" };
  }
  // Exact pricing of the LP's quantities: floored to lots, dropped below the venue's minimum.
  const lot = context.rules.lot;
  const bought: { leg: PreparedLeg; fill: LegFill }[] = [];
  solution.shares.forEach((shares, j) => {
    const leg = legs[j]!;
    // Floored to lots, forgiving the solver's float noise just under a whole lot.
    const lots = floorTo(parseDec((shares + 1e-7).toFixed(8)), lot) / lot;
    if (lots <= 0n || leg.minLots === null || lots < leg.minLots) return;
    const fill = walkBuy(leg.levels, lots * lot, leg.fee);
    if (fill !== null) bought.push({ leg, fill });
  });
  const payoff = problem.outcomes.reduce<Dec | null>((least, outcome) => {
    const paid = bought.reduce((sum, { leg, fill }) => {
      const yes = outcome[problem.markets.findIndex((m) => m.marketId === leg.marketId)] === true;
      return (leg.outcome === "YES") === yes ? sum + fill.shares : sum;
    }, ZERO);
    return least === null || paid < least ? paid : least;
  }, null) ?? ZERO;
  const cost = bought.reduce((sum, { fill }) => sum + fill.cost, ZERO);
  const profit = payoff - cost;
  if (bought.length === 0 || profit <= ZERO) {
    return { ...base, plan: null, reason: "LP edge does not survive lots, minimums and fees" };
  }
  const until = latestEnd(bought.map(({ leg }) => leg));
  return {
    ...base,
    plan: {
      channel: "lp",
      path: "buy the LP's quantities and hold to resolution; pays the least over valid outcomes",
      shares: bought.reduce((max, { fill }) => (fill.shares > max ? fill.shares : max), ZERO),
      legs: bought.map(({ leg, fill }) => planLeg(leg, fill)),
      cost,
      payoff,
      profit,
      capitalLocked: cost,
      lockedUntil: until,
      annualisedReturn: annualise(profit, cost, { asOf: context.asOf, until }),
    },
  };
}

/** The valid outcomes of a complete neg-risk group: exactly one market resolves YES. */
export function partitionOutcomes(count: number): boolean[][] {
  return Array.from({ length: count }, (_, w) => Array.from({ length: count }, (_, i) => i === w));
}

/** The valid outcomes of A ⇒ B over [A, B]: (1,1), (0,1), (0,0). */
export const IMPLICATION_OUTCOMES: readonly (readonly boolean[])[] = [
  [true, true],
  [false, true],
  [false, false],
];
