/**
 * Data API trade routes over the emitted trades: v1 `GET /trades` (bare array, limit/offset
 * caps) and v2 `GET /v2/trades` (cursor-only envelope, snake_case, `offset` rejected).
 *
 * @example
 * ```ts
 * import { handleData } from "./data_routes.ts";
 * // handleData(world, faults, new URL("http://x/trades?market=0xabc..."))
 * ```
 */
import { corruptOne, jsonResponse } from "./_http.ts";
import { counterHex } from "./_random.ts";
import type { PageFaults } from "./gamma_routes.ts";
import type { SimTrade } from "./trade_log.ts";
import type { World } from "./world.ts";

const MAX_LIMIT = 10_000;
const MAX_OFFSET = 10_000;
const V2_MAX_LIMIT = 1000;

/** Serves a Data API request, or returns null when the path is not a Data API route. */
export function handleData(world: World, faults: PageFaults, url: URL): Response | null {
  const p = url.searchParams;
  if (url.pathname !== "/trades" && url.pathname !== "/v2/trades") return null;
  const v2 = url.pathname === "/v2/trades";
  const conditions = p.getAll(v2 ? "condition" : "market").flatMap((s) => s.split(","))
    .filter((s) => s !== "").map((s) => s.toLowerCase());
  const side = p.get("side");
  let rows = selectTrades(world, conditions);
  if (side === "BUY" || side === "SELL") rows = rows.filter((t) => t.side === side);
  const page = <T>(items: T[]) => (faults.takeMalformedPage() ? corruptOne(items) : items);
  if (!v2) {
    const limit = Math.min(Number(p.get("limit") ?? "100"), MAX_LIMIT);
    const offset = Number(p.get("offset") ?? "0");
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
      return jsonResponse(
        { error: `max historical activity offset of ${MAX_OFFSET} exceeded` },
        400,
      );
    }
    return jsonResponse(page(rows.slice(offset, offset + limit).map((t) => v1Trade(world, t))));
  }
  if (p.has("offset")) return v2Error("offset is not supported, use cursor", "INVALID_PARAMETER");
  const limit = Math.max(1, Math.min(Number(p.get("limit") ?? "100") || 100, V2_MAX_LIMIT));
  const fingerprint = conditions.join(",") + "|" + (side ?? "");
  let start = 0;
  const cursor = p.get("cursor");
  if (cursor !== null && cursor !== "") {
    const seq = decodeCursor(cursor, fingerprint);
    if (seq === null) return v2Error("invalid cursor", "INVALID_CURSOR");
    start = rows.findIndex((t) => t.seq < seq);
    if (start < 0) start = rows.length;
  }
  const slice = rows.slice(start, start + limit);
  const hasMore = start + limit < rows.length;
  const last = slice.at(-1);
  return jsonResponse({
    data: page(slice.map((t) => v2Trade(world, t))),
    pagination: {
      limit,
      offset: 0,
      has_more: hasMore,
      next_cursor: hasMore && last !== undefined ? encodeCursor(last.seq, fingerprint) : null,
    },
  });
}

function selectTrades(world: World, conditions: string[]): SimTrade[] {
  if (conditions.length === 0) return world.trades.all();
  const tokens = conditions.flatMap((c) => world.universe.byCondition.get(c)?.tokenIds ?? []);
  return world.trades.newestFirst(tokens);
}

function v2Error(error: string, code: string): Response {
  return jsonResponse({ error, code, retryable: false, trace_id: crypto.randomUUID() }, 400);
}

function encodeCursor(seq: number, fingerprint: string): string {
  return btoa(JSON.stringify({ data: { sq: seq, f: fingerprint } }));
}

function decodeCursor(cursor: string, fingerprint: string): number | null {
  try {
    const value = JSON.parse(atob(cursor)) as { data?: { sq?: unknown; f?: unknown } };
    const sq = value.data?.sq;
    return typeof sq === "number" && value.data?.f === fingerprint ? sq : null;
  } catch {
    return null;
  }
}

function profile(t: SimTrade) {
  const wallet = `0x${counterHex(t.seq % 997, 0xfa11e7, 40)}`;
  return { wallet, name: `sim-user-${t.seq % 997}`, pseudonym: `Simulated-Trader-${t.seq % 997}` };
}

function v1Trade(world: World, t: SimTrade): Record<string, unknown> {
  const m = world.universe.byCondition.get(t.conditionId);
  const event = m === undefined ? undefined : world.universe.events[m.eventIndex];
  const who = profile(t);
  return {
    proxyWallet: who.wallet,
    side: t.side,
    asset: t.assetId,
    conditionId: t.conditionId,
    size: Number(t.size),
    price: Number(t.price),
    timestamp: Math.floor(t.timestampMs / 1000),
    title: m?.question ?? "",
    slug: m?.slug ?? "",
    icon: "",
    eventSlug: event?.slug ?? "",
    outcome: t.outcomeIndex === 0 ? "Yes" : "No",
    outcomeIndex: t.outcomeIndex,
    name: who.name,
    pseudonym: who.pseudonym,
    bio: "",
    profileImage: "",
    profileImageOptimized: "",
    transactionHash: t.transactionHash,
  };
}

function v2Trade(world: World, t: SimTrade): Record<string, unknown> {
  const v1 = v1Trade(world, t);
  return {
    proxy_wallet: v1.proxyWallet,
    side: t.side,
    token_id: t.assetId,
    condition_id: t.conditionId,
    size: v1.size,
    price: v1.price,
    timestamp: v1.timestamp,
    title: v1.title,
    slug: v1.slug,
    icon: "",
    event_slug: v1.eventSlug,
    outcome: v1.outcome,
    outcome_index: t.outcomeIndex,
    name: v1.name,
    pseudonym: v1.pseudonym,
    bio: "",
    profile_image: "",
    profile_image_optimized: "",
    transaction_hash: t.transactionHash,
  };
}
