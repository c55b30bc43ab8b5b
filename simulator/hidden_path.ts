/**
 * The hidden probability path of a simulated market (or of a neg-risk group): the exact
 * posterior of an observer who learns the outcome through noisy signals, so the path is a
 * martingale that ends near its outcome and is calibrated at every instant
 * (P(outcome = j | path up to t) = p_j(t)).
 *
 * The model (one event of k ≥ 2 outcomes; a binary market is k = 2, Yes and No):
 * - the winner J is drawn from the prior π (so the outcome is Bernoulli(π_j) at t = 0);
 * - at grid step i (information time s_i = i / K) every outcome j emits a signal
 *   x_ij ~ N(dI_i · 1{j = J}, dI_i), with dI_i = Λ (s_i^κ − s_{i−1}^κ): Λ is the total
 *   information of the market's life and κ > 1 puts more of it near the end;
 * - p_j(s_i) = π_j exp(L_ij) / Σ_l π_l exp(L_il), with L_ij = Σ_{m ≤ i} (x_mj − dI_m / 2):
 *   Bayes' rule for that signal model, hence a martingale in every component, summing to 1.
 *
 * With Λ around 10 the last point gives the winner ~0.95–0.999: the market ends close to, not
 * at, its outcome; resolution itself is the outcome.
 *
 * @example
 * ```ts
 * import { Random } from "./_random.ts";
 * import { drawHiddenPath } from "./hidden_path.ts";
 * const path = drawHiddenPath(new Random(1), { prior: [0.3, 0.7], steps: 100, information: 10 });
 * path.probabilities[0].length; // 101 points (s = 0 … 1)
 * ```
 */
import type { Random } from "./_random.ts";

/** Inputs of {@link drawHiddenPath}. */
export interface HiddenPathOptions {
  /** Prior probabilities of the k outcomes (positive, summing to 1). */
  prior: readonly number[];
  /** Grid steps K: the path has K + 1 points, at s = 0, 1/K, …, 1. */
  steps: number;
  /** Total information Λ over the life (≥ 0). */
  information: number;
  /** Shape κ of the information schedule s^κ (default 2: information arrives late). */
  shape?: number;
  /** The winner when already drawn (see {@link drawWinner}); drawn from `random` otherwise. */
  winner?: number;
}

/** A drawn path: the winner and each outcome's probability at every grid point. */
export interface HiddenPath {
  /** Index of the outcome that happens. */
  winner: number;
  /** probabilities[j][i] = p_j(s_i); Σ_j probabilities[j][i] = 1. */
  probabilities: Float64Array[];
}

/** Draws the winner from the prior, then the signals and the posterior path. */
export function drawHiddenPath(random: Random, options: HiddenPathOptions): HiddenPath {
  const k = options.prior.length;
  const steps = Math.floor(options.steps);
  if (k < 2) throw new RangeError("A hidden path needs at least 2 outcomes");
  if (!(steps >= 1)) throw new RangeError("A hidden path needs at least 1 step");
  if (!(options.information >= 0)) throw new RangeError("Information must be non-negative");
  const total = options.prior.reduce((s, p) => s + p, 0);
  if (options.prior.some((p) => !(p > 0)) || Math.abs(total - 1) > 1e-9) {
    throw new RangeError("The prior must be positive and sum to 1");
  }
  const shape = options.shape ?? 2;
  const winner = options.winner ?? drawWinner(random, options.prior);
  if (!(winner >= 0 && winner < k)) throw new RangeError(`No outcome ${winner} among ${k}`);
  const logPrior = options.prior.map(Math.log);
  const logLik = new Float64Array(k);
  const weights = new Float64Array(k);
  const probabilities = Array.from({ length: k }, () => new Float64Array(steps + 1));
  for (let j = 0; j < k; j++) probabilities[j][0] = options.prior[j];
  const normal = new NormalSource(random);
  let before = 0;
  for (let i = 1; i <= steps; i++) {
    const reached = options.information * (i / steps) ** shape;
    const dI = reached - before;
    before = reached;
    const sd = Math.sqrt(dI);
    let top = -Infinity;
    for (let j = 0; j < k; j++) {
      const x = (j === winner ? dI : 0) + sd * normal.next();
      logLik[j] += x - dI / 2;
      top = Math.max(top, logPrior[j] + logLik[j]);
    }
    let norm = 0;
    for (let j = 0; j < k; j++) {
      weights[j] = Math.exp(logPrior[j] + logLik[j] - top);
      norm += weights[j];
    }
    for (let j = 0; j < k; j++) probabilities[j][i] = weights[j] / norm;
  }
  return { winner, probabilities };
}

/** The winner drawn from the prior: an index with the given probabilities. */
export function drawWinner(random: Random, weights: readonly number[]): number {
  let u = random.next();
  for (let j = 0; j < weights.length - 1; j++) {
    u -= weights[j];
    if (u < 0) return j;
  }
  return weights.length - 1;
}

/** Standard normal draws (Box–Muller, both values of each pair used). */
export class NormalSource {
  readonly #random: Random;
  #spare: number | null = null;

  /** Draws from `random`. */
  constructor(random: Random) {
    this.#random = random;
  }

  /** One N(0, 1) draw. */
  next(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    const u = 1 - this.#random.next(); // (0, 1]
    const v = this.#random.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}
