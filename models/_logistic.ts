/**
 * L2-regularised logistic regression by Newton's method (iteratively reweighted least squares),
 * for the calibration maps and the feature model. Minimises
 * Σ −[y log σ(x·w) + (1 − y) log(1 − σ(x·w))] + (λ/2) Σ_{j ≥ 1} w_j², column 0 being the
 * intercept (never penalised). Each step solves (XᵀWX + λI′) Δ = gradient with ml-matrix's
 * `solve` and is halved while it does not lower the penalised loss; it stops when the step
 * taken is below 1e-9 in every weight (converged) or after 100 steps (not converged: the result
 * says so and the caller decides).
 *
 * Why not `ml-logistic-regression` (2.0.0, read before choosing): it runs plain gradient ascent
 * on the summed (not averaged) log-likelihood for a fixed 50,000 steps at a fixed learning rate
 * of 5e-4, with no intercept, no regularisation and no convergence test, and for two classes
 * trains one-vs-all classifiers. On 20,000 rows the summed gradient makes that step size
 * oscillate, and 50,000 full passes cost minutes per fit; Newton converges in under ten steps.
 * ml-matrix does the linear algebra.
 *
 * @example
 * ```ts
 * import { fitLogistic } from "./_logistic.ts";
 * const fit = fitLogistic([[1, -1], [1, 0], [1, 1], [1, 2]], [0, 1, 0, 1], { l2: 0.1 });
 * fit.converged; // true
 * ```
 */
import { Matrix, solve } from "ml-matrix";

export interface LogisticFit {
  /** Weights, the first being the intercept. */
  readonly weights: readonly number[];
  readonly iterations: number;
  readonly converged: boolean;
}

/** Logistic sigmoid. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Fits weights for rows `x` (each starting with the constant 1) and labels `y`. */
export function fitLogistic(
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: { readonly l2: number; readonly maxIterations?: number },
): LogisticFit {
  const n = x.length;
  if (n === 0 || n !== y.length) throw new RangeError(`Cannot fit ${n} rows to ${y.length} labels`);
  const d = x[0].length;
  if (!(options.l2 >= 0)) throw new RangeError(`L2 penalty must be ≥ 0: ${options.l2}`);
  const maxIterations = options.maxIterations ?? 100;
  const loss = (w: readonly number[]): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += x[i][j] * w[j];
      // −log σ(z) for y = 1 and −log(1 − σ(z)) for y = 0, computed without overflow.
      const m = y[i] === 1 ? -z : z;
      sum += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
    }
    for (let j = 1; j < d; j++) sum += (options.l2 / 2) * w[j] ** 2;
    return sum;
  };
  let w = new Array<number>(d).fill(0);
  let current = loss(w);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const hessian = new Float64Array(d * d);
    const gradient = new Array<number>(d).fill(0);
    for (let i = 0; i < n; i++) {
      const row = x[i];
      let z = 0;
      for (let j = 0; j < d; j++) z += row[j] * w[j];
      const p = sigmoid(z);
      const r = y[i] - p;
      const v = Math.max(p * (1 - p), 1e-12);
      for (let j = 0; j < d; j++) {
        gradient[j] += row[j] * r;
        const vj = v * row[j];
        for (let k = j; k < d; k++) hessian[j * d + k] += vj * row[k];
      }
    }
    const h = Matrix.zeros(d, d);
    for (let j = 0; j < d; j++) {
      for (let k = j; k < d; k++) {
        h.set(j, k, hessian[j * d + k]);
        h.set(k, j, hessian[j * d + k]);
      }
      if (j > 0) {
        h.set(j, j, h.get(j, j) + options.l2);
        gradient[j] -= options.l2 * w[j];
      }
    }
    const step = solve(h, Matrix.columnVector(gradient)).to1DArray();
    if (!step.every(Number.isFinite)) break;
    // Newton's step, halved while it does not lower the loss (a damped step near separation).
    let scale = 1;
    let next = w.map((wj, j) => wj + step[j]);
    let after = loss(next);
    for (let halvings = 0; after > current && halvings < 30; halvings++) {
      scale /= 2;
      next = w.map((wj, j) => wj + scale * step[j]);
      after = loss(next);
    }
    w = next;
    current = after;
    if (step.every((s) => Math.abs(scale * s) < 1e-9)) {
      return { weights: w, iterations: iteration, converged: true };
    }
  }
  return { weights: w, iterations: maxIterations, converged: false };
}
