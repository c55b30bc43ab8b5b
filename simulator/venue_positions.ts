/**
 * Data API v1 `GET /positions?user=` over the simulated accounts: one row per token the
 * account holds at least `sizeThreshold` shares of (default 1), with cost basis, current value
 * at the book's mid and P&L, in the venue's camelCase field names (sizes and money as numbers).
 * Filters: `market` (condition ids, comma separated), `limit` (≤ 500), `offset`.
 *
 * @example
 * ```ts
 * import { positionsWire } from "./venue_positions.ts";
 * // positionsWire({ venue, world }, new URLSearchParams("user=0xabc…"))
 * ```
 */
import { jsonResponse } from "./_http.ts";
import type { Venue } from "./venue.ts";
import type { World } from "./world.ts";

const MAX_LIMIT = 500;

/** Serves `/positions`. */
export function positionsWire(
  deps: { venue: Venue; world: World },
  p: URLSearchParams,
): Response {
  const user = p.get("user");
  if (user === null || !/^0x[0-9a-fA-F]{40}$/.test(user)) {
    return jsonResponse({ error: "user is required" }, 400);
  }
  const threshold = Number(p.get("sizeThreshold") ?? "1");
  const limit = Math.min(Number(p.get("limit") ?? "100") || 100, MAX_LIMIT);
  const offset = Number(p.get("offset") ?? "0") || 0;
  const markets = (p.get("market") ?? "").split(",").filter((s) => s !== "")
    .map((s) => s.toLowerCase());
  const account = deps.venue.accounts.get(user);
  const rows: Record<string, unknown>[] = [];
  for (const [token, pos] of account.positions) {
    const size = Number(pos.size) / 1e6;
    if (size <= 0 || size < threshold) continue;
    const ref = deps.world.universe.byToken.get(token);
    if (ref === undefined) continue;
    const m = ref.market;
    if (markets.length > 0 && !markets.includes(m.conditionId)) continue;
    const i = ref.outcomeIndex;
    const curPrice = m.finalPrices !== null
      ? Number(m.finalPrices[i])
      : midOf(deps.world, ref.market, i);
    const initialValue = Number(pos.cost) / 1e6;
    const currentValue = size * curPrice;
    const event = deps.world.universe.events[m.eventIndex];
    rows.push({
      proxyWallet: account.address,
      asset: token,
      conditionId: m.conditionId,
      size,
      avgPrice: size === 0 ? 0 : initialValue / size,
      initialValue,
      currentValue,
      cashPnl: currentValue - initialValue,
      percentPnl: initialValue === 0 ? 0 : (currentValue - initialValue) / initialValue * 100,
      totalBought: Number(pos.bought) / 1e6,
      realizedPnl: Number(pos.realized) / 1e6,
      curPrice,
      redeemable: m.status === "closed",
      mergeable: (account.positions.get(m.tokenIds[1 - i])?.size ?? 0n) > 0n,
      title: m.question,
      slug: m.slug,
      icon: "",
      eventSlug: event?.slug ?? "",
      outcome: i === 0 ? "Yes" : "No",
      outcomeIndex: i,
      oppositeOutcome: i === 0 ? "No" : "Yes",
      oppositeAsset: m.tokenIds[1 - i],
      endDate: new Date(m.endDateMs).toISOString().slice(0, 10),
      negativeRisk: m.negRiskMarketId !== "",
    });
  }
  return jsonResponse(rows.slice(offset, offset + limit));
}

function midOf(world: World, market: Parameters<World["book"]>[0], outcome: 0 | 1): number {
  if (market.status !== "open") return 0;
  const q = world.book(market).quote(outcome);
  return (Number(q.bestBid) + Number(q.bestAsk)) / 2;
}
