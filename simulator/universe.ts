/**
 * The simulated venue's static universe: events, binary markets and their tokens, generated
 * deterministically from a seed. Mutable per-market status (closed, resolution, tick size) lives
 * on the records so every route reads one truth. Every market's fate (how it will resolve) is
 * drawn here too, per structure (`fates.ts`), and the markets created closed agree with it: no
 * group starts with two winners, no ladder resolved against its order.
 *
 * @example
 * ```ts
 * import { createUniverse } from "./universe.ts";
 * const u = createUniverse({ markets: 1000, seed: 7, now: Date.now() });
 * u.markets[0].tokenIds.length; // 2
 * ```
 */
import { Random } from "./_random.ts";
import {
  drawEventKind,
  drawFees,
  eventTitle,
  rulesText,
  shapeMember,
  type SimEventMeta,
  type SimMarketMeta,
  structureRandom,
} from "./structure.ts";
import { Fates } from "./fates.ts";

/** Prices are integers in units of 1e-4 (every supported tick size is a multiple). */
export const PRICE_SCALE = 10_000;

/** Lifecycle of a simulated market. */
export type MarketStatus = "open" | "closed" | "unlisted";

/** One binary market (two tokens: Yes, No). */
export interface SimMarket {
  readonly index: number;
  readonly id: string;
  readonly conditionId: string;
  readonly questionId: string;
  readonly tokenIds: readonly [string, string];
  /** Mutable: a placeholder is clarified into a name. */
  question: string;
  readonly slug: string;
  readonly eventIndex: number;
  readonly negRiskMarketId: string;
  readonly negRiskRequestId: string;
  groupItemTitle: string;
  readonly groupItemThreshold: string;
  readonly tagId: string;
  readonly createdAtMs: number;
  readonly endDateMs: number;
  readonly volume: number;
  readonly liquidity: number;
  readonly feesEnabled: boolean;
  /** Tick size in price units (100 = 0.01, 10 = 0.001, 50 = 0.005, 25 = 0.0025). */
  tickUnits: number;
  /** Yes-token fair price in price units; the book is built around it. */
  priceUnits: number;
  status: MarketStatus;
  /** Final outcome prices once closed (["1","0"], or legacy ["0","0"] / ["0.5","0.5"]). */
  finalPrices: readonly [string, string] | null;
  closedAtMs: number | null;
  /** Fees, rules, neg-risk role and sports fields (mutable: fee changes). */
  meta: SimMarketMeta;
}

/** A Gamma event grouping one market, or many for neg-risk events. */
export interface SimEvent {
  readonly index: number;
  readonly id: string;
  readonly slug: string;
  readonly title: string;
  readonly negRisk: boolean;
  readonly negRiskMarketId: string;
  readonly marketIndexes: number[];
  readonly createdAtMs: number;
  readonly meta: SimEventMeta;
}

/** Where a token sits: its market and outcome index (0 = Yes, 1 = No). */
export interface TokenRef {
  readonly market: SimMarket;
  readonly outcomeIndex: 0 | 1;
}

/** All markets, events and lookups. */
export interface Universe {
  readonly seed: number;
  readonly markets: SimMarket[];
  readonly events: SimEvent[];
  readonly byId: Map<string, SimMarket>;
  readonly byCondition: Map<string, SimMarket>;
  readonly byToken: Map<string, TokenRef>;
}

/** Options for {@link createUniverse}. */
export interface UniverseOptions {
  markets: number;
  seed: number;
  /** Reference time (ms) that creation and end dates are spread around. */
  now: number;
}

const TAGS = ["2", "21", "100639", "1", "596"];
const TICKS = [100, 100, 100, 100, 100, 100, 10, 10, 10, 10, 50, 25];
const NAMES = ["Alpha", "Bravo", "Carter", "Delta", "Echo", "Foxtrot", "Gold", "Harbor"];
const DAY = 86_400_000;

/** 2^256 − 1 in decimal: 78 digits, the largest token id (an order's tokenId is a uint256). */
const MAX_UINT256_DIGITS =
  "115792089237316195423570985008687907853269984665640564039457584007913129639935";

/**
 * A token id of `n` ≤ 78 decimal digits that fits a uint256, as the venue's do. A 78-digit draw
 * above 2^256 − 1 (most of them) keeps its digits after the second, which become "10": still 78
 * digits, and no extra draw, so every other value of a seeded universe stays as it was.
 */
function tokenIdDigits(r: Random, n: number): string {
  if (n > MAX_UINT256_DIGITS.length) throw new RangeError(`A uint256 has at most 78 digits`);
  const digits = r.digits(n);
  return n === MAX_UINT256_DIGITS.length && digits > MAX_UINT256_DIGITS
    ? `10${digits.slice(2)}`
    : digits;
}

/** Generates `markets` markets (≤ 50,000) grouped into events, reproducibly from `seed`. */
export function createUniverse(options: UniverseOptions): Universe {
  const count = Math.max(1, Math.min(50_000, Math.floor(options.markets)));
  const r = new Random(options.seed);
  const markets: BaseMarket[] = [];
  const events: BaseEvent[] = [];
  while (markets.length < count) {
    const negRisk = r.chance(0.25) && count - markets.length >= 3;
    const size = negRisk ? Math.min(r.range(3, 30), count - markets.length) : 1;
    const event = newEvent(r, events.length, negRisk, options.now);
    events.push(event);
    for (let member = 0; member < size; member++) {
      markets.push(newMarket(r, markets.length, event, member, options.now));
    }
  }
  const shaped = shapeStructure(markets, events, options);
  new Fates(shaped, options.seed).draw();
  const byId = new Map<string, SimMarket>();
  const byCondition = new Map<string, SimMarket>();
  const byToken = new Map<string, TokenRef>();
  for (const m of shaped.markets) {
    byId.set(m.id, m);
    byCondition.set(m.conditionId, m);
    byToken.set(m.tokenIds[0], { market: m, outcomeIndex: 0 });
    byToken.set(m.tokenIds[1], { market: m, outcomeIndex: 1 });
  }
  return {
    seed: options.seed,
    markets: shaped.markets,
    events: shaped.events,
    byId,
    byCondition,
    byToken,
  };
}

type BaseMarket = Omit<SimMarket, "meta">;
type BaseEvent = Omit<SimEvent, "meta">;

/**
 * Second pass on its own random stream: gives every event a kind (some neg-risk-sized events
 * become augmented groups, ladders or games) and every market its fees, rules and role.
 */
function shapeStructure(
  markets: readonly BaseMarket[],
  events: readonly BaseEvent[],
  options: UniverseOptions,
): { markets: SimMarket[]; events: SimEvent[] } {
  const r = structureRandom(options.seed);
  const outMarkets: SimMarket[] = [];
  const outEvents: SimEvent[] = [];
  for (const e of events) {
    const kind = drawEventKind(r, e.negRisk, e.marketIndexes.length);
    const negRisk = e.negRisk && (kind === "neg_risk" || kind === "augmented");
    const subject = e.title.replace(/^Who will win the (.*)\?$/, "$1");
    outEvents.push({
      ...e,
      title: eventTitle(kind, subject) ?? e.title,
      negRisk,
      negRiskMarketId: negRisk ? e.negRiskMarketId : "",
      meta: { kind, negRiskAugmented: kind === "augmented" },
    });
    e.marketIndexes.forEach((index, member) => {
      const m = markets[index];
      const shape = shapeMember({
        kind,
        member,
        size: e.marketIndexes.length,
        subject,
        eventIndex: e.index,
        now: options.now,
      });
      const is5050 = shape?.sports != null || m.finalPrices?.[0] === "0.5";
      const question = shape?.question ?? m.question;
      const fees = drawFees(r, { feesEnabled: m.feesEnabled, kind, now: options.now });
      outMarkets[index] = {
        ...m,
        ...(shape === null ? {} : {
          question,
          groupItemTitle: shape.groupItemTitle,
          groupItemThreshold: shape.groupItemThreshold,
          endDateMs: shape.endDateMs ?? m.endDateMs,
        }),
        ...(e.negRisk && !negRisk
          ? { negRiskMarketId: "", negRiskRequestId: "", questionId: `0x${r.hex(64)}` }
          : {}),
        meta: {
          ...fees,
          rules: rulesText(question, shape, is5050),
          resolutionSource: shape?.sports != null ? "https://www.espn.com" : "",
          negRiskOther: shape?.negRiskOther ?? false,
          placeholder: shape?.placeholder ?? false,
          sports: shape?.sports ?? null,
          is5050,
          fate: null,
        },
      };
    });
  }
  return { markets: outMarkets, events: outEvents };
}

function newEvent(r: Random, index: number, negRisk: boolean, now: number): BaseEvent {
  const id = String(40_000 + index);
  const name = `${r.pick(NAMES)} ${index}`;
  return {
    index,
    id,
    slug: `sim-event-${id}`,
    title: negRisk ? `Who will win the ${name} contest?` : `${name} question ${index}`,
    negRisk,
    negRiskMarketId: negRisk ? `0x${r.hex(62)}00` : "",
    marketIndexes: [],
    createdAtMs: now - r.range(2, 400) * DAY,
  };
}

function newMarket(r: Random, index: number, event: BaseEvent, member: number, now: number) {
  event.marketIndexes.push(index);
  const id = String(500_000 + index);
  const tickUnits = r.pick(TICKS);
  const steps = Math.floor(PRICE_SCALE / tickUnits);
  const priceUnits = r.range(Math.ceil(steps * 0.05), Math.floor(steps * 0.95)) * tickUnits;
  const roll = r.next();
  let status: MarketStatus = "open";
  let finalPrices: [string, string] | null = null;
  if (roll < 0.06) {
    status = "closed";
    finalPrices = r.chance(0.5) ? ["1", "0"] : ["0", "1"];
  } else if (roll < 0.065) [status, finalPrices] = ["closed", ["0", "0"]];
  else if (roll < 0.07) [status, finalPrices] = ["closed", ["0.5", "0.5"]];
  else if (roll < 0.09) status = "unlisted";
  const memberByte = member.toString(16).padStart(2, "0");
  const createdAtMs = event.createdAtMs + r.int(DAY);
  const title = event.negRisk ? `${r.pick(NAMES)} ${member}` : "";
  const market: BaseMarket = {
    index,
    id,
    conditionId: `0x${r.hex(64)}`,
    questionId: event.negRisk ? event.negRiskMarketId.slice(0, 64) + memberByte : `0x${r.hex(64)}`,
    tokenIds: [tokenIdDigits(r, r.range(76, 78)), tokenIdDigits(r, r.range(75, 78))],
    question: event.negRisk ? `Will ${title} win? (${event.title})` : `${event.title}?`,
    slug: `sim-market-${id}`,
    eventIndex: event.index,
    negRiskMarketId: event.negRiskMarketId,
    negRiskRequestId: event.negRisk ? `0x${r.hex(64)}` : "",
    groupItemTitle: title,
    groupItemThreshold: String(member),
    tagId: r.pick(TAGS),
    createdAtMs,
    endDateMs: now + r.range(1, 700) * DAY,
    volume: Math.round(r.next() ** 3 * 5e7 * 1e4) / 1e4,
    liquidity: Math.round(r.next() ** 2 * 2e6 * 1e5) / 1e5,
    feesEnabled: r.chance(0.2),
    tickUnits,
    priceUnits,
    status,
    finalPrices,
    closedAtMs: status === "closed" ? now - r.range(1, 30) * DAY : null,
  };
  return market;
}

/** Formats an integer price in 1e-4 units as a canonical decimal string ("0.45", "1", "0"). */
export function formatPrice(units: number): string {
  return formatScaled(units, 4);
}

/** Formats an integer scaled by 10^decimals as a canonical decimal string. */
export function formatScaled(value: number, decimals: number): string {
  const s = String(Math.round(value)).padStart(decimals + 1, "0");
  const int = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  return frac === "" ? int : `${int}.${frac}`;
}
