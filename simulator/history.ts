/**
 * The simulated venue's closed history (`startSimulator({ closedMarkets: N })`): N resolved
 * markets whose metadata, outcome, hidden probability path and quoted price series are computed
 * per market on request from (seed, index) — nothing is generated at start, so a history of
 * 20,000 or 200,000 markets costs nothing until it is read.
 *
 * Layout: indexes are cut into blocks of 4. A block is, with probability 0.2, a neg-risk group
 * (one event) of 3 or 4 members in `politics` or `sports`, whose hidden probabilities sum to 1
 * and of which exactly one resolves Yes; otherwise (and for a group's 4th slot when it has 3
 * members) every index is its own binary event with a domain drawn uniformly from
 * `politics`, `sports` and `crypto`. An event's times, prior and information come from the
 * event's own random stream, a market's ids, liquidity and tick from the market's, the winner
 * and the signals from two more, so listing a market never draws its path.
 *
 * Times are spread over the year before the anchor (the `now` given, floored to the day): end
 * 3–365 days before it, life 1–60 days, resolution (`closedTime`) 1–48 h after the end. The
 * path has one point per grid step of max(10 min, life / 720) rounded up to 10 minutes.
 *
 * What `/prices-history` serves (`served`): the full grid; only 12-hour points for markets that
 * closed more than {@link COARSE_AFTER_DAYS} days before the anchor (reports of the venue's
 * coarse history for old resolved markets); nothing for 2% of markets.
 *
 * @example
 * ```ts
 * import { ClosedHistory } from "./history.ts";
 * const h = new ClosedHistory({ count: 20_000, seed: 1, now: Date.UTC(2026, 11, 1) });
 * const m = h.market(17);
 * h.series(17).quoteUnits.length; // m.steps + 1
 * ```
 */
import { Random } from "./_random.ts";
import { drawHiddenPath, drawWinner, type HiddenPath, NormalSource } from "./hidden_path.ts";
import { HISTORY_DOMAINS, type HistoryDomain, lagMinutes, quoteUnits } from "./price_distortion.ts";

/**
 * First Gamma market id of the history: below every live market's (500,000 + index), as the
 * venue's closed markets are older than its open ones, so newest-first listings reach the live
 * universe first.
 */
export const HISTORY_MARKET_ID_BASE = 10_000;
/** First Gamma event id of the history (an event's id is this + its first member's index). */
export const HISTORY_EVENT_ID_BASE = 1_000_000;
/** Most markets a history holds (its ids stay below the live universe's). */
export const HISTORY_MAX_MARKETS = 480_000;
/** Markets closed longer ago than this serve 12-hour price points only. */
export const COARSE_AFTER_DAYS = 180;
/** Most grid steps of one market's path (its grid step grows with its life). */
export const MAX_STEPS = 720;
/** Fidelity (minutes) of a coarse history. */
export const COARSE_FIDELITY_MINUTES = 720;

const DAY = 86_400_000;
const MINUTE = 60_000;
const BLOCK = 4;
const SALT = {
  block: 0x0b10c,
  event: 0xe7e47,
  market: 0x3a7e7,
  winner: 0x3177e,
  path: 0x9a7a,
} as const;
const NAMES = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Hazel", "Juniper", "Larch"];
const TAG_IDS: Record<HistoryDomain, string> = { politics: "2", sports: "1", crypto: "21" };

/** Which price history the venue still serves for a market. */
export type ServedHistory = "full" | "coarse" | "none";

/** One closed market's static facts. */
export interface HistoryMarket {
  index: number;
  id: string;
  conditionId: string;
  questionId: string;
  /** [Yes, No]. */
  tokenIds: [string, string];
  question: string;
  slug: string;
  domain: HistoryDomain;
  tagId: string;
  /** Index of the event's first member (the event key). */
  eventIndex: number;
  eventId: string;
  /** Position in its neg-risk group, 0 for a binary event. */
  member: number;
  negRiskMarketId: string;
  negRiskRequestId: string;
  groupItemTitle: string;
  startMs: number;
  endMs: number;
  closedMs: number;
  stepMinutes: number;
  /** Grid steps: the series has steps + 1 points. */
  steps: number;
  lagSteps: number;
  tickUnits: number;
  liquidity: number;
  volume: number;
  served: ServedHistory;
  /** True when Yes won. */
  yesWon: boolean;
}

/** One event: a binary market alone, or a neg-risk group. */
export interface HistoryEvent {
  index: number;
  id: string;
  title: string;
  slug: string;
  domain: HistoryDomain;
  negRisk: boolean;
  negRiskMarketId: string;
  memberIndexes: number[];
  startMs: number;
  endMs: number;
  closedMs: number;
}

/** A market's hidden Yes probability and quoted Yes price at every grid point. */
export interface MarketSeries {
  /** Unix ms of each point. */
  timesMs: Float64Array;
  hidden: Float64Array;
  /** Quoted Yes price in 1e-4 units (the No token is quoted 10,000 − this). */
  quoteUnits: Int32Array;
}

/** Options of {@link ClosedHistory}. */
export interface ClosedHistoryOptions {
  count: number;
  seed: number;
  /** Reference instant (ms); floored to the day, so a restart on the same day agrees. */
  now: number;
}

interface EventDraw {
  event: HistoryEvent;
  prior: number[];
  information: number;
  winner: number;
  steps: number;
  stepMinutes: number;
}

/** A lazily computed closed history. */
export class ClosedHistory {
  readonly count: number;
  readonly seed: number;
  /** The anchor instant (ms, a day boundary) everything is placed before. */
  readonly anchorMs: number;
  readonly #paths = new Map<number, HiddenPath>();
  readonly #events = new Map<number, EventDraw>();
  readonly #markets = new Map<number, Readonly<HistoryMarket>>();

  /** Describes the history; draws nothing yet. */
  constructor(options: ClosedHistoryOptions) {
    if (!Number.isInteger(options.count) || options.count < 0) {
      throw new RangeError(`closedMarkets must be a non-negative integer, got ${options.count}`);
    }
    if (options.count > HISTORY_MAX_MARKETS) {
      throw new RangeError(`closedMarkets must be at most ${HISTORY_MAX_MARKETS}`);
    }
    this.count = options.count;
    this.seed = options.seed;
    this.anchorMs = Math.floor(options.now / DAY) * DAY;
  }

  /** Index of the first member of the event market `index` belongs to. */
  eventIndexOf(index: number): number {
    const block = Math.floor(index / BLOCK);
    const size = this.#groupSize(block);
    return size > 0 && index - block * BLOCK < size ? block * BLOCK : index;
  }

  /** The event that starts at `index`, or null when `index` is a later group member. */
  eventAt(index: number): HistoryEvent | null {
    this.#check(index);
    return this.eventIndexOf(index) === index ? this.#eventDraw(index).event : null;
  }

  /** The market at `index` (0 ≤ index < count); the last few thousand are kept. */
  market(index: number): Readonly<HistoryMarket> {
    const known = this.#markets.get(index);
    if (known !== undefined) return known;
    const m = Object.freeze(this.#drawMarket(index));
    remember(this.#markets, index, m, 4096);
    return m;
  }

  #drawMarket(index: number): HistoryMarket {
    this.#check(index);
    const draw = this.#eventDraw(this.eventIndexOf(index));
    const e = draw.event;
    const member = index - e.index;
    const r = new Random(mix(this.seed, index, SALT.market));
    const liquidity = Math.round(10 ** (2 + 4 * r.next()) * 100) / 100;
    const volume = Math.round(liquidity * (2 + 48 * r.next()) * 100) / 100;
    const tickUnits = r.chance(0.2) ? 10 : 100;
    const none = r.chance(0.02);
    const coarse = e.closedMs < this.anchorMs - COARSE_AFTER_DAYS * DAY;
    const title = e.negRisk ? `${NAMES[(index + e.index) % NAMES.length]} ${member}` : "";
    const question = e.negRisk ? `Will ${title} win? (${e.title})` : e.title;
    return {
      index,
      id: String(HISTORY_MARKET_ID_BASE + index),
      conditionId: `0x${r.hex(56)}${index.toString(16).padStart(8, "0")}`,
      questionId: e.negRisk
        ? e.negRiskMarketId.slice(0, 64) + member.toString(16).padStart(2, "0")
        : `0x${r.hex(64)}`,
      tokenIds: [0, 1].map((o) => `${r.digits(67)}${String(index).padStart(9, "0")}${o}`) as [
        string,
        string,
      ],
      question,
      slug: `sim-closed-${HISTORY_MARKET_ID_BASE + index}`,
      domain: e.domain,
      tagId: TAG_IDS[e.domain],
      eventIndex: e.index,
      eventId: e.id,
      member,
      negRiskMarketId: e.negRiskMarketId,
      negRiskRequestId: e.negRisk ? `0x${r.hex(64)}` : "",
      groupItemTitle: title,
      startMs: e.startMs,
      endMs: e.endMs,
      closedMs: e.closedMs,
      stepMinutes: draw.stepMinutes,
      steps: draw.steps,
      lagSteps: Math.round(lagMinutes(liquidity) / draw.stepMinutes),
      tickUnits,
      liquidity,
      volume,
      served: none ? "none" : coarse ? "coarse" : "full",
      yesWon: draw.winner === member,
    };
  }

  /** The market's hidden path and quotes (the event's path is drawn once and kept a while). */
  series(index: number): MarketSeries {
    const m = this.market(index);
    const hidden = this.#path(m.eventIndex).probabilities[m.member];
    const n = m.steps + 1;
    const timesMs = new Float64Array(n);
    const quotes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      timesMs[i] = m.startMs + i * m.stepMinutes * MINUTE;
      quotes[i] = quoteUnits(m.domain, hidden[Math.max(0, i - m.lagSteps)], m.tickUnits);
    }
    return { timesMs, hidden, quoteUnits: quotes };
  }

  /** Index of a history market by Gamma id, or null. */
  indexOfId(id: string): number | null {
    if (!/^[1-9]\d*$/.test(id)) return null;
    const index = Number(id) - HISTORY_MARKET_ID_BASE;
    return Number.isInteger(index) && index >= 0 && index < this.count ? index : null;
  }

  /** Index of the event with Gamma id `id` (its first member), or null. */
  eventIndexOfId(id: string): number | null {
    if (!/^[1-9]\d*$/.test(id)) return null;
    const index = Number(id) - HISTORY_EVENT_ID_BASE;
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return null;
    return this.eventIndexOf(index) === index ? index : null;
  }

  /** Where a token id sits in the history, or null. */
  token(tokenId: string): { index: number; outcome: 0 | 1 } | null {
    const match = /^\d{67}(\d{9})([01])$/.exec(tokenId);
    if (match === null) return null;
    const index = Number(match[1]);
    if (index >= this.count) return null;
    const outcome = Number(match[2]) as 0 | 1;
    return this.market(index).tokenIds[outcome] === tokenId ? { index, outcome } : null;
  }

  /** Index of a history market by condition id, or null. */
  indexOfCondition(conditionId: string): number | null {
    const match = /^0x[0-9a-f]{56}([0-9a-f]{8})$/.exec(conditionId.toLowerCase());
    if (match === null) return null;
    const index = parseInt(match[1], 16);
    if (index >= this.count) return null;
    return this.market(index).conditionId === conditionId.toLowerCase() ? index : null;
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`No history market ${index} (history holds ${this.count})`);
    }
  }

  /** Members of the neg-risk group in block `block` (0: no group). */
  #groupSize(block: number): number {
    const r = new Random(mix(this.seed, block, SALT.block));
    if (!r.chance(0.2)) return 0;
    const size = Math.min(r.chance(0.5) ? 3 : 4, this.count - block * BLOCK);
    return size >= 3 ? size : 0;
  }

  #eventDraw(first: number): EventDraw {
    const known = this.#events.get(first);
    if (known !== undefined) return known;
    const block = Math.floor(first / BLOCK);
    const size = first === block * BLOCK ? this.#groupSize(block) : 0;
    const r = new Random(mix(this.seed, first, SALT.event));
    const normal = new NormalSource(r);
    const negRisk = size > 0;
    const domain: HistoryDomain = negRisk
      ? (r.chance(0.5) ? "politics" : "sports")
      : HISTORY_DOMAINS[r.int(HISTORY_DOMAINS.length)];
    const endMs = this.anchorMs - Math.round((3 + 362 * r.next()) * 144) * 10 * MINUTE;
    const lifeMinutes = (1 + 59 * r.next()) * 1440;
    const stepMinutes = Math.max(10, Math.ceil(lifeMinutes / MAX_STEPS / 10) * 10);
    const steps = Math.max(1, Math.round(lifeMinutes / stepMinutes));
    const closedMs = endMs + r.range(1, 48) * 3_600_000;
    let prior: number[];
    if (negRisk) {
      const w = Array.from({ length: size }, () => Math.exp(normal.next()));
      const total = w.reduce((s, x) => s + x, 0);
      prior = w.map((x) => x / total);
    } else {
      const p = 1 / (1 + Math.exp(-1.5 * normal.next()));
      prior = [p, 1 - p];
    }
    const information = 6 + 10 * r.next();
    const name = `${NAMES[first % NAMES.length]} ${first}`;
    const title = negRisk
      ? `Who will win the ${name} ${domain === "politics" ? "election" : "cup"}?`
      : domain === "politics"
      ? `Will the ${name} bill pass?`
      : domain === "sports"
      ? `Will ${name} win their match?`
      : `Will the ${name} token close above its strike?`;
    const event: HistoryEvent = {
      index: first,
      id: String(HISTORY_EVENT_ID_BASE + first),
      title,
      slug: `sim-closed-event-${HISTORY_EVENT_ID_BASE + first}`,
      domain,
      negRisk,
      negRiskMarketId: negRisk ? `0x${r.hex(62)}00` : "",
      memberIndexes: Array.from({ length: Math.max(1, size) }, (_, j) => first + j),
      startMs: endMs - steps * stepMinutes * MINUTE,
      endMs,
      closedMs,
    };
    const winner = drawWinner(new Random(mix(this.seed, first, SALT.winner)), prior);
    const draw = { event, prior, information, winner, steps, stepMinutes };
    remember(this.#events, first, draw, 4096);
    return draw;
  }

  #path(first: number): HiddenPath {
    const known = this.#paths.get(first);
    if (known !== undefined) return known;
    const d = this.#eventDraw(first);
    const path = drawHiddenPath(new Random(mix(this.seed, first, SALT.path)), {
      prior: d.prior,
      steps: d.steps,
      information: d.information,
      winner: d.winner,
    });
    remember(this.#paths, first, path, 256);
    return path;
  }
}

/** Keeps `value` in a bounded insertion-ordered cache. */
function remember<T>(cache: Map<number, T>, key: number, value: T, capacity: number): void {
  if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}

/** A 32-bit seed for stream `salt` of item `index` (murmur3 finaliser). */
function mix(seed: number, index: number, salt: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ salt) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
