/**
 * The `models` table (migration 0015): one row per fitted model version, with its training
 * window, horizons, features, parameters, metrics and a content hash. Storing the same fit
 * twice (equal hash) returns the version already stored.
 *
 * @example
 * ```ts ignore
 * import { insertModel, latestModel } from "./store.ts";
 * const stored = await insertModel(sql, { method: "beta", trainFrom, trainUntil, horizons: ["24h"],
 *   features: [], params: {}, metrics: {} });
 * const newest = await latestModel(sql);
 * ```
 */
import { createHash } from "node:crypto";
import type { Queryable } from "../db/client.ts";

/** A model to store. `params` and `metrics` must be plain JSON. */
export interface ModelRecord {
  readonly method: string;
  readonly trainFrom: Date;
  readonly trainUntil: Date;
  readonly horizons: readonly string[];
  readonly features: readonly string[];
  readonly params: unknown;
  readonly metrics: unknown;
}

export interface StoredModel extends ModelRecord {
  readonly version: number;
  readonly createdAt: Date;
  readonly hash: string;
}

/** SHA-256 (hex) of the canonical JSON of everything but the metrics. */
export function modelHash(model: ModelRecord): string {
  const content = canonical({
    method: model.method,
    trainFrom: model.trainFrom.toISOString(),
    trainUntil: model.trainUntil.toISOString(),
    horizons: model.horizons,
    features: model.features,
    params: model.params,
  });
  return createHash("sha256").update(content).digest("hex");
}

/** Stores `model`, or returns the stored version with the same hash. */
export async function insertModel(sql: Queryable, model: ModelRecord): Promise<StoredModel> {
  const hash = modelHash(model);
  await sql`
    insert into models (method, train_from, train_until, horizons, features, params, metrics, hash)
    values (${model.method}, ${model.trainFrom.toISOString()}::timestamptz,
      ${model.trainUntil.toISOString()}::timestamptz,
      array(select jsonb_array_elements_text(${JSON.stringify(model.horizons)}::text::jsonb)),
      array(select jsonb_array_elements_text(${JSON.stringify(model.features)}::text::jsonb)),
      ${JSON.stringify(model.params)}::text::jsonb, ${
    JSON.stringify(model.metrics)
  }::text::jsonb, ${hash})
    on conflict (hash) do nothing`;
  const [row] = await sql`${select(sql)} where hash = ${hash}`.values();
  return parseRow(row);
}

/** The newest stored version (of `method` when given), or undefined when none is stored. */
export async function latestModel(
  sql: Queryable,
  options: { readonly method?: string } = {},
): Promise<StoredModel | undefined> {
  const rows = options.method === undefined
    ? await sql`${select(sql)} order by version desc limit 1`.values()
    : await sql`${select(sql)} where method = ${options.method} order by version desc limit 1`
      .values();
  return rows.length === 0 ? undefined : parseRow(rows[0]);
}

/** One stored version, or undefined. */
export async function getModel(sql: Queryable, version: number): Promise<StoredModel | undefined> {
  const rows = await sql`${select(sql)} where version = ${version}`.values();
  return rows.length === 0 ? undefined : parseRow(rows[0]);
}

function select(sql: Queryable) {
  return sql`select version::text, created_at, method, train_from, train_until,
    array_to_json(horizons)::text, array_to_json(features)::text, params::text, metrics::text,
    hash from models`;
}

function parseRow(row: readonly unknown[]): StoredModel {
  const [
    version,
    createdAt,
    method,
    trainFrom,
    trainUntil,
    horizons,
    features,
    params,
    metrics,
    hash,
  ] = row;
  return {
    version: Number(version),
    createdAt: new Date(createdAt as string | Date),
    method: String(method),
    trainFrom: new Date(trainFrom as string | Date),
    trainUntil: new Date(trainUntil as string | Date),
    horizons: JSON.parse(String(horizons)),
    features: JSON.parse(String(features)),
    params: JSON.parse(String(params)),
    metrics: JSON.parse(String(metrics)),
    hash: String(hash),
  };
}

/** JSON with object keys sorted at every depth, so equal content hashes equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
