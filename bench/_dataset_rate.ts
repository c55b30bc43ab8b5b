/**
 * Dataset build rate (issue 28; target ≥ 20,000 market-horizons per second from PostgreSQL and
 * from Parquet): seeds its own schema with resolved markets through the collectors' writers
 * (a YES price every 30 minutes over 15 days before each end, books every 6 hours, trades every
 * 8 hours, two metadata versions, groups of 4), exports them with the export's own code, then
 * times `buildDataset` and `buildDatasetFromExport` at three horizons (best of two runs each,
 * after a warm-up). The rate counts market-horizons built (resolved binary markets × horizons),
 * whatever the share left out.
 *
 * @example
 * ```ts ignore
 * import { datasetRate } from "./_dataset_rate.ts";
 * const { fromPostgresPerS, fromParquetPerS, rows } = await datasetRate();
 * ```
 */
import { createTestDatabase } from "../tests/_db.ts";
import { exportDatasetTables, seedDataset } from "../tests/_dataset_seed.ts";
import { buildDataset, type DatasetBuild, parseHorizons } from "../models/dataset.ts";
import { buildDatasetFromExport } from "../models/dataset_parquet.ts";

export async function datasetRate(
  options: { markets?: number } = {},
): Promise<{ fromPostgresPerS: number; fromParquetPerS: number; rows: number }> {
  const horizons = parseHorizons("1h,24h,7d");
  const db = await createTestDatabase("server");
  const out = await Deno.makeTempDir({ prefix: "dataset_rate_" });
  try {
    await seedDataset(db.sql, { markets: options.markets ?? 3_000 });
    await db.sql`analyze`;
    await exportDatasetTables(db.sql, out);
    const fromPostgres = await bestRate(() => buildDataset(db.sql, { horizons }), horizons.length);
    const fromParquet = await bestRate(
      () => buildDatasetFromExport(out, { horizons }),
      horizons.length,
    );
    if (fromPostgres.rows !== fromParquet.rows) {
      throw new Error(`The builders disagree: ${fromPostgres.rows} vs ${fromParquet.rows} rows`);
    }
    return {
      fromPostgresPerS: fromPostgres.perS,
      fromParquetPerS: fromParquet.perS,
      rows: fromPostgres.rows,
    };
  } finally {
    await Deno.remove(out, { recursive: true });
    await db.dispose();
  }
}

/** The best of two timed runs after one warm-up. */
async function bestRate(
  build: () => Promise<DatasetBuild>,
  horizons: number,
): Promise<{ perS: number; rows: number }> {
  let rows = (await build()).rows.length;
  let perS = 0;
  for (let run = 0; run < 2; run++) {
    const started = performance.now();
    const result = await build();
    const seconds = (performance.now() - started) / 1000;
    rows = result.rows.length;
    perS = Math.max(perS, (result.markets * horizons) / seconds);
  }
  return { perS, rows };
}
