/**
 * Data API positions over the simulated accounts. v1 `GET /positions?user=` answers a bare
 * array in camelCase (sizes and money as numbers; rows of at least `sizeThreshold` shares,
 * default 1; `market` filter, `limit` ≤ 500, `offset`). v2 `GET /v2/positions?user=` answers
 * the `{data, pagination}` envelope in snake_case with entry cost and fees (`status` OPEN —
 * the default —, CLOSED or ALL; cursor-only, `offset` refused). Current prices are the book's
 * mid, or the final price of a resolved market.
 *
 * @example
 * ```ts
 * import { handlePositions } from "./venue_positions.ts";
 * // handlePositions({ venue, world }, new URL("http://x/positions?user=0xabc…"))
 * ```
 */
import { jsonResponse } from "./_http.ts";
import type { SimMarket } from "./universe.ts";
import type { Venue } from "./venue.ts";
import type { Account, Position } from "./venue_accounts.ts";
import type { World } from "./world.ts";

const MAX_LIMIT = 500;

interface Row {
  account: Account;
  token: string;
  p: Position;
  market: SimMarket;
  outcome: 0 | 1;
}

/** Serves `/positions` and `/v2/positions`, or returns null for another path. */
export function handlePositions(deps: { venue: Venue; world: World }, url: URL): Response | null {
  const v2 = url.pathname === "/v2/positions";
  if (!v2 && url.pathname !== "/positions") return null;
  const q = url.searchParams;
  const user = q.get("user");
  if (user === null || !/^0x[0-9a-fA-F]{40}$/.test(user)) {
    return v2 ? v2Error("user is required") : jsonResponse({ error: "user is required" }, 400);
  }
  if (v2 && q.has("offset")) return v2Error("offset is not supported, use cursor");
  const limit = Math.max(1, Math.min(Number(q.get("limit") ?? "100") || 100, MAX_LIMIT));
  const markets = q.getAll(v2 ? "condition" : "market").flatMap((s) => s.split(","))
    .filter((s) => s !== "").map((s) => s.toLowerCase());
  const account = deps.venue.accounts.get(user);
  const rows: Row[] = [];
  for (const [token, p] of account.positions) {
    const ref = deps.world.universe.byToken.get(token);
    if (ref === undefined) continue;
    if (markets.length > 0 && !markets.includes(ref.market.conditionId)) continue;
    rows.push({ account, token, p, market: ref.market, outcome: ref.outcomeIndex });
  }
  if (!v2) {
    const threshold = Number(q.get("sizeThreshold") ?? "1");
    const offset = Number(q.get("offset") ?? "0") || 0;
    const open = rows.filter((r) => r.p.size > 0n && Number(r.p.size) / 1e6 >= threshold);
    return jsonResponse(open.slice(offset, offset + limit).map((r) => v1Row(deps.world, r)));
  }
  const status = (q.get("status") ?? "OPEN").toUpperCase();
  const chosen = rows.filter((r) => status === "ALL" || (status === "OPEN") === (r.p.size > 0n));
  const start = Number(q.get("cursor") ?? "0") || 0;
  const page = chosen.slice(start, start + limit);
  const more = start + limit < chosen.length;
  return jsonResponse({
    data: page.map((r) => v2Row(deps.world, r)),
    pagination: {
      limit,
      offset: 0,
      has_more: more,
      next_cursor: more ? String(start + limit) : null,
    },
  });
}

function v1Row(world: World, r: Row): Record<string, unknown> {
  const { size, cost, current, price } = figures(world, r);
  const m = r.market;
  return {
    proxyWallet: r.account.address,
    asset: r.token,
    conditionId: m.conditionId,
    size,
    avgPrice: size === 0 ? 0 : cost / size,
    initialValue: cost,
    currentValue: current,
    cashPnl: current - cost,
    percentPnl: cost === 0 ? 0 : (current - cost) / cost * 100,
    totalBought: Number(r.p.bought) / 1e6,
    realizedPnl: Number(r.p.realized) / 1e6,
    curPrice: price,
    redeemable: m.status === "closed",
    mergeable: mergeable(r),
    title: m.question,
    slug: m.slug,
    icon: "",
    eventSlug: world.universe.events[m.eventIndex]?.slug ?? "",
    outcome: r.outcome === 0 ? "Yes" : "No",
    outcomeIndex: r.outcome,
    oppositeOutcome: r.outcome === 0 ? "No" : "Yes",
    oppositeAsset: m.tokenIds[1 - r.outcome],
    endDate: new Date(m.endDateMs).toISOString().slice(0, 10),
    negativeRisk: m.negRiskMarketId !== "",
  };
}

function v2Row(world: World, r: Row): Record<string, unknown> {
  const { size, cost, current, price } = figures(world, r);
  const m = r.market;
  const fees = Number(r.p.fees) / 1e6;
  const realized = Number(r.p.realized) / 1e6;
  const event = world.universe.events[m.eventIndex];
  return {
    proxy_wallet: r.account.address,
    token_id: r.token,
    condition_id: m.conditionId,
    current_size: size,
    avg_price: size === 0 ? 0 : round(cost / size, 4),
    entry_cost_usdc: cost,
    entry_fees_usdc: fees,
    total_cost_usdc: round(cost + fees, 6),
    current_price: price,
    current_value: round(current, 4),
    total_size: Number(r.p.bought) / 1e6,
    realized_pnl: realized,
    unrealized_pnl: round(current - cost, 4),
    total_pnl: round(current - cost + realized, 4),
    percent_pnl: cost === 0 ? 0 : round((current - cost) / cost * 100, 4),
    percent_realized_pnl: cost === 0 ? 0 : round(realized / cost * 100, 4),
    status: r.p.size > 0n ? "OPEN" : "CLOSED",
    redeemable: m.status === "closed",
    mergeable: mergeable(r),
    negative_risk: m.negRiskMarketId !== "",
    archived: false,
    title: m.question,
    slug: m.slug,
    icon: "",
    event_id: event?.id ?? "",
    event_slug: event?.slug ?? "",
    outcome: r.outcome === 0 ? "Yes" : "No",
    outcome_index: r.outcome,
    opposite_outcome: r.outcome === 0 ? "No" : "Yes",
    opposite_token_id: m.tokenIds[1 - r.outcome],
    end_date: new Date(m.endDateMs).toISOString().slice(0, 10),
    last_event_at: Math.floor(r.p.lastAtMs / 1000),
    first_entry_at: Math.floor(r.p.firstAtMs / 1000),
    name: "",
    profile_image: "",
    verified: false,
  };
}

function figures(world: World, r: Row) {
  const size = Number(r.p.size) / 1e6;
  const cost = Number(r.p.cost) / 1e6;
  const m = r.market;
  let price = 0;
  if (m.finalPrices !== null) price = Number(m.finalPrices[r.outcome]);
  else if (m.status === "open") {
    const q = world.book(m).quote(r.outcome);
    price = (Number(q.bestBid) + Number(q.bestAsk)) / 2;
  }
  return { size, cost, current: size * price, price };
}

function mergeable(r: Row): boolean {
  return (r.account.positions.get(r.market.tokenIds[1 - r.outcome])?.size ?? 0n) > 0n;
}

function round(x: number, places: number): number {
  return Math.round(x * 10 ** places) / 10 ** places;
}

function v2Error(error: string): Response {
  return jsonResponse(
    { error, code: "INVALID_PARAMETER", retryable: false, trace_id: crypto.randomUUID() },
    400,
  );
}
