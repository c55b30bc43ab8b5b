/**
 * Gamma routes: `/markets/keyset`, `/events/keyset`, the legacy capped list routes and the
 * by-id routes. Keyset cursors are opaque, bound to the filters, and empty on the last page.
 *
 * @example
 * ```ts
 * import { handleGamma } from "./gamma_routes.ts";
 * // const res = handleGamma(world, faults, new URL("http://x/markets/keyset?limit=100"));
 * ```
 */
import { corruptOne, gammaValidationError, jsonResponse } from "./_http.ts";
import { gammaEvent, gammaMarket } from "./gamma_market.ts";
import { compareKeys, type MarketQuery, parseMarketQuery, selectMarkets } from "./gamma_query.ts";
import type { SimEvent } from "./universe.ts";
import type { World } from "./world.ts";

/** Decides whether the next list page carries a malformed element. */
export interface PageFaults {
  takeMalformedPage(): boolean;
}

/** Legacy list routes: silent row cap, deepest offset, and the error past it. */
export const LEGACY_CAP = 100;
export const LEGACY_MAX_OFFSET = 2000;
export const OFFSET_ERROR = "offset too large, use /markets/keyset for deeper pagination";

/** Serves a Gamma request, or returns null when the path is not a Gamma route. */
export function handleGamma(world: World, faults: PageFaults, url: URL): Response | null {
  const path = url.pathname;
  const params = url.searchParams;
  const page = <T>(items: T[]) => (faults.takeMalformedPage() ? corruptOne(items) : items);
  if (path === "/markets/keyset" || path === "/events/keyset") {
    if (params.has("offset")) {
      return gammaValidationError("offset is not supported on keyset routes");
    }
    const events = path === "/events/keyset";
    const parsed = parseMarketQuery(params);
    if (!parsed.ok) return gammaValidationError(parsed.error);
    const limit = clampLimit(params.get("limit"), 20, events ? 100 : 1000);
    const result = events
      ? keysetEvents(world, parsed.query, limit, params.get("after_cursor"))
      : keysetMarkets(world, parsed.query, limit, params.get("after_cursor"));
    if (result === null) return gammaValidationError("invalid cursor for these filters");
    const items = page(result.items);
    return jsonResponse(
      events
        ? { events: items, next_cursor: result.next }
        : { markets: items, next_cursor: result.next },
    );
  }
  if (path === "/markets" || path === "/events") {
    const offset = Number(params.get("offset") ?? "0");
    if (offset > LEGACY_MAX_OFFSET) return gammaValidationError(OFFSET_ERROR);
    const parsed = parseMarketQuery(params);
    if (!parsed.ok) return gammaValidationError(parsed.error);
    const limit = clampLimit(params.get("limit"), 20, LEGACY_CAP);
    if (path === "/events") {
      const events = selectEvents(world, parsed.query).slice(offset, offset + limit);
      const withMarkets = params.get("include_markets") !== "false";
      return jsonResponse(page(events.map((e) => gammaEvent(world, e, withMarkets))));
    }
    const rows = selectMarkets(world.universe.markets, parsed.query).slice(offset, offset + limit);
    return jsonResponse(page(rows.map((m) => gammaMarket(world, m))));
  }
  const byId = /^\/(markets|events)\/(\d+)$/.exec(path);
  if (byId !== null) {
    if (byId[1] === "markets") {
      const m = world.universe.byId.get(byId[2]);
      if (m === undefined || m.status === "unlisted") {
        return jsonResponse({ error: "market not found" }, 404);
      }
      return jsonResponse(gammaMarket(world, m));
    }
    const e = world.universe.events[Number(byId[2]) - 40_000];
    if (e === undefined || selectEvents(world, null).indexOf(e) < 0) {
      return jsonResponse({ error: "event not found" }, 404);
    }
    return jsonResponse(gammaEvent(world, e));
  }
  return null;
}

/** A page size from `limit`: `fallback` when absent or bad, at most `max`. */
export function clampLimit(text: string | null, fallback: number, max: number): number {
  const n = text === null ? fallback : Math.floor(Number(text));
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
}

interface KeysetPage<T> {
  items: T[];
  next: string;
}

/** An opaque keyset cursor for sort key `key`, bound to the query's filters. */
export function encodeCursor(key: readonly number[], fingerprint: string): string {
  return btoa(JSON.stringify({ k: key, f: fingerprint })).replace(/=+$/, "");
}

/** The sort key inside a cursor, or null when it is not one of these filters'. */
export function decodeCursor(cursor: string, fingerprint: string): number[] | null {
  try {
    const value: unknown = JSON.parse(atob(cursor));
    if (typeof value !== "object" || value === null) return null;
    const { k, f } = value as { k?: unknown; f?: unknown };
    if (f !== fingerprint || !Array.isArray(k) || !k.every((x) => typeof x === "number")) {
      return null;
    }
    return k;
  } catch {
    return null;
  }
}

function keysetMarkets(world: World, q: MarketQuery, limit: number, cursor: string | null) {
  const rows = selectMarkets(world.universe.markets, q);
  return keysetSlice(rows, (m) => q.key(m), q, limit, cursor, (m) => gammaMarket(world, m));
}

function keysetEvents(world: World, q: MarketQuery, limit: number, cursor: string | null) {
  const rows = selectEvents(world, q);
  return keysetSlice(rows, (e) => [e.index], q, limit, cursor, (e) => gammaEvent(world, e));
}

function keysetSlice<T>(
  rows: T[],
  key: (row: T) => number[],
  q: MarketQuery,
  limit: number,
  cursor: string | null,
  render: (row: T) => Record<string, unknown>,
): KeysetPage<Record<string, unknown>> | null {
  let start = 0;
  if (cursor !== null && cursor !== "") {
    const after = decodeCursor(cursor, q.fingerprint);
    if (after === null) return null;
    const dir = q.ascending ? 1 : -1;
    start = rows.findIndex((r) => compareKeys(key(r), after) * dir > 0);
    if (start < 0) start = rows.length;
  }
  const slice = rows.slice(start, start + limit);
  const last = slice.at(-1);
  const more = start + limit < rows.length && last !== undefined;
  return { items: slice.map(render), next: more ? encodeCursor(key(last), q.fingerprint) : "" };
}

/** Events with at least one listed member, filtered by `closed`/`id` when a query is given. */
export function selectEvents(world: World, q: MarketQuery | null): SimEvent[] {
  const markets = world.universe.markets;
  // The query's filters, read once per request (not once per event).
  const fp = q === null ? null : new URLSearchParams(q.fingerprint);
  const closedWanted = fp?.has("closed") ? fp.get("closed") === "true" : null;
  const ids = new Set(fp?.getAll("id") ?? []);
  return world.universe.events.filter((e) => {
    if (ids.size > 0 && !ids.has(e.id)) return false;
    const members = e.marketIndexes.map((i) => markets[i]).filter((m) => m.status !== "unlisted");
    if (members.length === 0) return false;
    if (closedWanted === null) return true;
    return members.every((m) => m.status === "closed") === closedWanted;
  });
}
