/**
 * Forecast throughput (issue 28; target: the whole active universe, ~93,000 tokens, in ≤ 10 s).
 *
 * Two figures, each against the target:
 * - From PostgreSQL, as the forecasts task runs: `markets` open markets seeded through the
 *   collectors' writers (`tests/_dataset_seed.ts`: a YES price every 60 minutes, a REST book
 *   every 6 hours, trades, metadata, groups of 4), forecast at one instant in batches of
 *   `BATCH_MARKETS` with a fitted `auto` model (`forecastsAt`: tradability and books, the
 *   dataset's price, group and metadata, all that model's calibration maps read, the model, the
 *   values). Timed after a warm-up, the median of three passes; tradabilityAt alone is
 *   timed over the same batches too, to say where the time goes, and so is writing the
 *   forecasts (`insertForecasts`, as the task does after each batch). The seconds for 93,000
 *   tokens are extrapolated linearly from the rate (the seeded universe is smaller).
 * - In memory: the model and the per-token values alone (`predictDeployable`, `forecastTokens`)
 *   for 46,500 markets (93,000 tokens) of synthesised rows, what is left once the reads are done.
 *
 * @example
 * ```ts ignore
 * import { forecastRate } from "./_forecast_rate.ts";
 * const { databaseTokensPerS, memorySeconds } = await forecastRate();
 * ```
 */
import { createTestDatabase } from "../tests/_db.ts";
import { SEED_END, seedDataset } from "../tests/_dataset_seed.ts";
import { type ForecastsAt, forecastsAt } from "../models/forecast_at.ts";
import { insertForecasts } from "../models/forecast_store.ts";
import { tradabilityAt } from "../tradability/at.ts";
import { BATCH_MARKETS } from "../models/forecast_task.ts";
import { forecastTokens } from "../models/forecast.ts";
import { fitDeployable, predictDeployable } from "../models/deployable.ts";
import { synthesizeHistory } from "../models/synthetic.ts";
import type { StoredModel } from "../models/store.ts";

/** Timed passes over the seeded markets; the rate is their median's. */
const PASSES = 3;

/** The active universe the target is stated for. */
export const UNIVERSE_TOKENS = 93_000;
const DAY = 86_400_000;

export interface ForecastRate {
  readonly markets: number;
  readonly databaseTokensPerS: number;
  /** Seconds for {@link UNIVERSE_TOKENS} at that rate. */
  readonly databaseSeconds: number;
  /** The same, from each timed pass, in the order run. */
  readonly passSeconds: readonly number[];
  /**
   * tradabilityAt alone over the same batches, as a share of the database time (with a
   * one-horizon model it runs beside the features, so the shares do not add up).
   */
  readonly tradabilityShare: number;
  /** Seconds of tradabilityAt alone for {@link UNIVERSE_TOKENS} tokens, at the rate measured. */
  readonly tradabilitySeconds: number;
  /** Seconds to write the forecasts of {@link UNIVERSE_TOKENS} tokens, at the rate measured. */
  readonly writeSeconds: number;
  /** Seconds for the model and values of {@link UNIVERSE_TOKENS} tokens in memory. */
  readonly memorySeconds: number;
}

export async function forecastRate(options: { markets?: number } = {}): Promise<ForecastRate> {
  const markets = options.markets ?? 2_000;
  const synthetic = synthesizeHistory({ markets: 8_000, seed: 20261206, horizon: "24h" });
  const fitted = fitDeployable(synthetic.rows, { method: "auto" });
  const model: StoredModel = {
    version: 1,
    createdAt: new Date(0),
    hash: "0".repeat(64),
    method: "auto",
    trainFrom: new Date(0),
    trainUntil: new Date(0),
    horizons: ["24h"],
    features: [],
    params: fitted,
    metrics: {},
  };
  const db = await createTestDatabase("server");
  try {
    await seedDataset(db.sql, { markets, historyDays: 9, spreadDays: 3, priceStepMinutes: 60 });
    await db.sql`analyze`;
    const at = new Date(SEED_END - 4 * DAY);
    const ids = Array.from({ length: markets }, (_, i) => `m${i}`);
    const batches: string[][] = [];
    for (let from = 0; from < ids.length; from += BATCH_MARKETS) {
      batches.push(ids.slice(from, from + BATCH_MARKETS));
    }
    const options = { at, model, maxRestAgeMs: 6 * 3_600_000 };
    await forecastsAt(db.sql, batches[0]!, options); // warm-up
    // The median of three passes: one pass of 4,000 tokens takes a few tenths of a second, and
    // on a shared host a single one moved by half between runs of the same code.
    const passes: number[] = [];
    let tokens = 0;
    let forecasts: ForecastsAt[] = [];
    for (let pass = 0; pass < PASSES; pass++) {
      const started = performance.now();
      tokens = 0;
      forecasts = [];
      for (const batch of batches) {
        forecasts.push(await forecastsAt(db.sql, batch, options));
        tokens += forecasts.at(-1)!.markets.length * 2;
      }
      passes.push((performance.now() - started) / 1000);
    }
    const seconds = [...passes].sort((a, b) => a - b)[Math.floor(PASSES / 2)]!;
    if (tokens === 0) throw new Error("No token was forecast: the seed is not open at the instant");
    let started = performance.now();
    for (const batch of batches) {
      await tradabilityAt(db.sql, batch, { at, maxRestAgeMs: options.maxRestAgeMs });
    }
    const tradabilitySeconds = (performance.now() - started) / 1000;
    started = performance.now();
    for (const f of forecasts) await insertForecasts(db.sql, f);
    const writeSeconds = (performance.now() - started) / 1000;
    const perS = tokens / seconds;
    return {
      markets,
      databaseTokensPerS: perS,
      databaseSeconds: UNIVERSE_TOKENS / perS,
      passSeconds: passes.map((pass) => UNIVERSE_TOKENS / tokens * pass),
      tradabilityShare: tradabilitySeconds / seconds,
      tradabilitySeconds: UNIVERSE_TOKENS / tokens * tradabilitySeconds,
      writeSeconds: UNIVERSE_TOKENS / tokens * writeSeconds,
      memorySeconds: inMemorySeconds(fitted),
    };
  } finally {
    await db.dispose();
  }
}

/** The model and the values for the whole universe, from rows already read. */
function inMemorySeconds(fitted: ReturnType<typeof fitDeployable>): number {
  const { rows } = synthesizeHistory({ markets: UNIVERSE_TOKENS / 2, seed: 7, horizon: "24h" });
  const fee = { rate: 0.05, exponent: 1 };
  const started = performance.now();
  const probabilities = predictDeployable(fitted, rows);
  let sum = 0;
  rows.forEach((row, i) => {
    const p = probabilities[i]!;
    const [yes, no] = forecastTokens({
      marketId: row.marketId,
      yesTokenId: row.tokenId,
      noTokenId: `${row.tokenId}n`,
      price: row.price,
      probability: p,
      low: Math.max(0, p - 0.05),
      high: Math.min(1, p + 0.05),
      yesAsk: Math.min(0.999, row.price + 0.01),
      noAsk: Math.min(0.999, 1.01 - row.price),
      noAskMirrored: false,
      fee,
    });
    sum += (yes.evPerShare ?? 0) + (no.evPerShare ?? 0);
  });
  if (!Number.isFinite(sum)) throw new Error("A forecast value is not finite");
  return (performance.now() - started) / 1000;
}
