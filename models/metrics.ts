/**
 * Scores of probability forecasts against binary outcomes (issue 28, shared/models.md §2):
 * Brier, log loss, expected calibration error and the Murphy decomposition of the Brier score.
 *
 * - Log loss clips each forecast to [`clip`, 1 − `clip`] (default 1e-6, so one confident miss
 *   costs at most ln(1e6) ≈ 13.8 instead of infinity).
 * - ECE and the decomposition bin forecasts into `bins` equal-width bins over [0, 1] (default
 *   10; bin k holds [k/K, (k+1)/K), and a forecast of exactly 1 falls into the last bin).
 *   ECE = Σ n_k |p̄_k − ȳ_k| / N.
 * - Murphy: reliability = Σ n_k (p̄_k − ȳ_k)² / N, resolution = Σ n_k (ȳ_k − ȳ)² / N,
 *   uncertainty = ȳ (1 − ȳ). Brier = reliability − resolution + uncertainty + remainder, where
 *   the remainder is the within-bin term (within-bin variance of the forecasts minus twice their
 *   within-bin covariance with the outcomes); it is 0 only when forecasts within a bin are equal.
 *
 * @example
 * ```ts
 * import { scoreForecasts } from "./metrics.ts";
 * const s = scoreForecasts([0.1, 0.9, 0.8], [0, 1, 0]);
 * s.brier; // 0.22
 * ```
 */

/** Default clipping of forecasts for the log loss. */
export const LOG_LOSS_CLIP = 1e-6;
/** Default number of equal-width bins for ECE and the decomposition. */
export const CALIBRATION_BINS = 10;

/** One equal-width bin of forecasts. */
export interface ForecastBin {
  readonly lower: number;
  readonly upper: number;
  readonly n: number;
  /** Mean forecast in the bin (NaN when empty). */
  readonly meanForecast: number;
  /** Observed frequency of outcome 1 in the bin (NaN when empty). */
  readonly frequency: number;
}

export interface ForecastScores {
  readonly n: number;
  readonly brier: number;
  readonly logLoss: number;
  readonly ece: number;
  readonly reliability: number;
  readonly resolution: number;
  readonly uncertainty: number;
  /** brier − (reliability − resolution + uncertainty): the within-bin term. */
  readonly remainder: number;
  readonly bins: readonly ForecastBin[];
}

export interface ScoreOptions {
  /** Equal-width bins over [0, 1] for ECE and the decomposition (default 10). */
  readonly bins?: number;
  /** Log-loss clip (default 1e-6). */
  readonly clip?: number;
}

/** Mean squared difference between forecasts and outcomes. */
export function brierScore(forecasts: readonly number[], outcomes: readonly number[]): number {
  checkInputs(forecasts, outcomes);
  let sum = 0;
  for (let i = 0; i < forecasts.length; i++) sum += (forecasts[i] - outcomes[i]) ** 2;
  return sum / forecasts.length;
}

/** Mean negative log-likelihood, each forecast clipped to [clip, 1 − clip]. */
export function logLoss(
  forecasts: readonly number[],
  outcomes: readonly number[],
  clip = LOG_LOSS_CLIP,
): number {
  checkInputs(forecasts, outcomes);
  if (!(clip > 0 && clip < 0.5)) throw new RangeError(`Log-loss clip must be in (0, 0.5): ${clip}`);
  let sum = 0;
  for (let i = 0; i < forecasts.length; i++) {
    const p = Math.min(1 - clip, Math.max(clip, forecasts[i]));
    sum -= outcomes[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / forecasts.length;
}

/** Every score at once, over the same bins. */
export function scoreForecasts(
  forecasts: readonly number[],
  outcomes: readonly number[],
  options: ScoreOptions = {},
): ForecastScores {
  checkInputs(forecasts, outcomes);
  const k = options.bins ?? CALIBRATION_BINS;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`Bins must be a positive integer: ${k}`);
  const n = forecasts.length;
  const count = new Array<number>(k).fill(0);
  const sumP = new Array<number>(k).fill(0);
  const sumY = new Array<number>(k).fill(0);
  const binOf = (p: number) => Math.min(k - 1, Math.floor(p * k));
  let sumAllY = 0;
  for (let i = 0; i < n; i++) {
    const b = binOf(forecasts[i]);
    count[b]++;
    sumP[b] += forecasts[i];
    sumY[b] += outcomes[i];
    sumAllY += outcomes[i];
  }
  const base = sumAllY / n;
  let reliability = 0;
  let resolution = 0;
  let ece = 0;
  const bins: ForecastBin[] = [];
  for (let b = 0; b < k; b++) {
    const meanForecast = count[b] > 0 ? sumP[b] / count[b] : NaN;
    const frequency = count[b] > 0 ? sumY[b] / count[b] : NaN;
    bins.push({ lower: b / k, upper: (b + 1) / k, n: count[b], meanForecast, frequency });
    if (count[b] === 0) continue;
    reliability += count[b] * (meanForecast - frequency) ** 2;
    resolution += count[b] * (frequency - base) ** 2;
    ece += count[b] * Math.abs(meanForecast - frequency);
  }
  const brier = brierScore(forecasts, outcomes);
  const uncertainty = base * (1 - base);
  reliability /= n;
  resolution /= n;
  return {
    n,
    brier,
    logLoss: logLoss(forecasts, outcomes, options.clip ?? LOG_LOSS_CLIP),
    ece: ece / n,
    reliability,
    resolution,
    uncertainty,
    remainder: brier - (reliability - resolution + uncertainty),
    bins,
  };
}

function checkInputs(forecasts: readonly number[], outcomes: readonly number[]): void {
  if (forecasts.length !== outcomes.length) {
    throw new RangeError(
      `Forecasts and outcomes differ in length: ${forecasts.length} vs ${outcomes.length}`,
    );
  }
  if (forecasts.length === 0) throw new RangeError("Cannot score an empty set of forecasts");
  for (let i = 0; i < forecasts.length; i++) {
    const p = forecasts[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Forecast ${i} is not in [0, 1]: ${p}`);
    const y = outcomes[i];
    if (y !== 0 && y !== 1) throw new RangeError(`Outcome ${i} is not 0 or 1: ${y}`);
  }
}
