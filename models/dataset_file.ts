/**
 * Writes dataset rows as one ZSTD Parquet file through DuckDB: the row's fields as columns
 * (`market_id`, `event_id`, `token_id`, `horizon`, `instant` and `resolved_at` as TIMESTAMPTZ,
 * `domain`, `neg_risk_group_size`, `price`, `label`) and one DOUBLE column per feature, named as
 * the feature (`momentum24h`, …). A feature unknown at the instant (NaN in the row) is NULL in
 * the file, which every reader understands. Written to a temporary name, then renamed: a reader
 * never sees half a file.
 *
 * @example
 * ```ts ignore
 * import { writeDatasetParquet } from "./dataset_file.ts";
 * await writeDatasetParquet(rows, "/srv/datasets/2026-12/dataset.parquet");
 * ```
 */
import { dirname, join } from "node:path";
import { duckString, openDuckDb, quoteIdent } from "../export/_duckdb.ts";
import type { DatasetRow } from "./dataset_row.ts";

const BASE = [
  ["market_id", "varchar"],
  ["event_id", "varchar"],
  ["token_id", "varchar"],
  ["horizon", "varchar"],
  ["instant", "timestamptz"],
  ["resolved_at", "timestamptz"],
  ["domain", "varchar"],
  ["neg_risk_group_size", "integer"],
  ["price", "double"],
  ["label", "tinyint"],
] as const;

/** Writes `rows` to `file` (created or replaced); returns the feature columns written. */
export async function writeDatasetParquet(
  rows: readonly DatasetRow[],
  file: string,
): Promise<string[]> {
  const features = rows.length === 0 ? [] : Object.keys(rows[0]!.features);
  const columns = [...BASE.map(([name]) => name), ...features];
  const duck = await openDuckDb();
  const staging = join(dirname(file), `_tmp-${crypto.randomUUID().slice(0, 13)}.parquet`);
  try {
    await duck.run(`create temp table staged (${columns.map((c) => `${quoteIdent(c)} varchar`)})`);
    const appender = await duck.appender("staged");
    try {
      for (const row of rows) {
        const values = [
          row.marketId,
          row.eventId,
          row.tokenId,
          row.horizon,
          String(row.instant),
          String(row.resolvedAt),
          row.domain,
          String(row.negRiskGroupSize),
          String(row.price),
          String(row.label),
          ...features.map((f) => row.features[f] ?? NaN).map((v) =>
            Number.isFinite(v) ? String(v) : null
          ),
        ];
        for (const v of values) v === null ? appender.appendNull() : appender.appendVarchar(v);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const select = [
      ...BASE.map(([name, type]) =>
        type === "timestamptz"
          ? `make_timestamp(${quoteIdent(name)}::bigint * 1000)::timestamptz as ${name}`
          : `${quoteIdent(name)}::${type} as ${name}`
      ),
      ...features.map((f) => `${quoteIdent(f)}::double as ${quoteIdent(f)}`),
    ];
    await duck.run(
      `copy (select ${select.join(", ")} from staged) to ${duckString(staging)} ` +
        `(format parquet, compression zstd)`,
    );
    await Deno.rename(staging, file);
    return features;
  } finally {
    duck.close();
    await Deno.remove(staging).catch(() => {});
  }
}
