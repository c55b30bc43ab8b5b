/**
 * Every migration, imported as text so that `deno compile` bundles them into the binary and
 * the program migrates with no source tree present. Add new files here in order; a test
 * checks that this list and the folder agree.
 *
 * A migration is either one file for every backend (`NNNN_name.sql`) or a pair of variants,
 * `NNNN_name.timescale.sql` and `NNNN_name.plain.sql`, of which migrate picks one by mode.
 */
import core0001 from "./0001_core.sql" with { type: "text" };
import timeseries0002Plain from "./0002_timeseries.plain.sql" with { type: "text" };
import timeseries0002Timescale from "./0002_timeseries.timescale.sql" with { type: "text" };
import backfill0003 from "./0003_backfill.sql" with { type: "text" };
import tradeIdentity0004 from "./0004_trade_identity.sql" with { type: "text" };
import gapTokens0005 from "./0005_gap_tokens.sql" with { type: "text" };
import marketMetadata0006 from "./0006_market_metadata.sql" with { type: "text" };
import relationReview0007 from "./0007_relation_review.sql" with { type: "text" };
import storage0008Plain from "./0008_storage_v2.plain.sql" with { type: "text" };
import storage0008Timescale from "./0008_storage_v2.timescale.sql" with { type: "text" };
import episodes0009Plain from "./0009_episodes.plain.sql" with { type: "text" };
import episodes0009Timescale from "./0009_episodes.timescale.sql" with { type: "text" };
import bookEvents0010Plain from "./0010_book_events.plain.sql" with { type: "text" };
import bookEvents0010Timescale from "./0010_book_events.timescale.sql" with { type: "text" };
import bookEventPairs0011 from "./0011_book_event_pairs.sql" with { type: "text" };
import rollup0012Plain from "./0012_rollup.plain.sql" with { type: "text" };
import rollup0012Timescale from "./0012_rollup.timescale.sql" with { type: "text" };
import bookEventPacks0013 from "./0013_book_event_packs.sql" with { type: "text" };
import ledger0014 from "./0014_ledger.sql" with { type: "text" };
import models0015 from "./0015_models.sql" with { type: "text" };
import resolvedBackfill0016 from "./0016_resolved_backfill.sql" with { type: "text" };
import tradingModes0017 from "./0017_trading_modes.sql" with { type: "text" };
import forecasts0018 from "./0018_forecasts.sql" with { type: "text" };
import bookChunks0019Plain from "./0019_book_chunks_6h.plain.sql" with { type: "text" };
import bookChunks0019Timescale from "./0019_book_chunks_6h.timescale.sql" with { type: "text" };
import aggregates0020Plain from "./0020_aggregate_compression.plain.sql" with { type: "text" };
import aggregates0020Timescale from "./0020_aggregate_compression.timescale.sql" with {
  type: "text",
};
import tradeOutcomes0021 from "./0021_trade_outcomes.sql" with { type: "text" };
import forecastSkill0022 from "./0022_forecast_skill.sql" with { type: "text" };
import bookHash0023Plain from "./0023_book_hash_bytes.plain.sql" with { type: "text" };
import bookHash0023Timescale from "./0023_book_hash_bytes.timescale.sql" with { type: "text" };
import packLz40024 from "./0024_pack_lz4.sql" with { type: "text" };
import tradeHours0025 from "./0025_trade_hours.sql" with { type: "text" };

/** One numbered migration with its SQL per mode (identical when it has no variants). */
export interface BundledMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: { readonly plain: string; readonly timescale: string };
  /** File names, for `migrate --status` and the bundle-vs-folder test. */
  readonly files: readonly string[];
}

export const MIGRATIONS: readonly BundledMigration[] = [
  {
    version: 1,
    name: "core",
    sql: { plain: core0001, timescale: core0001 },
    files: ["0001_core.sql"],
  },
  {
    version: 2,
    name: "timeseries",
    sql: { plain: timeseries0002Plain, timescale: timeseries0002Timescale },
    files: ["0002_timeseries.plain.sql", "0002_timeseries.timescale.sql"],
  },
  {
    version: 3,
    name: "backfill",
    sql: { plain: backfill0003, timescale: backfill0003 },
    files: ["0003_backfill.sql"],
  },
  {
    version: 4,
    name: "trade_identity",
    sql: { plain: tradeIdentity0004, timescale: tradeIdentity0004 },
    files: ["0004_trade_identity.sql"],
  },
  {
    version: 5,
    name: "gap_tokens",
    sql: { plain: gapTokens0005, timescale: gapTokens0005 },
    files: ["0005_gap_tokens.sql"],
  },
  {
    version: 6,
    name: "market_metadata",
    sql: { plain: marketMetadata0006, timescale: marketMetadata0006 },
    files: ["0006_market_metadata.sql"],
  },
  {
    version: 7,
    name: "relation_review",
    sql: { plain: relationReview0007, timescale: relationReview0007 },
    files: ["0007_relation_review.sql"],
  },
  {
    version: 8,
    name: "storage_v2",
    sql: { plain: storage0008Plain, timescale: storage0008Timescale },
    files: ["0008_storage_v2.plain.sql", "0008_storage_v2.timescale.sql"],
  },
  {
    version: 9,
    name: "episodes",
    sql: { plain: episodes0009Plain, timescale: episodes0009Timescale },
    files: ["0009_episodes.plain.sql", "0009_episodes.timescale.sql"],
  },
  {
    version: 10,
    name: "book_events",
    sql: { plain: bookEvents0010Plain, timescale: bookEvents0010Timescale },
    files: ["0010_book_events.plain.sql", "0010_book_events.timescale.sql"],
  },
  {
    version: 11,
    name: "book_event_pairs",
    sql: { plain: bookEventPairs0011, timescale: bookEventPairs0011 },
    files: ["0011_book_event_pairs.sql"],
  },
  {
    version: 12,
    name: "rollup",
    sql: { plain: rollup0012Plain, timescale: rollup0012Timescale },
    files: ["0012_rollup.plain.sql", "0012_rollup.timescale.sql"],
  },
  {
    version: 13,
    name: "book_event_packs",
    sql: { plain: bookEventPacks0013, timescale: bookEventPacks0013 },
    files: ["0013_book_event_packs.sql"],
  },
  {
    version: 14,
    name: "ledger",
    sql: { plain: ledger0014, timescale: ledger0014 },
    files: ["0014_ledger.sql"],
  },
  {
    version: 15,
    name: "models",
    sql: { plain: models0015, timescale: models0015 },
    files: ["0015_models.sql"],
  },
  {
    version: 16,
    name: "resolved_backfill",
    sql: { plain: resolvedBackfill0016, timescale: resolvedBackfill0016 },
    files: ["0016_resolved_backfill.sql"],
  },
  {
    version: 17,
    name: "trading_modes",
    sql: { plain: tradingModes0017, timescale: tradingModes0017 },
    files: ["0017_trading_modes.sql"],
  },
  {
    version: 18,
    name: "forecasts",
    sql: { plain: forecasts0018, timescale: forecasts0018 },
    files: ["0018_forecasts.sql"],
  },
  {
    version: 19,
    name: "book_chunks_6h",
    sql: { plain: bookChunks0019Plain, timescale: bookChunks0019Timescale },
    files: ["0019_book_chunks_6h.plain.sql", "0019_book_chunks_6h.timescale.sql"],
  },
  {
    version: 20,
    name: "aggregate_compression",
    sql: { plain: aggregates0020Plain, timescale: aggregates0020Timescale },
    files: ["0020_aggregate_compression.plain.sql", "0020_aggregate_compression.timescale.sql"],
  },
  {
    version: 21,
    name: "trade_outcomes",
    sql: { plain: tradeOutcomes0021, timescale: tradeOutcomes0021 },
    files: ["0021_trade_outcomes.sql"],
  },
  {
    version: 22,
    name: "forecast_skill",
    sql: { plain: forecastSkill0022, timescale: forecastSkill0022 },
    files: ["0022_forecast_skill.sql"],
  },
  {
    version: 23,
    name: "book_hash_bytes",
    sql: { plain: bookHash0023Plain, timescale: bookHash0023Timescale },
    files: ["0023_book_hash_bytes.plain.sql", "0023_book_hash_bytes.timescale.sql"],
  },
  {
    version: 24,
    name: "pack_lz4",
    sql: { plain: packLz40024, timescale: packLz40024 },
    files: ["0024_pack_lz4.sql"],
  },
  {
    version: 25,
    name: "trade_hours",
    sql: { plain: tradeHours0025, timescale: tradeHours0025 },
    files: ["0025_trade_hours.sql"],
  },
];
