/**
 * CLOB market objects (`GET /markets/{condition_id}`, `GET /markets` pages and the compact
 * `GET /clob-markets/{condition_id}`), with `tokens[].winner` marking resolutions.
 *
 * @example
 * ```ts
 * import { clobMarket } from "./clob_market.ts";
 * // clobMarket(world, market).tokens[0].winner
 * ```
 */
import { marketQuote } from "./gamma_market.ts";
import { PRICE_SCALE, type SimMarket } from "./universe.ts";
import type { World } from "./world.ts";
import { feeScheduleAt } from "./structure.ts";

const IMAGE = "https://polymarket-upload.s3.us-east-2.amazonaws.com/simulated.png";
const COLLATERAL = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB";

/** Yes/No token prices as numbers: final prices once closed, else the live last price. */
function tokenPrices(world: World, m: SimMarket): [number, number] {
  if (m.finalPrices !== null) return [Number(m.finalPrices[0]), Number(m.finalPrices[1])];
  const last = marketQuote(world, m).last;
  return [last / PRICE_SCALE, (PRICE_SCALE - last) / PRICE_SCALE];
}

/** The full CLOB market object. */
export function clobMarket(world: World, m: SimMarket): Record<string, unknown> {
  const closed = m.status === "closed";
  const prices = tokenPrices(world, m);
  const winner = m.finalPrices?.indexOf("1") ?? -1;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  return {
    accepting_order_timestamp: iso(m.createdAtMs + 30_000),
    accepting_orders: !closed,
    active: true,
    archived: false,
    closed,
    condition_id: m.conditionId,
    description: m.meta.rules,
    enable_order_book: !closed,
    end_date_iso: iso(m.endDateMs - (m.endDateMs % 86_400_000)),
    fpmm: "",
    game_start_time: m.meta.sports === null ? null : iso(m.meta.sports.gameStartMs),
    icon: IMAGE,
    image: IMAGE,
    is_50_50_outcome: m.meta.is5050,
    maker_base_fee: m.feesEnabled ? 1000 : 0,
    market_slug: m.slug,
    minimum_order_size: 5,
    minimum_tick_size: m.tickUnits / PRICE_SCALE,
    neg_risk: m.negRiskMarketId !== "",
    neg_risk_market_id: m.negRiskMarketId,
    neg_risk_request_id: m.negRiskRequestId,
    notifications_enabled: true,
    question: m.question,
    question_id: m.questionId,
    rewards: {
      max_spread: 3.5,
      min_size: 200,
      rates: [{ asset_address: COLLATERAL, rewards_daily_rate: 30 }],
    },
    seconds_delay: 0,
    tags: ["Simulated"],
    taker_base_fee: m.feesEnabled ? 1000 : 0,
    tokens: [0, 1].map((i) => ({
      outcome: i === 0 ? "Yes" : "No",
      price: prices[i],
      token_id: m.tokenIds[i],
      winner: winner === i,
    })),
  };
}

/** The compact `/clob-markets/{condition_id}` object the official client caches from. */
export function clobMarketCompact(m: SimMarket, nowMs: number): Record<string, unknown> {
  const fees = feeScheduleAt(m.meta, nowMs);
  return {
    c: m.conditionId,
    t: [{ t: m.tokenIds[0], o: "Yes" }, { t: m.tokenIds[1], o: "No" }],
    mts: m.tickUnits / PRICE_SCALE,
    ...(m.negRiskMarketId !== "" ? { nr: true } : {}),
    fd: fees === null
      ? { r: 0, e: 1, to: true }
      : { r: Number(fees.rate), e: Number(fees.exponent), to: fees.takerOnly },
    mbf: 0,
    tbf: m.feesEnabled ? 1000 : 0,
    mos: 5,
    sd: 0,
    ao: m.status === "open",
    v: 2,
  };
}
