/**
 * CLOB `GET /prices-history` over the emitted trades: interval/fidelity validation, seconds
 * for `startTs`/`endTs` (`endTs` alone is rejected), one point per fidelity bucket and an
 * appended "now" point.
 *
 * @example
 * ```ts
 * import { handlePricesHistory } from "./prices_history.ts";
 * // handlePricesHistory(world, new URLSearchParams("market=123&interval=1h"))
 * ```
 */
import { jsonResponse } from "./_http.ts";
import { PRICE_SCALE } from "./universe.ts";
import type { World } from "./world.ts";

const INTERVAL_SECONDS: Record<string, number> = {
  max: Infinity,
  all: Infinity,
  "1m": 30 * 86_400,
  "1w": 7 * 86_400,
  "1d": 86_400,
  "6h": 6 * 3600,
  "1h": 3600,
};
const MIN_FIDELITY: Record<string, number> = { "1m": 10, "1w": 5 };
/** Most points one response carries (the newest are kept). */
export const MAX_POINTS = 4300;

/** A validated `/prices-history` query: token, window (unix seconds) and fidelity (minutes). */
export interface PriceHistoryQuery {
  tokenId: string;
  from: number;
  to: number;
  fidelity: number;
}

/** Validates a `/prices-history` query as the venue does; a 400 response when it is bad. */
export function parsePriceHistoryQuery(
  p: URLSearchParams,
  nowS: number,
): PriceHistoryQuery | Response {
  const bad = (error: string) => jsonResponse({ error }, 400);
  const tokenId = p.get("market");
  if (tokenId === null) return bad("invalid filters: 'market' is required");
  const interval = p.get("interval");
  const startText = p.get("startTs");
  const endText = p.get("endTs");
  if (endText !== null && startText === null) {
    return bad("invalid filters: 'startTs' is required with 'endTs'");
  }
  const fidelity = p.get("fidelity") === null ? 1 : Number(p.get("fidelity"));
  if (!Number.isInteger(fidelity) || fidelity < 1) {
    return bad("invalid filters: 'fidelity' must be a positive integer");
  }
  let from = -Infinity;
  let to = nowS;
  if (startText !== null) {
    from = Number(startText);
    to = endText === null ? nowS : Number(endText);
    if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
      return bad("invalid filters: bad time range");
    }
  } else if (interval !== null) {
    if (!(interval in INTERVAL_SECONDS)) {
      return bad(`invalid filters: unknown interval '${interval}'`);
    }
    const min = MIN_FIDELITY[interval] ?? 1;
    if (fidelity < min) {
      return bad(`invalid filters: minimum 'fidelity' for '${interval}' range is ${min}`);
    }
    from = nowS - INTERVAL_SECONDS[interval];
  } else {
    return bad("invalid filters: 'interval' or 'startTs' is required");
  }
  return { tokenId, from, to, fidelity };
}

/** Serves one price-history request for a token id (`market`). */
export function handlePricesHistory(world: World, p: URLSearchParams): Response {
  const nowS = Math.floor(Date.now() / 1000);
  const query = parsePriceHistoryQuery(p, nowS);
  if (query instanceof Response) return query;
  const { tokenId, from, to, fidelity } = query;
  const ref = world.universe.byToken.get(tokenId);
  if (ref === undefined) return jsonResponse({ history: [] });
  const bucket = fidelity * 60;
  const points = new Map<number, { t: number; p: number }>();
  for (const trade of world.trades.forToken(tokenId)) {
    const t = Math.floor(trade.timestampMs / 1000);
    if (t < from || t > to) continue;
    points.set(Math.floor(t / bucket), { t, p: Number(trade.price) });
  }
  const history = [...points.values()].slice(-MAX_POINTS);
  if (to >= nowS - 60) history.push({ t: nowS, p: currentPrice(world, tokenId) });
  return jsonResponse({ history });
}

function currentPrice(world: World, tokenId: string): number {
  const ref = world.universe.byToken.get(tokenId);
  if (ref === undefined) return 0;
  const m = ref.market;
  if (m.finalPrices !== null) return Number(m.finalPrices[ref.outcomeIndex]);
  const last = world.peekBook(m)?.lastTradeUnits ?? m.priceUnits;
  return (ref.outcomeIndex === 0 ? last : PRICE_SCALE - last) / PRICE_SCALE;
}
