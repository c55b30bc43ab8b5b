/**
 * Gamma list query semantics: status, identity (repeated params) and range filters, camelCase
 * `order` fields, and a fingerprint that binds keyset cursors to the filters that made them.
 *
 * @example
 * ```ts
 * import { parseMarketQuery } from "./gamma_query.ts";
 * const q = parseMarketQuery(new URLSearchParams("closed=false&order=volumeNum"));
 * // q.ok && q.query.matches(market)
 * ```
 */
import type { SimMarket } from "./universe.ts";

/** A parsed list query. */
export interface MarketQuery {
  matches(m: SimMarket): boolean;
  /** Sort key of a market: values compared in order, ties broken by index. */
  key(m: SimMarket): number[];
  ascending: boolean;
  /** True when the order is the natural id order (no sort needed). */
  natural: boolean;
  /** Stable text of every filter (not `limit`/cursors), to bind cursors. */
  fingerprint: string;
}

const ORDER_FIELDS: Record<string, (m: SimMarket) => number> = {
  id: (m) => m.index,
  volumeNum: (m) => m.volume,
  liquidityNum: (m) => m.liquidity,
  volume24hr: (m) => m.volume / 300,
  startDate: (m) => m.createdAtMs + 60_000,
  endDate: (m) => m.endDateMs,
  createdAt: (m) => m.createdAtMs,
};

const PAGING = new Set(["limit", "offset", "after_cursor", "cursor", "next_cursor"]);

/** Parses `/markets` filters; `{ok:false, error}` for what Gamma rejects with 422. */
export function parseMarketQuery(
  params: URLSearchParams,
): { ok: true; query: MarketQuery } | { ok: false; error: string } {
  const predicates: Array<(m: SimMarket) => boolean> = [(m) => m.status !== "unlisted"];
  const bool = (name: string) => {
    const v = params.get(name);
    return v === null ? null : v === "true";
  };
  const closed = bool("closed");
  if (closed !== null) predicates.push((m) => (m.status === "closed") === closed);
  const active = bool("active");
  if (active === false) predicates.push(() => false);
  if (bool("archived") === true) predicates.push(() => false);
  const ids = new Set(params.getAll("id"));
  if (ids.size > 0) predicates.push((m) => ids.has(m.id));
  const tokens = new Set(params.getAll("clob_token_ids"));
  if (tokens.size > 0) {
    predicates.push((m) => tokens.has(m.tokenIds[0]) || tokens.has(m.tokenIds[1]));
  }
  const conditions = new Set(params.getAll("condition_ids"));
  if (conditions.size > 0) predicates.push((m) => conditions.has(m.conditionId));
  const slugs = new Set(params.getAll("slug"));
  if (slugs.size > 0) predicates.push((m) => slugs.has(m.slug));
  const tag = params.get("tag_id");
  if (tag !== null) predicates.push((m) => m.tagId === tag);
  for (
    const [name, get] of [["volume_num", (m: SimMarket) => m.volume], [
      "liquidity_num",
      (m: SimMarket) => m.liquidity,
    ]] as const
  ) {
    const min = params.get(`${name}_min`);
    const max = params.get(`${name}_max`);
    if (min !== null) predicates.push((m) => get(m) >= Number(min));
    if (max !== null) predicates.push((m) => get(m) <= Number(max));
  }
  const decimalized = bool("decimalized");
  if (decimalized !== null) predicates.push((m) => (m.tickUnits === 10) === decimalized);
  const order = (params.get("order") ?? "id").split(",").filter((s) => s !== "");
  for (const field of order) {
    if (!(field in ORDER_FIELDS)) return { ok: false, error: `invalid order field: ${field}` };
  }
  const ascending = bool("ascending") ?? params.get("order") === null;
  const getters = order.map((f) => ORDER_FIELDS[f]);
  const fingerprint = [...params.entries()].filter(([k]) => !PAGING.has(k))
    .map(([k, v]) => `${k}=${v}`).sort().join("&");
  return {
    ok: true,
    query: {
      matches: (m) => predicates.every((p) => p(m)),
      key: (m) => [...getters.map((g) => g(m)), m.index],
      ascending,
      natural: order.length === 1 && order[0] === "id" && ascending,
      fingerprint,
    },
  };
}

/** Filters and sorts markets for a query. */
export function selectMarkets(markets: readonly SimMarket[], q: MarketQuery): SimMarket[] {
  const rows = markets.filter(q.matches);
  if (q.natural) return rows;
  const keyed = rows.map((m) => ({ m, k: q.key(m) }));
  keyed.sort((a, b) => compareKeys(a.k, b.k) * (q.ascending ? 1 : -1));
  return keyed.map((x) => x.m);
}

/** Lexicographic comparison of sort keys. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}
