/**
 * Dataset build rate (issue 28; target ≥ 20,000 market-horizons per second from PostgreSQL and
 * from Parquet): seeds its own schema with resolved markets through the collectors' writers
 * (a YES price every 30 minutes over 15 days before each end, books every 6 hours, trades every
 * 8 hours, two metadata versions, groups of 4), exports them with the export's own code, then
 * times `buildDataset` and `buildDatasetFromExport` at three horizons (best of two runs each,
 * after a warm-up), and checks that the two gave the same rows, value for value. The rate
 * counts market-horizons built (resolved binary markets × horizons), whatever the share left
 * out; the seed is vacuumed first, as a history is ({@link settle}).
 * Then `busyTradesRate`: the PostgreSQL build on markets that trade every 10 minutes, where a
 * row's week holds ~2,000 trades (the main seed's: ~42); and the same rates on 100 markets
 * whose prices are a minute apart, as the collector stores them (`densePricesLine`).
 *
 * Beside the wall-clock rate, the rate per CPU-second the build used (this process, which
 * holds DuckDB's threads, plus the PostgreSQL backends of the pool when the server runs on
 * this host and /proc shows them): on a shared 2-core machine the wall-clock figure mostly
 * measures the other load, the CPU figure the program. Run alone for the per-build lines and
 * the host's load: `deno run -A bench/_dataset_rate.ts [markets]`.
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
import type { Sql } from "../db/client.ts";
import { ownCpuTicks, watchHostLoad } from "./_host_load.ts";
import { printText } from "../runtime/log.ts";
import type { DatasetRow } from "../models/dataset_row.ts";
import { isDeepStrictEqual } from "node:util";

/** Linux's clock ticks per second (USER_HZ), the unit of /proc's CPU times. */
const TICKS_PER_S = 100;

export interface DatasetRate {
  readonly fromPostgresPerS: number;
  readonly fromParquetPerS: number;
  /** Market-horizons per CPU-second (see the module header); null where not measured. */
  readonly fromPostgresPerCpuS: number | null;
  readonly fromParquetPerCpuS: number | null;
  /** Whether the PostgreSQL figure includes the server's CPU (false: this process only). */
  readonly serverCpuCounted: boolean;
  readonly rows: number;
  /** Price snapshots stored (all tokens). */
  readonly priceRows: number;
  /** One line per timed build. */
  readonly runs: readonly string[];
}

export async function datasetRate(
  options: { markets?: number; priceStepMinutes?: number } = {},
): Promise<DatasetRate> {
  const horizons = parseHorizons("1h,24h,7d");
  const db = await createTestDatabase("server");
  const out = await Deno.makeTempDir({ prefix: "dataset_rate_" });
  try {
    await seedDataset(db.sql, {
      markets: options.markets ?? 3_000,
      priceStepMinutes: options.priceStepMinutes,
    });
    await settle(db.sql);
    await exportDatasetTables(db.sql, out);
    const server = await backendCpu(db.sql);
    const runs: string[] = [];
    const fromPostgres = await bestRate(
      "PostgreSQL",
      () => buildDataset(db.sql, { horizons }),
      horizons.length,
      { server, runs },
    );
    const fromParquet = await bestRate(
      "Parquet",
      () => buildDatasetFromExport(out, { horizons }),
      horizons.length,
      { server: null, runs },
    );
    sameRows(fromPostgres.last, fromParquet.last);
    const [{ n }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from price_snapshot_data`;
    return {
      priceRows: n,
      fromPostgresPerS: fromPostgres.perS,
      fromParquetPerS: fromParquet.perS,
      fromPostgresPerCpuS: fromPostgres.perCpuS,
      fromParquetPerCpuS: fromParquet.perCpuS,
      serverCpuCounted: server !== null,
      rows: fromPostgres.last.length,
      runs,
    };
  } finally {
    await Deno.remove(out, { recursive: true });
    await db.dispose();
  }
}

export interface BusyTradesRate {
  readonly perS: number;
  readonly rows: number;
  readonly trades: number;
  /** Trades of both tokens in a row's week window. */
  readonly tradesPerWindow: number;
  readonly tradeStepMinutes: number;
}

/**
 * The PostgreSQL build where markets trade all day (a trade every `tradeStepMinutes` on each
 * token, written through the trades writer, so `trade_hours` grows as on the venue): the
 * realistic day the main seed's three trades a day do not show. Best of two after a warm-up.
 */
export async function busyTradesRate(
  options: { markets?: number; tradeStepMinutes?: number } = {},
): Promise<BusyTradesRate> {
  const horizons = parseHorizons("1h,24h,7d");
  const tradeStepMinutes = options.tradeStepMinutes ?? 10;
  const db = await createTestDatabase("server");
  try {
    await seedDataset(db.sql, { markets: options.markets ?? 200, tradeStepMinutes });
    await settle(db.sql);
    const [{ trades }] = await db.sql<{ trades: number }[]>`
      select count(*)::int as trades from trades`;
    const runs: string[] = [];
    const best = await bestRate(
      "PostgreSQL, busy trades",
      () => buildDataset(db.sql, { horizons }),
      horizons.length,
      { server: null, runs },
    );
    return {
      perS: best.perS,
      rows: best.last.length,
      trades,
      tradesPerWindow: 2 * Math.round(7 * 1440 / tradeStepMinutes),
      tradeStepMinutes,
    };
  } finally {
    await db.dispose();
  }
}

/**
 * The line `bench model` and this module print for a {@link datasetRate} on prices a minute
 * apart, as the collector stores them (the main seed's are 30 minutes apart): the PostgreSQL
 * build's probes cost the same whatever the spacing, the Parquet build's passes grow with the
 * rows stored.
 */
export function densePricesLine(d: DatasetRate, priceStepMinutes: number): string {
  return `dataset build with prices ${priceStepMinutes} minute(s) apart (${d.priceRows} price ` +
    `rows, ${d.rows} rows): ${Math.round(d.fromPostgresPerS)} market-horizons/s from ` +
    `PostgreSQL, ${Math.round(d.fromParquetPerS)} from Parquet; per CPU-second ${
      Math.round(d.fromPostgresPerCpuS ?? NaN)
    } and ${Math.round(d.fromParquetPerCpuS ?? NaN)}`;
}

/** The line `bench model` and this module print for {@link busyTradesRate}. */
export function busyTradesLine(b: BusyTradesRate): string {
  return `dataset build with busy trades (a trade every ${b.tradeStepMinutes} minutes on each ` +
    `token, ${b.trades} trades, ~${b.tradesPerWindow} in a row's week): ` +
    `${Math.round(b.perS)} market-horizons/s from PostgreSQL (${b.rows} rows)`;
}

/**
 * Brings the seed to the state of a history written days ago: vacuumed (autovacuum has long since
 * been over those pages) and analyzed. Read at once, the index-only scans of `trade_hours` would
 * visit the heap for every hour for want of the visibility map (42 heap fetches a row): 14% more
 * server CPU per build than once vacuumed, on 1,500 markets.
 */
async function settle(sql: Sql): Promise<void> {
  // This schema's tables only: a database-wide vacuum would also walk every other test schema.
  const tables = await sql<{ name: string }[]>`
    select tablename as name from pg_tables where schemaname = current_schema()`;
  await sql`vacuum analyze ${sql(tables.map((t) => t.name))}`;
}

/**
 * Reads the CPU ticks of the pool's backends, or null when they cannot be read here (a remote
 * server, no /proc). Enough concurrent sleeps that every pooled connection reports its pid.
 */
async function backendCpu(sql: Sql): Promise<(() => Promise<number | null>) | null> {
  const answers = await Promise.all(
    Array.from({ length: 16 }, () =>
      sql<{ pid: number }[]>`select pg_backend_pid() as pid,
      pg_sleep(0.05)`),
  );
  const pids = [...new Set(answers.map((rows) => rows[0]!.pid))];
  // null when a backend cannot be read: not on this host, or gone (the pool renewed it).
  const read = async () => {
    let ticks = 0;
    for (const pid of pids) {
      const text = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
      if (text === null) return null;
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks;
  };
  return await read() === null ? null : read;
}

/** The best of two timed runs after one warm-up, by wall clock and by CPU. */
async function bestRate(
  source: string,
  build: () => Promise<DatasetBuild>,
  horizons: number,
  context: { server: (() => Promise<number | null>) | null; runs: string[] },
): Promise<{ perS: number; perCpuS: number | null; last: DatasetRow[] }> {
  let last = (await build()).rows;
  let perS = 0;
  let perCpuS: number | null = null;
  for (let run = 0; run < 2; run++) {
    const ownBefore = await ownCpuTicks();
    const serverBefore = await context.server?.() ?? null;
    const started = performance.now();
    const result = await build();
    const seconds = (performance.now() - started) / 1000;
    const ownAfter = await ownCpuTicks();
    const serverAfter = await context.server?.() ?? null;
    last = result.rows;
    const built = result.markets * horizons;
    perS = Math.max(perS, built / seconds);
    let line = `dataset build from ${source}: ${built} market-horizons in ${seconds.toFixed(2)} s`;
    if (ownBefore !== null && ownAfter !== null) {
      const own = (ownAfter - ownBefore) / TICKS_PER_S;
      const counted = serverBefore !== null && serverAfter !== null;
      const server = counted ? (serverAfter - serverBefore) / TICKS_PER_S : 0;
      const cpu = Math.max(own + server, 1 / TICKS_PER_S);
      perCpuS = Math.max(perCpuS ?? 0, built / cpu);
      line += `, CPU ${own.toFixed(2)} s here` +
        (counted ? ` + ${server.toFixed(2)} s in PostgreSQL` : "") +
        ` (${Math.round(built / cpu)} per CPU-second)`;
    }
    context.runs.push(line);
  }
  return { perS, perCpuS, last };
}

/**
 * Throws unless both builders gave the same rows, value for value, in the same order: a rate
 * counts only for the dataset the other builder also gives.
 */
function sameRows(postgres: readonly DatasetRow[], parquet: readonly DatasetRow[]): void {
  const n = Math.max(postgres.length, parquet.length);
  for (let i = 0; i < n; i++) {
    const [a, b] = [postgres[i], parquet[i]];
    if (isDeepStrictEqual(a, b)) continue;
    const row = (r: DatasetRow | undefined) =>
      r === undefined ? "no row" : `${r.marketId} at ${r.horizon}`;
    throw new Error(
      `The builders disagree at row ${i} of ${postgres.length} (PostgreSQL) and ` +
        `${parquet.length} (Parquet): ${row(a)} vs ${row(b)}`,
    );
  }
}

if (import.meta.main) {
  const watch = await watchHostLoad();
  const d = await datasetRate({ markets: Number(Deno.args[0] ?? 3_000) });
  const lines = [
    ...d.runs,
    `dataset build: ${Math.round(d.fromPostgresPerS)} market-horizons/s from PostgreSQL, ${
      Math.round(d.fromParquetPerS)
    } from Parquet (${d.rows} rows; target >= 20,000/s); per CPU-second ${
      Math.round(d.fromPostgresPerCpuS ?? NaN)
    }${d.serverCpuCounted ? "" : " (this process only)"} and ${
      Math.round(d.fromParquetPerCpuS ?? NaN)
    }`,
    busyTradesLine(await busyTradesRate()),
    densePricesLine(await datasetRate({ markets: 100, priceStepMinutes: 1 }), 1),
    ...await watch.stop(),
  ];
  for (const line of lines) printText("stdout", line);
}
