/**
 * Gamma wire objects for the closed history (`history.ts`), shaped like the live ones
 * (`gamma_market.ts`), and the CLOB market object (`GET /markets/{condition_id}`, with
 * `tokens[].winner`, as `clob_market.ts`): JSON-in-string lists, `outcomePrices` with exactly one "1",
 * `closedTime` in Gamma's space-separated form, `umaResolutionStatus: "resolved"`, the domain
 * as `category` on the market and as a tag on the event, and the neg-risk fields.
 *
 * @example
 * ```ts
 * import { ClosedHistory } from "./history.ts";
 * import { historyGammaMarket } from "./history_gamma.ts";
 * const h = new ClosedHistory({ count: 10, seed: 1, now: 0 });
 * historyGammaMarket(h, h.market(0)).closed; // true
 * ```
 */
import type { ClosedHistory, HistoryEvent, HistoryMarket } from "./history.ts";
import type { HistoryDomain } from "./price_distortion.ts";

const IMAGE = "https://polymarket-upload.s3.us-east-2.amazonaws.com/simulated.png";
const RESOLVER = "0x2F5e3684cb1F318ec51b00Edba38d79Ac2c0aA9d";
const LABELS: Record<HistoryDomain, string> = {
  politics: "Politics",
  sports: "Sports",
  crypto: "Crypto",
};

const isoMicros = (ms: number) => new Date(ms).toISOString().replace("Z", "060Z");
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const spaced = (ms: number) =>
  new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "+00");
const jsonList = (items: readonly string[]) =>
  `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;

/** The domain's Gamma tag. */
export function historyTag(m: { domain: HistoryDomain; tagId: string }) {
  return { id: m.tagId, label: LABELS[m.domain], slug: m.domain };
}

/** Gamma market object of a closed history market; `withEvents` nests its event. */
export function historyGammaMarket(
  history: ClosedHistory,
  m: HistoryMarket,
  withEvents = true,
): Record<string, unknown> {
  const negRisk = m.negRiskMarketId !== "";
  const lastUnits = m.yesWon ? 10_000 - m.tickUnits : m.tickUnits;
  return {
    id: m.id,
    question: m.question,
    conditionId: m.conditionId,
    slug: m.slug,
    resolutionSource: "",
    endDate: isoSeconds(m.endMs),
    liquidity: "0",
    startDate: isoSeconds(m.startMs),
    image: IMAGE,
    icon: IMAGE,
    description: `This market will resolve to "Yes" if the answer to "${m.question}" is yes. ` +
      `Otherwise it will resolve to "No".`,
    outcomes: jsonList(["Yes", "No"]),
    outcomePrices: jsonList(m.yesWon ? ["1", "0"] : ["0", "1"]),
    volume: String(m.volume),
    active: true,
    closed: true,
    archived: false,
    category: LABELS[m.domain],
    marketMakerAddress: "",
    createdAt: isoMicros(m.startMs - 3_600_000),
    updatedAt: isoMicros(m.closedMs + 60_000),
    closedTime: spaced(m.closedMs),
    umaEndDate: isoSeconds(m.closedMs),
    resolvedBy: RESOLVER,
    groupItemTitle: m.groupItemTitle,
    groupItemThreshold: String(m.member),
    questionID: m.questionId,
    umaResolutionStatus: "resolved",
    umaResolutionStatuses: jsonList(["proposed", "resolved"]),
    automaticallyResolved: true,
    enableOrderBook: true,
    orderPriceMinTickSize: m.tickUnits / 10_000,
    orderMinSize: 5,
    volumeNum: m.volume,
    liquidityNum: 0,
    endDateIso: isoSeconds(m.endMs).slice(0, 10),
    startDateIso: isoSeconds(m.startMs).slice(0, 10),
    volume24hr: 0,
    clobTokenIds: jsonList(m.tokenIds),
    acceptingOrders: false,
    negRisk,
    ...(negRisk ? { negRiskMarketID: m.negRiskMarketId } : {}),
    negRiskRequestID: m.negRiskRequestId,
    negRiskOther: false,
    lastTradePrice: lastUnits / 10_000,
    bestBid: 0,
    bestAsk: 1,
    feesEnabled: false,
    feeType: null,
    makerBaseFee: 0,
    takerBaseFee: 0,
    ...(withEvents
      ? { events: [historyGammaEvent(history, history.eventAt(m.eventIndex)!, false)] }
      : {}),
  };
}

/** Gamma event object of a closed history event; `withMarkets` nests its markets. */
export function historyGammaEvent(
  history: ClosedHistory,
  e: HistoryEvent,
  withMarkets = true,
): Record<string, unknown> {
  const members = e.memberIndexes.map((i) => history.market(i));
  const volume = members.reduce((s, m) => s + m.volume, 0);
  return {
    id: e.id,
    ticker: e.slug,
    slug: e.slug,
    title: e.title,
    description: `Simulated closed event ${e.id}.`,
    startDate: isoMicros(e.startMs),
    creationDate: isoMicros(e.startMs - 3_600_000),
    endDate: isoSeconds(e.endMs),
    closedTime: spaced(e.closedMs),
    image: IMAGE,
    icon: IMAGE,
    active: true,
    closed: true,
    archived: false,
    category: LABELS[e.domain],
    liquidity: 0,
    volume,
    published_at: spaced(e.startMs - 3_600_000),
    createdAt: isoMicros(e.startMs - 3_600_000),
    updatedAt: isoMicros(e.closedMs + 60_000),
    enableOrderBook: true,
    negRisk: e.negRisk,
    ...(e.negRisk ? { negRiskMarketID: e.negRiskMarketId } : {}),
    enableNegRisk: e.negRisk,
    negRiskAugmented: false,
    tags: [historyTag(members[0])],
    ...(withMarkets ? { markets: members.map((m) => historyGammaMarket(history, m, false)) } : {}),
  };
}

/** CLOB market object of a closed history market (`tokens[].winner` names the outcome). */
export function historyClobMarket(m: HistoryMarket): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  const winner = m.yesWon ? 0 : 1;
  return {
    accepting_order_timestamp: iso(m.startMs),
    accepting_orders: false,
    active: true,
    archived: false,
    closed: true,
    condition_id: m.conditionId,
    description: `This market will resolve to "Yes" if the answer to "${m.question}" is yes.`,
    enable_order_book: false,
    end_date_iso: iso(m.endMs),
    fpmm: "",
    game_start_time: null,
    icon: IMAGE,
    image: IMAGE,
    is_50_50_outcome: false,
    maker_base_fee: 0,
    market_slug: m.slug,
    minimum_order_size: 5,
    minimum_tick_size: m.tickUnits / 10_000,
    neg_risk: m.negRiskMarketId !== "",
    neg_risk_market_id: m.negRiskMarketId,
    neg_risk_request_id: m.negRiskRequestId,
    notifications_enabled: true,
    question: m.question,
    question_id: m.questionId,
    rewards: { max_spread: 0, min_size: 0, rates: null },
    seconds_delay: 0,
    tags: [LABELS[m.domain]],
    taker_base_fee: 0,
    tokens: [0, 1].map((i) => ({
      outcome: i === 0 ? "Yes" : "No",
      price: i === winner ? 1 : 0,
      token_id: m.tokenIds[i],
      winner: i === winner,
    })),
  };
}
