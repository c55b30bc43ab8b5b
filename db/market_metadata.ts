/**
 * Market metadata with change history: the fields fees and relations depend on (fee schedule,
 * tick, minimum size, neg-risk structure, rules hash, sports fields, dates). Each observation is
 * merged onto the market's state as of its time; a `market_metadata_history` row is written
 * only when the digest of the merged fields differs from that state, so a cycle that sees no
 * change writes nothing and a change is stored once, at the time it was observed. The current
 * values are mirrored into columns of `markets`; rules texts are stored once per hash in
 * `market_rules`.
 *
 * @example
 * ```ts ignore
 * import { marketMetadataAsOf, recordMarketMetadata } from "./market_metadata.ts";
 * await recordMarketMetadata(sql, observations, { at: new Date(), source: "gamma" });
 * const then = await marketMetadataAsOf(sql, "500001", new Date("2026-11-01T00:00:00Z"));
 * then?.metadata.feeRate; // "0.04"
 * ```
 */
import type { Queryable } from "./client.ts";
import { col, lastByKey } from "./_columns.ts";

/** The tracked fields. Decimals are exact strings; times are ISO strings. */
export interface MarketMetadata {
  rulesHash: string | null;
  resolutionSource: string | null;
  feesEnabled: boolean | null;
  feeType: string | null;
  feeRate: string | null;
  feeExponent: string | null;
  feeTakerOnly: boolean | null;
  feeRebateRate: string | null;
  makerBaseFee: string | null;
  takerBaseFee: string | null;
  tickSize: string | null;
  minOrderSize: string | null;
  negRisk: boolean | null;
  negRiskMarketId: string | null;
  questionId: string | null;
  /** Member index inside the neg-risk group (last byte of `questionID`). */
  questionIndex: number | null;
  negRiskOther: boolean | null;
  eventId: string | null;
  eventEnableNegRisk: boolean | null;
  eventNegRiskAugmented: boolean | null;
  groupItemTitle: string | null;
  groupItemThreshold: string | null;
  gameId: string | null;
  sportsMarketType: string | null;
  /** Signed decimal text. */
  line: string | null;
  gameStartTime: string | null;
  endDate: string | null;
  is5050Outcome: boolean | null;
}

/** JSON key (and `markets` column, where mirrored) of each tracked field. */
export const METADATA_KEYS: { readonly [K in keyof MarketMetadata]-?: string } = {
  rulesHash: "rules_hash",
  resolutionSource: "resolution_source",
  feesEnabled: "fees_enabled",
  feeType: "fee_type",
  feeRate: "fee_rate",
  feeExponent: "fee_exponent",
  feeTakerOnly: "fee_taker_only",
  feeRebateRate: "fee_rebate_rate",
  makerBaseFee: "maker_base_fee",
  takerBaseFee: "taker_base_fee",
  tickSize: "tick_size",
  minOrderSize: "min_order_size",
  negRisk: "neg_risk",
  negRiskMarketId: "neg_risk_market_id",
  questionId: "question_id",
  questionIndex: "question_index",
  negRiskOther: "neg_risk_other",
  eventId: "event_id",
  eventEnableNegRisk: "event_enable_neg_risk",
  eventNegRiskAugmented: "event_neg_risk_augmented",
  groupItemTitle: "group_item_title",
  groupItemThreshold: "group_item_threshold",
  gameId: "game_id",
  sportsMarketType: "sports_market_type",
  line: "line",
  gameStartTime: "game_start_time",
  endDate: "end_date",
  is5050Outcome: "is_50_50_outcome",
};

/** What one source said about one market: only the fields it carries. */
export interface MetadataObservation {
  marketId: string;
  fields: Partial<MarketMetadata>;
  /** The rules text behind `fields.rulesHash`, stored once per hash. */
  rules: { hash: string; text: string } | null;
}

/** One stored version of a market's metadata. */
export interface MarketMetadataVersion {
  marketId: string;
  validFrom: Date;
  source: string;
  digest: string;
  metadata: MarketMetadata;
}

/** Turns the tracked fields into their stored JSON object (absent fields are left out). */
export function toStoredJson(fields: Partial<MarketMetadata>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(METADATA_KEYS)) {
    const value = fields[key as keyof MarketMetadata];
    if (value !== undefined) out[column] = value;
  }
  return out;
}

const ALL_KEYS = Object.keys(METADATA_KEYS) as (keyof MarketMetadata)[];

/** Reads a stored JSON object back; fields never observed are null. */
export function fromStoredJson(json: Record<string, unknown>): MarketMetadata {
  return storedFields(json, ALL_KEYS);
}

/**
 * Reads only `keys` of a stored JSON object back (null when never observed), for a reader
 * that needs a few of the fields many times over (a dataset row: 7 of 28).
 */
export function storedFields<K extends keyof MarketMetadata>(
  json: Record<string, unknown>,
  keys: readonly K[],
): Pick<MarketMetadata, K> {
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = json[METADATA_KEYS[key]] ?? null;
  return out as Pick<MarketMetadata, K>;
}

/**
 * Merges each observation onto the market's metadata as of `at` and stores a history row when
 * the merged digest changed (a second source at the very same instant folds into that instant's
 * row); mirrors the merged values into `markets` when `at` is the newest state. Returns the
 * number of history rows written (0 when nothing changed).
 */
export async function recordMarketMetadata(
  sql: Queryable,
  batch: readonly MetadataObservation[],
  options: { at: Date; source: string },
): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = lastByKey(batch, (r) => r.marketId);
  let rules = lastByKey(rows.flatMap((r) => r.rules ?? []), (r) => r.hash);
  if (rules.length > 0) {
    // Rules texts run to kilobytes: send only the ones not stored yet.
    const known = await sql<{ rules_hash: string }[]>`
      select rules_hash from market_rules
      where rules_hash = any(${col(rules, (r) => r.hash)}::text[])`;
    const have = new Set(known.map((k) => k.rules_hash));
    rules = rules.filter((r) => !have.has(r.hash));
  }
  if (rules.length > 0) {
    await sql`
      insert into market_rules (rules_hash, description)
      select * from unnest(${col(rules, (r) => r.hash)}::text[],
                           ${col(rules, (r) => r.text)}::text[])
      on conflict (rules_hash) do nothing`;
  }
  const at = options.at.toISOString();
  const [result] = await sql<{ inserted: number }[]>`
    with obs as (
      select * from unnest(${col(rows, (r) => r.marketId)}::text[],
        ${
    col(rows, (r) => JSON.stringify(toStoredJson(r.fields)))
  }::jsonb[]) as o(market_id, fields)
    ), prev as (
      select distinct on (h.market_id) h.market_id, h.metadata, h.digest
      from market_metadata_history h join obs using (market_id)
      where h.valid_from <= ${at}::timestamptz
      order by h.market_id, h.valid_from desc
    ), merged as (
      select o.market_id, coalesce(p.metadata, '{}'::jsonb) || o.fields as metadata,
             p.digest as prev_digest
      from obs o left join prev p using (market_id)
    ), digested as (
      select market_id, metadata, prev_digest,
             encode(sha256(convert_to(metadata::text, 'UTF8')), 'hex') as digest
      from merged
    ), ins as (
      insert into market_metadata_history (market_id, valid_from, source, digest, metadata)
      select market_id, ${at}::timestamptz, ${options.source}, digest, metadata
      from digested where prev_digest is distinct from digest
      on conflict (market_id, valid_from) do update set
        source = case when position(excluded.source in market_metadata_history.source) > 0
                      then market_metadata_history.source
                      else market_metadata_history.source || '+' || excluded.source end,
        digest = excluded.digest, metadata = excluded.metadata
        where market_metadata_history.digest <> excluded.digest
      returning market_id
    ), upd as (
      update markets m set
        rules_hash = d.metadata->>'rules_hash',
        resolution_source = d.metadata->>'resolution_source',
        fees_enabled = (d.metadata->>'fees_enabled')::boolean,
        fee_type = d.metadata->>'fee_type',
        fee_rate = (d.metadata->>'fee_rate')::numeric,
        fee_exponent = (d.metadata->>'fee_exponent')::numeric,
        fee_taker_only = (d.metadata->>'fee_taker_only')::boolean,
        fee_rebate_rate = (d.metadata->>'fee_rebate_rate')::numeric,
        maker_base_fee = (d.metadata->>'maker_base_fee')::numeric,
        taker_base_fee = (d.metadata->>'taker_base_fee')::numeric,
        question_index = (d.metadata->>'question_index')::integer,
        neg_risk_other = (d.metadata->>'neg_risk_other')::boolean,
        group_item_threshold = d.metadata->>'group_item_threshold',
        game_id = d.metadata->>'game_id',
        sports_market_type = d.metadata->>'sports_market_type',
        line = (d.metadata->>'line')::numeric,
        game_start_time = (d.metadata->>'game_start_time')::timestamptz,
        is_50_50_outcome = (d.metadata->>'is_50_50_outcome')::boolean,
        metadata_digest = d.digest,
        metadata_valid_from = ${at}::timestamptz
      from digested d
      where m.market_id = d.market_id
        and m.metadata_digest is distinct from d.digest
        and (m.metadata_valid_from is null or m.metadata_valid_from <= ${at}::timestamptz)
      returning 1
    )
    select (select count(*) from ins)::int as inserted, (select count(*) from upd)::int as updated`;
  return result?.inserted ?? 0;
}

/** The market's metadata in force at `at` (the newest version observed at or before it). */
export async function marketMetadataAsOf(
  sql: Queryable,
  marketId: string,
  at: Date,
): Promise<MarketMetadataVersion | null> {
  const [row] = await sql<
    { valid_from: Date; source: string; digest: string; metadata: Record<string, unknown> }[]
  >`
    select valid_from, source, digest, metadata from market_metadata_history
    where market_id = ${marketId} and valid_from <= ${at.toISOString()}::timestamptz
    order by valid_from desc limit 1`;
  if (row === undefined) return null;
  return {
    marketId,
    validFrom: row.valid_from,
    source: row.source,
    digest: row.digest,
    metadata: fromStoredJson(row.metadata),
  };
}

/** Every stored version of a market, oldest first. */
export async function listMarketMetadataHistory(
  sql: Queryable,
  marketId: string,
): Promise<MarketMetadataVersion[]> {
  const rows = await sql<
    { valid_from: Date; source: string; digest: string; metadata: Record<string, unknown> }[]
  >`
    select valid_from, source, digest, metadata from market_metadata_history
    where market_id = ${marketId} order by valid_from`;
  return rows.map((r) => ({
    marketId,
    validFrom: r.valid_from,
    source: r.source,
    digest: r.digest,
    metadata: fromStoredJson(r.metadata),
  }));
}

/** Stores the events' raw neg-risk flags (`enableNegRisk`, `negRiskAugmented`). */
export async function updateEventNegRiskFlags(
  sql: Queryable,
  batch: readonly {
    eventId: string;
    enableNegRisk: boolean | null;
    negRiskAugmented: boolean | null;
  }[],
): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = lastByKey(batch, (r) => r.eventId);
  const result = await sql`
    update events e set enable_neg_risk = v.enable_neg_risk,
      neg_risk_augmented = v.neg_risk_augmented, updated_at = now()
    from unnest(${col(rows, (r) => r.eventId)}::text[],
      ${col(rows, (r) => r.enableNegRisk)}::boolean[],
      ${col(rows, (r) => r.negRiskAugmented)}::boolean[])
      as v(event_id, enable_neg_risk, neg_risk_augmented)
    where e.event_id = v.event_id
      and (e.enable_neg_risk, e.neg_risk_augmented)
        is distinct from (v.enable_neg_risk, v.neg_risk_augmented)`;
  return result.count;
}
