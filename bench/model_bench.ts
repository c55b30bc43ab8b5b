/**
 * Calibrated models against the market and the oracle (issue 28), out of sample at t − 24 h.
 *
 * Rows, first section (the targets): FROM THE SIMULATOR's closed history (`simulator/history.ts`,
 * 24,000 resolved markets, seed 4, read in process through `ClosedHistory`, not over HTTP; see
 * `_model_rows.ts`): the quote at end − 24 h, the hidden probability at the same point for the
 * oracle. Its distortions (docs/models.md, "Simulator"): politics underconfident, sports
 * favourite-longshot biased, crypto the calibrated control; every quote is also stale by a lag
 * that falls with liquidity, which no model of the price can undo. So beside the oracle the
 * benchmark prints the price-only ceiling D⁻¹(quote) (the simulator's own inverse distortion:
 * the best any map of the price can do) and the model's share of it.
 *
 * Second section (figures only): SYNTHESISED rows (`models/synthetic.ts`, 24,000 markets, no
 * staleness, so there the oracle is the price-only ceiling).
 *
 * Method: walk-forward by resolution time, 5 test folds after a first training block, embargo
 * 24 h, one `auto` calibration per domain × horizon (beta or isotonic, chosen by cross-validation
 * on the cell's training rows; pooled below 300 training rows when that helps the cell), gated
 * against the price at α = 0.01, tail kept at its price, partitions coherent. Beta, isotonic,
 * Platt, the feature model and auto without the gate run beside it.
 *
 * Targets (simulator rows): in each distorted segment (near-certain tail excluded, as in the
 * evaluation table) the model's Brier improvement over the market is ≥ 80% of the oracle's; in
 * the calibrated control the 95% interval of Brier(model) − Brier(market), events resampled,
 * includes 0 or lies below it. Last line: `model: brier X (market Y, oracle Z) on N markets at
 * t-24h` over every out-of-sample simulator row (tail included). `BENCH_SHORT=1`: 6,000 markets.
 *
 * Before that last line, from a seeded PostgreSQL (the test database), each against its
 * target: the dataset build rate from PostgreSQL and from Parquet (`_dataset_rate.ts`, ≥ 20,000
 * market-horizons/s each; beside it, not counted, the rates with busy trades and with prices a
 * minute apart) and the forecast throughput (`_forecast_rate.ts`), the whole active
 * universe (~93,000 tokens) in ≤ 10 s, from the database and in memory. Without a reachable test
 * database these are "not measured".
 *
 * @example
 * ```sh
 * deno task bench model
 * ```
 */
import {
  atLeast,
  atMost,
  BENCH_SHORT,
  missed,
  notMeasured,
  type TargetCheck,
  verdictLine,
} from "./_report.ts";
import { printText } from "../runtime/log.ts";
import { simulatorRows } from "./_model_rows.ts";
import { undistort } from "../simulator/price_distortion.ts";
import { synthesizeHistory } from "../models/synthetic.ts";
import { inTail, walkForward, type WalkForwardResult } from "../models/walk_forward.ts";
import { evaluateForecasts, formatEvaluation } from "../models/evaluate.ts";
import { brierScore } from "../models/metrics.ts";
import { brierDifferenceInterval } from "../models/bootstrap.ts";
import type { ModelMethod } from "../models/model.ts";
import type { DatasetRow } from "../models/dataset_row.ts";
import { busyTradesLine, busyTradesRate, datasetRate, densePricesLine } from "./_dataset_rate.ts";
import { isConnectionError } from "../db/client.ts";
import { forecastRate, UNIVERSE_TOKENS } from "./_forecast_rate.ts";

const MARKETS = BENCH_SHORT ? 6000 : 24_000;
const METHOD: ModelMethod = "auto";

interface Source {
  readonly name: string;
  readonly rows: readonly DatasetRow[];
  readonly hidden: readonly number[];
  readonly excluded: readonly string[];
  readonly distorted: readonly string[];
  readonly control: string;
  /** The best forecast any map of the price can make, when known apart from the oracle. */
  readonly ceiling?: (row: DatasetRow) => number;
}

function run(
  source: Source,
  withTable: boolean,
): { lines: string[]; targets: TargetCheck[]; result: WalkForwardResult } {
  const { rows, hidden } = source;
  const lines: string[] = [
    `rows: ${source.name}, ${rows.length} resolved markets in ${
      new Set(rows.map((r) => r.eventId)).size
    } events, horizon 24h; excluded before: ${source.excluded.join("; ")}`,
  ];
  const runs = new Map<string, WalkForwardResult>();
  const variants: [string, ModelMethod, false | undefined][] = [
    [METHOD, METHOD, undefined],
    [`${METHOD} without gate`, METHOD, false],
    ["beta", "beta", undefined],
    ["isotonic", "isotonic", undefined],
    ["platt", "platt", undefined],
    ["features", "features", undefined],
  ];
  for (const [name, method, gate] of variants) {
    const t0 = performance.now();
    const result = walkForward(rows, { method, folds: 5, gate });
    runs.set(name, result);
    const cells = new Map<string, number>();
    for (const p of result.predictions) cells.set(p.cell, (cells.get(p.cell) ?? 0) + 1);
    lines.push(
      `walk-forward ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s; rows by cell: ${
        [...cells].map(([c, n]) => `${c} ${n}`).join(", ")
      }`,
    );
  }
  const result = runs.get(METHOD)!;
  lines.push(
    `sample: ${result.predictions.length} out-of-sample rows in 5 folds; ${result.trainingOnly} first-block rows only trained; embargo ${
      result.embargoMs / 3_600_000
    } h; ${result.coherentPartitions} partitions made coherent, ${result.incompletePartitions} incomplete`,
  );
  if (withTable) {
    const table = evaluateForecasts(result.predictions, {
      resamples: BENCH_SHORT ? 200 : 1000,
      excluded: [...source.excluded, `${result.trainingOnly} first-block rows (training only)`],
    });
    lines.push(`\n${METHOD} per segment:`, formatEvaluation(table), "");
  }
  const targets: TargetCheck[] = [];
  for (const domain of [...source.distorted, source.control]) {
    const ps = result.predictions.filter((p) => p.row.domain === domain && !inTail(p.row));
    const labels = ps.map((p) => p.row.label);
    const market = brierScore(ps.map((p) => p.row.price), labels);
    const oracle = brierScore(ps.map((p) => hidden[p.index]), labels);
    const model = brierScore(ps.map((p) => p.probability), labels);
    const others = [...runs].map(([name, r]) => {
      const qs = r.predictions.filter((p) => p.row.domain === domain && !inTail(p.row));
      return `${name} ${
        brierScore(qs.map((p) => p.probability), qs.map((p) => p.row.label)).toFixed(4)
      }`;
    });
    let text = `${domain}: ${ps.length} rows (tail excluded); brier market ${
      market.toFixed(4)
    }, oracle ${oracle.toFixed(4)}`;
    if (source.ceiling !== undefined) {
      const ceiling = brierScore(ps.map((p) => source.ceiling!(p.row)), labels);
      text += `, price-only ceiling ${ceiling.toFixed(4)}`;
      if (source.distorted.includes(domain)) {
        text += ` (${METHOD} reaches ${
          (100 * (market - model) / (market - ceiling)).toFixed(0)
        }% of its improvement)`;
      }
    }
    text += `; ${others.join(", ")}`;
    if (source.distorted.includes(domain)) {
      const share = (market - model) / (market - oracle);
      text += `; ${METHOD} improvement ${(market - model).toFixed(4)} = ${
        (100 * share).toFixed(0)
      }% of the oracle's ${(market - oracle).toFixed(4)}`;
      targets.push(atLeast(`${domain} improvement / oracle's (${source.name})`, share, 0.8));
    } else {
      const d = brierDifferenceInterval(
        ps.map((p) => ({
          eventId: p.row.eventId,
          model: p.probability,
          market: p.row.price,
          label: p.row.label,
        })),
        { resamples: 2000, seed: 7 },
      );
      const met = d.low <= 0;
      targets.push({
        measured: true,
        met,
        line: `target ${domain} (control, ${source.name}) not worse than the market: diff ${
          d.difference.toFixed(5)
        } [${d.low.toFixed(5)}, ${d.high.toFixed(5)}], ${d.events} events ${
          met ? "met" : "NOT met"
        }`,
      });
    }
    lines.push(text);
  }
  return { lines, targets, result };
}

const started = performance.now();
const sim = simulatorRows({ count: MARKETS, seed: 4, horizonHours: 24 });
const simulator = run({
  name: "simulator closed history (seed 4)",
  rows: sim.rows,
  hidden: sim.hidden,
  excluded: sim.excluded,
  distorted: ["politics", "sports"],
  control: "crypto",
  ceiling: (row) => undistort(row.domain as "politics", row.price),
}, true);
const syn = synthesizeHistory({ markets: MARKETS, seed: 20261206, horizon: "24h" });
const synthetic = run({
  name: "synthesised (models/synthetic.ts, seed 20261206)",
  rows: syn.rows,
  hidden: syn.hidden,
  excluded: ["none"],
  distorted: ["politics", "crypto"],
  control: "sports",
}, false);

const all = simulator.result.predictions;
const labels = all.map((p) => p.row.label);
const figure = {
  model: brierScore(all.map((p) => p.probability), labels),
  market: brierScore(all.map((p) => p.row.price), labels),
  oracle: brierScore(all.map((p) => sim.hidden[p.index]), labels),
};
const extra = await databaseFigures();
const lines = [
  "## simulator rows (targets)",
  ...simulator.lines,
  "",
  "## synthesised rows (figures; their targets are shown, not counted)",
  ...synthetic.lines,
  ...synthetic.targets.map((t) => `  (synthetic) ${t.line}`),
  "",
  "## dataset build and forecast throughput (seeded PostgreSQL)",
  ...extra.lines,
  "",
  `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
];
const targets = [...simulator.targets, ...extra.targets];
for (
  const line of [
    ...lines,
    ...targets.map((t) => t.line),
    verdictLine(targets),
  ]
) {
  printText("stdout", line);
}
printText(
  "stdout",
  `model: brier ${figure.model.toFixed(4)} (market ${figure.market.toFixed(4)}, oracle ${
    figure.oracle.toFixed(4)
  }) on ${all.length} markets at t-24h`,
);
if (targets.some(missed)) Deno.exit(1);

/** The dataset build rate and the forecast throughput, or why they were not measured. */
async function databaseFigures(): Promise<{ lines: string[]; targets: TargetCheck[] }> {
  const lines: string[] = [];
  const targets: TargetCheck[] = [];
  try {
    const d = await datasetRate({ markets: BENCH_SHORT ? 300 : 3_000 });
    lines.push(
      `dataset build: ${Math.round(d.fromPostgresPerS)} market-horizons/s from PostgreSQL, ${
        Math.round(d.fromParquetPerS)
      } from Parquet (${d.rows} rows; target >= 20,000/s); per CPU-second ${
        Math.round(d.fromPostgresPerCpuS ?? NaN)
      }${d.serverCpuCounted ? "" : " (client only)"} and ${
        Math.round(d.fromParquetPerCpuS ?? NaN)
      }`,
      ...d.runs.map((line) => `  ${line}`),
      busyTradesLine(await busyTradesRate({ markets: BENCH_SHORT ? 50 : 200 })),
      densePricesLine(
        await datasetRate({ markets: BENCH_SHORT ? 20 : 100, priceStepMinutes: 1 }),
        1,
      ),
    );
    const f = await forecastRate({ markets: BENCH_SHORT ? 300 : 2_000 });
    lines.push(
      `forecast: ${Math.round(f.databaseTokensPerS)} tokens/s from PostgreSQL over ${
        f.markets * 2
      } seeded tokens (tradabilityAt alone: ${
        f.tradabilitySeconds.toFixed(1)
      } s for 93k tokens, read beside the features): ${
        f.databaseSeconds.toFixed(1)
      } s for ${UNIVERSE_TOKENS} tokens (median of passes ${
        f.passSeconds.map((x) => x.toFixed(1)).join(", ")
      } s), writing them ${f.writeSeconds.toFixed(1)} s more; model and values alone ${
        f.memorySeconds.toFixed(2)
      } s in memory`,
    );
    targets.push(
      atLeast("dataset build from PostgreSQL", d.fromPostgresPerS, 20_000, "/s"),
      atLeast("dataset build from Parquet", d.fromParquetPerS, 20_000, "/s"),
      atMost(`forecast ${UNIVERSE_TOKENS} tokens from PostgreSQL`, f.databaseSeconds, 10, " s"),
      atMost(`forecast ${UNIVERSE_TOKENS} tokens in memory`, f.memorySeconds, 10, " s"),
    );
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    lines.push(`dataset and forecast figures not measured: ${String(err)}`);
    targets.push(
      notMeasured("dataset build", "no test database"),
      notMeasured(`forecast ${UNIVERSE_TOKENS} tokens`, "no test database"),
    );
  }
  return { lines, targets };
}
