/**
 * CLOB public REST routes: books (GET single, POST plural, plural GET rejected), quotes as
 * decimal strings, market pages with the `MA==` … `LTE=` cursor, and the small lookups the
 * official client needs (tick size, neg risk, fee rate, time, version).
 *
 * @example
 * ```ts
 * import { handleClob } from "./clob_routes.ts";
 * // const res = await handleClob(world, faults, req, url);
 * ```
 */
import { corruptOne, jsonResponse, readJson } from "./_http.ts";
import { clobMarket, clobMarketCompact } from "./clob_market.ts";
import type { PageFaults } from "./gamma_routes.ts";
import { handlePricesHistory } from "./prices_history.ts";
import { formatPrice, formatScaled, PRICE_SCALE, type TokenRef } from "./universe.ts";
import type { World } from "./world.ts";
import { restBook } from "./ws_messages.ts";

const NO_BOOK = { error: "No orderbook exists for the requested token id" };
const INVALID = { error: "Invalid payload" };
const PAGE_SIZE = 1000;
const END_CURSOR = "LTE=";
const PLURAL_GET = new Set(["/books", "/prices", "/midpoints", "/spreads", "/last-trades-prices"]);

/** Serves a CLOB request, or returns null when the path is not a CLOB route. */
export async function handleClob(
  world: World,
  faults: PageFaults,
  req: Request,
  url: URL,
): Promise<Response | null> {
  const path = url.pathname;
  const p = url.searchParams;
  const openToken = (id: string | null): TokenRef | null => {
    const ref = id === null ? undefined : world.universe.byToken.get(id);
    return ref !== undefined && ref.market.status === "open" ? ref : null;
  };
  if (req.method === "GET" && PLURAL_GET.has(path)) return jsonResponse(INVALID, 400);
  if (req.method === "POST" && PLURAL_GET.has(path)) {
    const body = await readJson(req);
    if (!Array.isArray(body)) return jsonResponse(INVALID, 400);
    const items = body.filter((x): x is { token_id: string; side?: string } =>
      typeof x === "object" && x !== null &&
      typeof (x as { token_id?: unknown }).token_id === "string"
    );
    return jsonResponse(plural(world, path, items, openToken));
  }
  switch (path) {
    case "/ok":
      return jsonResponse("OK");
    case "/time":
      return jsonResponse(Math.floor(Date.now() / 1000));
    case "/version":
      return jsonResponse({ version: 2 });
    case "/prices-history":
      return handlePricesHistory(world, p);
    case "/book": {
      const ref = openToken(p.get("token_id"));
      if (p.get("token_id") === null) return jsonResponse(INVALID, 400);
      if (ref === null) return jsonResponse(NO_BOOK, 404);
      return jsonResponse(restBook(ref.market, world.book(ref.market), ref.outcomeIndex));
    }
    case "/markets":
    case "/sampling-markets":
      return marketsPage(world, faults, p.get("next_cursor") ?? "MA==");
  }
  const single = /^\/(price|midpoint|spread|last-trade-price|tick-size|neg-risk|fee-rate)$/.exec(
    path,
  );
  if (single !== null) {
    const tokenId = p.get("token_id");
    if (tokenId === null) return jsonResponse(INVALID, 400);
    const ref = world.universe.byToken.get(tokenId);
    if (ref === undefined || ref.market.status === "unlisted") return jsonResponse(NO_BOOK, 404);
    const m = ref.market;
    if (single[1] === "tick-size") {
      return jsonResponse({ minimum_tick_size: m.tickUnits / PRICE_SCALE });
    }
    if (single[1] === "neg-risk") return jsonResponse({ neg_risk: m.negRiskMarketId !== "" });
    if (single[1] === "fee-rate") return jsonResponse({ base_fee: m.feesEnabled ? 1000 : 0 });
    if (openToken(tokenId) === null) return jsonResponse(NO_BOOK, 404);
    const q = quote(world, ref);
    if (single[1] === "price") {
      const side = p.get("side");
      if (side !== "BUY" && side !== "SELL") return jsonResponse({ error: "Invalid side" }, 400);
      return jsonResponse({ price: side === "BUY" ? q.bid : q.ask });
    }
    if (single[1] === "midpoint") return jsonResponse({ mid: q.mid });
    if (single[1] === "spread") return jsonResponse({ spread: q.spread });
    return jsonResponse({ price: q.last === "" ? "0.5" : q.last, side: "BUY" });
  }
  const byCondition = /^\/(markets|clob-markets)\/(0x[0-9a-fA-F]{64})$/.exec(path);
  if (byCondition !== null) {
    const m = world.universe.byCondition.get(byCondition[2].toLowerCase());
    if (m === undefined || m.status === "unlisted") {
      return jsonResponse({ error: "market not found" }, 404);
    }
    return jsonResponse(
      byCondition[1] === "markets" ? clobMarket(world, m) : clobMarketCompact(m, world.now()),
    );
  }
  return null;
}

function quote(world: World, ref: TokenRef) {
  const book = world.book(ref.market);
  const view = book.quote(ref.outcomeIndex);
  const bid = Math.round(Number(view.bestBid) * PRICE_SCALE);
  const ask = Math.round(Number(view.bestAsk) * PRICE_SCALE);
  return {
    bid: view.bestBid,
    ask: view.bestAsk,
    mid: formatScaled((bid + ask) * 5, 5),
    spread: formatPrice(ask - bid),
    last: book.lastTrade(ref.outcomeIndex),
  };
}

function plural(
  world: World,
  path: string,
  items: Array<{ token_id: string; side?: string }>,
  openToken: (id: string) => TokenRef | null,
): unknown {
  const known = items.flatMap((i) => {
    const ref = openToken(i.token_id);
    return ref === null ? [] : [{ ...i, ref }];
  });
  if (path === "/books") {
    return known.map((k) => restBook(k.ref.market, world.book(k.ref.market), k.ref.outcomeIndex));
  }
  if (path === "/last-trades-prices") {
    return known.map((k) => ({
      token_id: k.token_id,
      price: quote(world, k.ref).last,
      side: "BUY",
    }));
  }
  const out: Record<string, unknown> = {};
  for (const k of known) {
    const q = quote(world, k.ref);
    if (path === "/midpoints") out[k.token_id] = q.mid;
    else if (path === "/spreads") out[k.token_id] = q.spread;
    else if (k.side === "BUY") out[k.token_id] = { ...(out[k.token_id] as object), BUY: q.bid };
    else out[k.token_id] = { ...(out[k.token_id] as object), SELL: q.ask };
  }
  return out;
}

function marketsPage(world: World, faults: PageFaults, cursor: string): Response {
  if (cursor === END_CURSOR) return jsonResponse({ error: "invalid next_cursor" }, 400);
  let offset: number;
  try {
    offset = Number(atob(cursor));
  } catch {
    offset = NaN;
  }
  if (!Number.isInteger(offset) || offset < 0) {
    return jsonResponse({ error: "invalid next_cursor" }, 400);
  }
  const listed = world.universe.markets.filter((m) => m.status !== "unlisted");
  const rows = listed.slice(offset, offset + PAGE_SIZE).map((m) => clobMarket(world, m));
  const end = offset + PAGE_SIZE >= listed.length;
  return jsonResponse({
    data: faults.takeMalformedPage() ? corruptOne(rows) : rows,
    next_cursor: end ? END_CURSOR : btoa(String(offset + PAGE_SIZE)),
    limit: PAGE_SIZE,
    count: rows.length,
  });
}
