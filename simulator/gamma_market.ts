/**
 * Gamma wire objects for simulated markets and events: JSON-in-string list fields, `volume` as
 * a string beside numeric `volumeNum`, mixed date formats, nested `events[]` — as in the
 * recorded fixtures.
 *
 * @example
 * ```ts
 * import { gammaMarket } from "./gamma_market.ts";
 * // gammaMarket(world, market).outcomes === "[\"Yes\", \"No\"]"
 * ```
 */
import { formatPrice, PRICE_SCALE, type SimEvent, type SimMarket } from "./universe.ts";
import type { World } from "./world.ts";
import { feeScheduleAt } from "./structure.ts";

const IMAGE = "https://polymarket-upload.s3.us-east-2.amazonaws.com/simulated.png";
const SUBMITTER = "0x91430CaD2d3975766499717fA0D66A78D814E5c5";
const RESOLVER = "0x2F5e3684cb1F318ec51b00Edba38d79Ac2c0aA9d";

/** ISO timestamp with 6 fractional digits ("2026-03-31T23:11:40.126060Z"). */
function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "060Z");
}

/** ISO timestamp without fractional seconds. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/** Gamma's space-separated form ("2026-05-09 02:07:01+00"). */
function spaced(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "+00");
}

/** JSON array inside a string, with Gamma's ", " separator. */
function jsonList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;
}

/** Current Yes quote: live book when seeded, else the market's reference price ± one tick. */
export function marketQuote(
  world: World,
  m: SimMarket,
): { bid: number; ask: number; last: number } {
  const book = world.peekBook(m);
  const bid = book?.bestBid() ?? m.priceUnits - m.tickUnits;
  const ask = book?.bestAsk() ?? m.priceUnits + m.tickUnits;
  return { bid, ask, last: book?.lastTradeUnits ?? m.priceUnits };
}

/** Gamma market object; `withEvents` adds the nested parent event. */
export function gammaMarket(
  world: World,
  m: SimMarket,
  withEvents = true,
): Record<string, unknown> {
  const closed = m.status === "closed";
  const q = marketQuote(world, m);
  const prices = m.finalPrices ?? [formatPrice(q.last), formatPrice(PRICE_SCALE - q.last)];
  const resolved = closed && prices.includes("1");
  const negRisk = m.negRiskMarketId !== "";
  const event = world.universe.events[m.eventIndex];
  const fees = feeScheduleAt(m.meta, world.now());
  const sports = m.meta.sports;
  return {
    id: m.id,
    question: m.question,
    conditionId: m.conditionId,
    slug: m.slug,
    resolutionSource: m.meta.resolutionSource,
    endDate: isoSeconds(m.endDateMs - (m.endDateMs % 86_400_000)),
    liquidity: String(m.liquidity),
    startDate: new Date(m.createdAtMs + 60_000).toISOString(),
    image: IMAGE,
    icon: IMAGE,
    description: m.meta.rules,
    outcomes: jsonList(["Yes", "No"]),
    outcomePrices: jsonList(prices),
    volume: String(m.volume),
    active: true,
    closed,
    marketMakerAddress: "",
    createdAt: isoMicros(m.createdAtMs),
    updatedAt: isoMicros(m.closedAtMs ?? m.createdAtMs + 3_600_000),
    ...(closed && m.closedAtMs !== null ? { closedTime: spaced(m.closedAtMs) } : {}),
    new: false,
    featured: false,
    submitted_by: SUBMITTER,
    archived: false,
    resolvedBy: RESOLVER,
    restricted: true,
    groupItemTitle: m.groupItemTitle,
    groupItemThreshold: m.groupItemThreshold,
    questionID: m.questionId,
    ...(resolved ? { umaResolutionStatus: "resolved", automaticallyResolved: true } : {}),
    enableOrderBook: true,
    orderPriceMinTickSize: m.tickUnits / PRICE_SCALE,
    orderMinSize: 5,
    volumeNum: m.volume,
    liquidityNum: m.liquidity,
    endDateIso: isoSeconds(m.endDateMs).slice(0, 10),
    startDateIso: isoSeconds(m.createdAtMs).slice(0, 10),
    hasReviewedDates: true,
    volume24hr: Math.round(m.volume / 300),
    volume1wk: Math.round(m.volume / 40),
    volume1mo: Math.round(m.volume / 10),
    volume1yr: m.volume,
    volume24hrClob: Math.round(m.volume / 300),
    volume1wkClob: Math.round(m.volume / 40),
    volume1moClob: Math.round(m.volume / 10),
    volume1yrClob: m.volume,
    clobTokenIds: jsonList(m.tokenIds),
    umaBond: "500",
    umaReward: "5",
    volumeClob: m.volume,
    liquidityClob: m.liquidity,
    customLiveness: 0,
    acceptingOrders: !closed,
    negRisk,
    ...(negRisk ? { negRiskMarketID: m.negRiskMarketId } : {}),
    negRiskRequestID: m.negRiskRequestId,
    ready: false,
    funded: false,
    acceptingOrdersTimestamp: isoSeconds(m.createdAtMs + 30_000),
    cyom: false,
    competitive: 0.8,
    pagerDutyNotificationEnabled: false,
    approved: true,
    rewardsMinSize: 20,
    rewardsMaxSpread: 3.5,
    spread: (q.ask - q.bid) / PRICE_SCALE,
    oneDayPriceChange: 0.002,
    oneHourPriceChange: 0,
    oneWeekPriceChange: 0.002,
    oneMonthPriceChange: 0.006,
    lastTradePrice: q.last / PRICE_SCALE,
    bestBid: q.bid / PRICE_SCALE,
    bestAsk: q.ask / PRICE_SCALE,
    automaticallyActive: true,
    clearBookOnStart: true,
    seriesColor: "",
    showGmpSeries: false,
    showGmpOutcome: false,
    manualActivation: false,
    negRiskOther: m.meta.negRiskOther,
    umaResolutionStatuses: resolved ? jsonList(["proposed", "resolved"]) : "[]",
    pendingDeployment: false,
    deploying: false,
    deployingTimestamp: isoMicros(m.createdAtMs - 60_000),
    rfqEnabled: false,
    holdingRewardsEnabled: false,
    feesEnabled: m.feesEnabled,
    requiresTranslation: false,
    feeType: m.meta.feeType,
    ...(fees === null ? {} : {
      feeSchedule: {
        exponent: Number(fees.exponent),
        rate: Number(fees.rate),
        takerOnly: fees.takerOnly,
        rebateRate: Number(fees.rebateRate),
      },
    }),
    makerBaseFee: m.feesEnabled ? 1000 : 0,
    takerBaseFee: m.feesEnabled ? 1000 : 0,
    ...(sports === null ? {} : {
      gameId: sports.gameId,
      sportsMarketType: sports.sportsMarketType,
      ...(sports.line === null ? {} : { line: Number(sports.line) }),
      gameStartTime: spaced(sports.gameStartMs),
    }),
    ...(withEvents ? { events: [gammaEvent(world, event, false)] } : {}),
  };
}

/** Gamma event object; `withMarkets` nests its listed markets (without their `events`). */
export function gammaEvent(world: World, e: SimEvent, withMarkets = true): Record<string, unknown> {
  const members = e.marketIndexes.map((i) => world.universe.markets[i])
    .filter((m) => m.status !== "unlisted");
  const closed = members.length > 0 && members.every((m) => m.status === "closed");
  const volume = members.reduce((s, m) => s + m.volume, 0);
  const liquidity = members.reduce((s, m) => s + m.liquidity, 0);
  return {
    id: e.id,
    ticker: e.slug,
    slug: e.slug,
    title: e.title,
    description: `Simulated event ${e.id}.`,
    resolutionSource: "",
    startDate: isoMicros(e.createdAtMs + 3_600_000),
    creationDate: isoMicros(e.createdAtMs + 3_000_000),
    endDate: isoSeconds(e.createdAtMs + 500 * 86_400_000),
    image: IMAGE,
    icon: IMAGE,
    active: true,
    closed,
    archived: false,
    new: false,
    featured: false,
    restricted: true,
    liquidity,
    volume,
    openInterest: 0,
    sortBy: "price",
    published_at: spaced(e.createdAtMs),
    createdAt: isoMicros(e.createdAtMs),
    updatedAt: isoMicros(e.createdAtMs + 7_200_000),
    volume24hr: Math.round(volume / 300),
    volume1wk: Math.round(volume / 40),
    enableOrderBook: true,
    liquidityClob: liquidity,
    negRisk: e.negRisk,
    ...(e.negRisk ? { negRiskMarketID: e.negRiskMarketId } : {}),
    commentCount: 3,
    tags: [{ id: "2", label: "Simulated", slug: "simulated" }],
    cyom: false,
    showAllOutcomes: true,
    showMarketImages: true,
    enableNegRisk: e.negRisk,
    automaticallyActive: true,
    negRiskAugmented: e.meta.negRiskAugmented,
    pendingDeployment: false,
    deploying: false,
    requiresTranslation: false,
    ...(withMarkets ? { markets: members.map((m) => gammaMarket(world, m, false)) } : {}),
  };
}
