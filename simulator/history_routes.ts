/**
 * Routes that serve the closed history (`history.ts`) beside the live universe:
 *
 * - Gamma `/markets`, `/markets/keyset`, `/events`, `/events/keyset` with `closed=true` (or no
 *   `closed` filter): live and history rows merged in id order (history market ids are below
 *   the live ones, history event ids above), ascending or `ascending=false`, computed lazily
 *   page by page; any other
 *   `order` sorts the whole history once per page (O(N) metadata, no paths). Filters: `id`,
 *   `slug`, `condition_ids`, `clob_token_ids`, `tag_id`, `volume_num_*`, `liquidity_num_*`,
 *   `decimalized`, `start_date_*`, `end_date_*`, `active=false`/`archived=true` (nothing).
 * - Gamma `/markets/{id}`, `/events/{id}` for history ids; CLOB `/markets/{condition_id}` with
 *   `tokens[].winner`.
 * - CLOB `/prices-history` for history tokens: the quoted series, thinned to one point per
 *   fidelity bucket (the last), never finer than a coarse market's 12 h, empty for a market
 *   the venue "no longer serves"; no "now" point (the market is closed).
 * - `GET /_test/hidden?market=<id | condition id | token id>`: NOT a venue route. The hidden
 *   probability path and the quotes, for tests and model benchmarks.
 *
 * @example
 * ```ts
 * import { handleHistory } from "./history_routes.ts";
 * // handleHistory(history, world, new URL("http://x/markets/keyset?closed=true")) ?? live
 * ```
 */
import { gammaValidationError, jsonResponse } from "./_http.ts";
import { gammaEvent, gammaMarket } from "./gamma_market.ts";
import { compareKeys, parseMarketQuery, selectMarkets } from "./gamma_query.ts";
import {
  clampLimit,
  decodeCursor,
  encodeCursor,
  LEGACY_CAP,
  LEGACY_MAX_OFFSET,
  OFFSET_ERROR,
  selectEvents,
} from "./gamma_routes.ts";
import { type ClosedHistory, COARSE_FIDELITY_MINUTES, type HistoryMarket } from "./history.ts";
import type { RouteFamily } from "./faults.ts";
import { historyClobMarket, historyGammaEvent, historyGammaMarket } from "./history_gamma.ts";
import { MAX_POINTS, parsePriceHistoryQuery } from "./prices_history.ts";
import type { World } from "./world.ts";

/** Path of the test-only route for the hidden path (not a venue route). */
export const HIDDEN_ROUTE = "/_test/hidden";

/**
 * History market sort keys are index − SPAN: below every live key (a live index ≥ 0), as the
 * history's ids are below the live ids. History events sort after the live ones (their ids are
 * above): key EVENT_KEY_BASE + index.
 */
const SPAN = 1_000_000;
const EVENT_KEY_BASE = 1_000_000;

interface Row {
  key: number[];
  render(): Record<string, unknown>;
}

/** Serves a request the history answers; null to let the live routes answer it. */
export function handleHistory(
  history: ClosedHistory,
  request: { readonly world: World; readonly url: URL; readonly family: RouteFamily },
): Response | null {
  const { world, url, family } = request;
  const path = url.pathname;
  const params = url.searchParams;
  if (path === HIDDEN_ROUTE) return hidden(history, params);
  if (family === "clob" && path === "/prices-history") return pricesHistory(history, params);
  const byCondition = /^\/markets\/(0x[0-9a-fA-F]{64})$/.exec(path);
  if (family === "clob" && byCondition !== null) {
    const index = history.indexOfCondition(byCondition[1]);
    return index === null ? null : jsonResponse(historyClobMarket(history.market(index)));
  }
  if (family !== "gamma") return null;
  const byId = /^\/(markets|events)\/(\d+)$/.exec(path);
  if (byId !== null) {
    if (byId[1] === "markets") {
      const index = history.indexOfId(byId[2]);
      return index === null
        ? null
        : jsonResponse(historyGammaMarket(history, history.market(index)));
    }
    const index = history.eventIndexOfId(byId[2]);
    return index === null
      ? null
      : jsonResponse(historyGammaEvent(history, history.eventAt(index)!));
  }
  const list = /^\/(markets|events)(\/keyset)?$/.exec(path);
  if (list === null || params.get("closed") === "false") return null;
  const events = list[1] === "events";
  const parsed = parseMarketQuery(params);
  if (!parsed.ok) return gammaValidationError(parsed.error);
  const fingerprint = parsed.query.fingerprint;
  if (list[2] === undefined) {
    const offset = Number(params.get("offset") ?? "0");
    if (offset > LEGACY_MAX_OFFSET) return gammaValidationError(OFFSET_ERROR);
    const limit = clampLimit(params.get("limit"), 20, LEGACY_CAP);
    const rows = events
      ? eventRows(history, world, params, null)
      : marketRows(history, world, params, null);
    return jsonResponse(take(rows, offset + limit).slice(offset).map((r) => r.render()));
  }
  if (params.has("offset")) return gammaValidationError("offset is not supported on keyset routes");
  const limit = clampLimit(params.get("limit"), 20, events ? 100 : 1000);
  const cursor = params.get("after_cursor");
  let after: number[] | null = null;
  if (cursor !== null && cursor !== "") {
    after = decodeCursor(cursor, fingerprint);
    if (after === null) return gammaValidationError("invalid cursor for these filters");
  }
  const rows = events
    ? eventRows(history, world, params, after)
    : marketRows(history, world, params, after);
  const page = take(rows, limit + 1);
  const items = page.slice(0, limit).map((r) => r.render());
  const next = page.length > limit ? encodeCursor(page[limit - 1].key, fingerprint) : "";
  return jsonResponse(
    events ? { events: items, next_cursor: next } : { markets: items, next_cursor: next },
  );
}

function take(rows: Iterable<Row>, n: number): Row[] {
  const out: Row[] = [];
  if (n <= 0) return out;
  for (const row of rows) {
    out.push(row);
    if (out.length >= n) break;
  }
  return out;
}

const ORDER: Record<string, (m: HistoryMarket) => number> = {
  id: (m) => m.index - SPAN,
  volumeNum: (m) => m.volume,
  liquidityNum: () => 0,
  volume24hr: () => 0,
  startDate: (m) => m.startMs,
  endDate: (m) => m.endMs,
  createdAt: (m) => m.startMs - 3_600_000,
};

/** Markets in list order after `after`: live rows and history rows merged by key. */
function* marketRows(
  history: ClosedHistory,
  world: World,
  params: URLSearchParams,
  after: number[] | null,
): Generator<Row> {
  const parsed = parseMarketQuery(params);
  if (!parsed.ok) return;
  const q = parsed.query;
  const dir = q.ascending ? 1 : -1;
  const isAfter = (key: number[]) => after === null || compareKeys(key, after) * dir > 0;
  const live: Row[] = selectMarkets(world.universe.markets, q)
    .map((m) => ({ key: q.key(m), render: () => gammaMarket(world, m) }));
  const order = (params.get("order") ?? "id").split(",").filter((s) => s !== "");
  const keep = historyFilter(history, params);
  const keyOf = (m: HistoryMarket) => [...order.map((f) => ORDER[f](m)), m.index - SPAN];
  const row = (m: HistoryMarket): Row => ({
    key: keyOf(m),
    render: () => historyGammaMarket(history, m),
  });
  if (order.length === 1 && order[0] === "id") {
    // Ascending: the history (lower ids), then the live rows; descending the other way round.
    const inHistory = after !== null && after[0] < 0;
    const liveAfter = live.filter((r) => isAfter(r.key));
    const historyRows = function* () {
      const from = !inHistory ? (q.ascending ? 0 : history.count - 1) : after![0] + SPAN + dir;
      for (const i of keep.indexes(from, dir)) yield row(history.market(i));
    };
    if (q.ascending) {
      if (after === null || inHistory) yield* historyRows();
      yield* liveAfter;
    } else {
      yield* liveAfter;
      yield* historyRows();
    }
    return;
  }
  const all = [...live];
  for (const i of keep.indexes(0, 1)) all.push(row(history.market(i)));
  all.sort((a, b) => compareKeys(a.key, b.key) * dir);
  for (const r of all) if (isAfter(r.key)) yield r;
}

/** Events in id order (the live routes' only order) after `after`. */
function* eventRows(
  history: ClosedHistory,
  world: World,
  params: URLSearchParams,
  after: number[] | null,
): Generator<Row> {
  const parsed = parseMarketQuery(params);
  if (!parsed.ok) return;
  const withMarkets = params.get("include_markets") !== "false";
  const isAfter = (key: number[]) => after === null || compareKeys(key, after) > 0;
  for (const e of selectEvents(world, parsed.query)) {
    const key = [e.index];
    if (isAfter(key)) yield { key, render: () => gammaEvent(world, e, withMarkets) };
  }
  if (params.get("active") === "false" || params.get("archived") === "true") return;
  const ids = params.getAll("id");
  const wanted = ids.length === 0
    ? null
    : new Set(ids.flatMap((id) => history.eventIndexOfId(id) ?? []));
  const from = after === null || after[0] < EVENT_KEY_BASE ? 0 : after[0] - EVENT_KEY_BASE + 1;
  for (let i = from; i < history.count; i++) {
    if (wanted !== null && !wanted.has(i)) continue;
    const e = history.eventAt(i);
    if (e === null) continue;
    yield { key: [EVENT_KEY_BASE + i], render: () => historyGammaEvent(history, e, withMarkets) };
  }
}

/** The history indexes a query's filters keep, iterated lazily from `from` in `dir`. */
function historyFilter(history: ClosedHistory, params: URLSearchParams) {
  const none = params.get("active") === "false" || params.get("archived") === "true";
  let candidates: Set<number> | null = null;
  const narrow = (found: Array<number | null>) => {
    const set = new Set(found.filter((i): i is number => i !== null));
    candidates = candidates === null ? set : new Set([...candidates].filter((i) => set.has(i)));
  };
  const ids = params.getAll("id");
  if (ids.length > 0) narrow(ids.map((id) => history.indexOfId(id)));
  const slugs = params.getAll("slug");
  if (slugs.length > 0) {
    narrow(
      slugs.map((s) => /^sim-closed-(\d+)$/.exec(s)?.[1] ?? "").map((id) => history.indexOfId(id)),
    );
  }
  const conditions = params.getAll("condition_ids");
  if (conditions.length > 0) narrow(conditions.map((c) => history.indexOfCondition(c)));
  const tokens = params.getAll("clob_token_ids");
  if (tokens.length > 0) narrow(tokens.map((t) => history.token(t)?.index ?? null));
  const checks: Array<(m: HistoryMarket) => boolean> = [];
  const tag = params.get("tag_id");
  if (tag !== null) checks.push((m) => m.tagId === tag);
  const range = (name: string, get: (m: HistoryMarket) => number, parse: (s: string) => number) => {
    const min = params.get(`${name}_min`);
    const max = params.get(`${name}_max`);
    if (min !== null) checks.push((m) => get(m) >= parse(min));
    if (max !== null) checks.push((m) => get(m) <= parse(max));
  };
  range("volume_num", (m) => m.volume, Number);
  range("liquidity_num", () => 0, Number);
  range("start_date", (m) => m.startMs, Date.parse);
  range("end_date", (m) => m.endMs, Date.parse);
  const decimalized = params.get("decimalized");
  if (decimalized !== null) checks.push((m) => (m.tickUnits === 10) === (decimalized === "true"));
  const chosen = candidates as Set<number> | null;
  return {
    *indexes(from: number, dir: 1 | -1): Generator<number> {
      if (none) return;
      const list = chosen === null ? null : [...chosen].sort((a, b) => (a - b) * dir);
      if (list !== null) {
        for (const i of list) {
          if ((i - from) * dir >= 0 && checks.every((c) => c(history.market(i)))) yield i;
        }
        return;
      }
      for (let i = from; i >= 0 && i < history.count; i += dir) {
        if (checks.length === 0 || checks.every((c) => c(history.market(i)))) yield i;
      }
    },
  };
}

function pricesHistory(history: ClosedHistory, params: URLSearchParams): Response | null {
  const token = params.get("market");
  const ref = token === null ? null : history.token(token);
  if (ref === null) return null;
  const query = parsePriceHistoryQuery(params, Math.floor(Date.now() / 1000));
  if (query instanceof Response) return query;
  const m = history.market(ref.index);
  if (m.served === "none") return jsonResponse({ history: [] });
  const fidelity = m.served === "coarse"
    ? Math.max(query.fidelity, COARSE_FIDELITY_MINUTES)
    : query.fidelity;
  const bucket = fidelity * 60;
  const series = history.series(ref.index);
  const points = new Map<number, { t: number; p: number }>();
  for (let i = 0; i < series.timesMs.length; i++) {
    const t = Math.floor(series.timesMs[i] / 1000);
    if (t < query.from || t > query.to) continue;
    const units = ref.outcome === 0 ? series.quoteUnits[i] : 10_000 - series.quoteUnits[i];
    points.set(Math.floor(t / bucket), { t, p: units / 10_000 });
  }
  return jsonResponse({ history: [...points.values()].slice(-MAX_POINTS) });
}

function hidden(history: ClosedHistory, params: URLSearchParams): Response {
  const key = params.get("market") ?? "";
  const index = history.indexOfId(key) ?? history.indexOfCondition(key) ??
    history.token(key)?.index ?? null;
  if (index === null) {
    return jsonResponse({ error: `no closed history market ${JSON.stringify(key)}` }, 404);
  }
  const m = history.market(index);
  const s = history.series(index);
  return jsonResponse({
    note: "test-only route of the simulator, not a venue route",
    market: m.id,
    conditionId: m.conditionId,
    eventId: m.eventId,
    domain: m.domain,
    yesWon: m.yesWon,
    stepMinutes: m.stepMinutes,
    lagSteps: m.lagSteps,
    tickSize: m.tickUnits / 10_000,
    liquidity: m.liquidity,
    served: m.served,
    points: Array.from(s.timesMs, (t, i) => ({
      t: Math.floor(t / 1000),
      p: s.hidden[i],
      q: s.quoteUnits[i] / 10_000,
    })),
  });
}
