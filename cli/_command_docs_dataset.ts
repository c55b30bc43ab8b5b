/**
 * The help page of `dataset` (see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { DATASET_DOCS } from "./_command_docs_dataset.ts";
 * DATASET_DOCS.dataset.options.horizons.value; // "LIST"
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** dataset. */
export const DATASET_DOCS = {
  dataset: {
    summary:
      "a point-in-time dataset of resolved markets as Parquet (features before each instant)",
    usage: [
      "dataset --horizons LIST --out DIR [--since ISO] [--until ISO]",
      "dataset --horizons LIST --out DIR --from-export DIR [--since ISO] [--until ISO]",
    ],
    about:
      "One row per resolved binary market and horizon, at the instant end − horizon (end = the " +
      "first of its resolution and its close): its YES price, spread, book depth, trade activity, " +
      "momentum and volatility, time to end, fee schedule, domain, neg-risk group size and price " +
      "sum, all from data stored before the instant and metadata as of it, and the outcome. " +
      "Voided and 50-50 markets and markets with no price before the instant are counted in the " +
      "summary line, not dropped silently. Writes DIR/dataset.parquet (docs/models.md, Datasets).",
    options: {
      horizons: { value: "LIST", text: "comma-separated horizons: whole m, h or d (1h,24h,7d)" },
      out: { value: "DIR", text: "folder for dataset.parquet (created if missing)" },
      since: {
        value: "ISO",
        text: "markets resolved at or after this instant",
        default: "the first resolution",
      },
      until: { value: "ISO", text: "markets resolved before this instant", default: "now" },
      "from-export": {
        value: "DIR",
        text: "build with DuckDB over a pmcollect export folder instead of the database",
        default: "the database",
      },
    },
    examples: [
      "pmcollect dataset --horizons 1h,24h,7d --out /srv/datasets/2026-12",
      "pmcollect dataset --horizons 24h --from-export /srv/parquet --since 2026-01-01 --out /tmp/ds",
    ],
    exits: "0 written, 1 the build failed (an export folder without the catalog), 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
