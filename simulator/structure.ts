/**
 * The simulated universe's market structure and metadata: fee schedules per category (with
 * scheduled changes), rules texts, sports games, and event shapes the relations milestone must
 * recover — plain and augmented neg-risk groups (placeholders and an "Other" member), date
 * ladders and threshold ladders. Drawn from its own random stream after the base universe is
 * built, so ids, prices and statuses stay exactly what the seed gave before.
 *
 * @example
 * ```ts
 * import { feeScheduleAt } from "./structure.ts";
 * const rate = { rate: "0.04", exponent: "1", takerOnly: true, rebateRate: "0.25" };
 * feeScheduleAt({ feeSchedule: rate, feeChange: null }, 0)?.rate; // "0.04"
 * ```
 */
import { Random } from "./_random.ts";

/** A market's taker fee parameters (Gamma `feeSchedule`). Decimal strings. */
export interface SimFeeSchedule {
  rate: string;
  exponent: string;
  takerOnly: boolean;
  rebateRate: string;
}

/** A game a sports market belongs to. */
export interface SimSports {
  gameId: string;
  sportsMarketType: "moneyline" | "spreads" | "totals";
  /** Signed decimal text, null for moneylines. */
  line: string | null;
  gameStartMs: number;
}

/** Mutable metadata of one market (the simulator's truth). */
export interface SimMarketMeta {
  category: Category;
  feeType: string | null;
  /** Fee schedule in force before `feeChange` (null: fee-free). */
  feeSchedule: SimFeeSchedule | null;
  /** A scheduled fee change: from `atMs` on, `schedule` is in force. */
  feeChange: { atMs: number; schedule: SimFeeSchedule } | null;
  rules: string;
  resolutionSource: string;
  /** The "Other" member of an augmented neg-risk group. */
  negRiskOther: boolean;
  /** A placeholder member of an augmented group (not yet clarified into a name). */
  placeholder: boolean;
  sports: SimSports | null;
  /** Resolves 50-50 on cancellation (`is_50_50_outcome`). */
  is5050: boolean;
  /**
   * How it will resolve (0 = Yes, 1 = No), drawn so that its structure holds (`fates.ts`);
   * null for a void or 50-50 market.
   */
  fate: 0 | 1 | null;
}

/** The shape of an event. */
export type SimEventKind =
  | "single"
  | "neg_risk"
  | "augmented"
  | "date_ladder"
  | "threshold_ladder"
  | "game";

/** Event-level structure. */
export interface SimEventMeta {
  kind: SimEventKind;
  negRiskAugmented: boolean;
}

/** Category fee rates and maker rebates (docs.polymarket.com/trading/fees, 2026-09-15). */
const CATEGORIES = {
  crypto: { rate: "0.07", rebateRate: "0.2", feeType: "crypto_fees" },
  sports: { rate: "0.03", rebateRate: "0.25", feeType: "sports_fees_v2" },
  politics: { rate: "0.04", rebateRate: "0.25", feeType: null },
  culture: { rate: "0.05", rebateRate: "0.25", feeType: null },
  geopolitics: { rate: "0", rebateRate: "0", feeType: null },
} as const;
export type Category = keyof typeof CATEGORIES;
const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];

/** The fee schedule of a category. */
export function categorySchedule(category: Category): SimFeeSchedule {
  const c = CATEGORIES[category];
  return { rate: c.rate, exponent: "1", takerOnly: true, rebateRate: c.rebateRate };
}

/** The schedule in force at `nowMs` (null: fee-free). */
export function feeScheduleAt(
  meta: Pick<SimMarketMeta, "feeSchedule" | "feeChange">,
  nowMs: number,
): SimFeeSchedule | null {
  if (meta.feeChange !== null && nowMs >= meta.feeChange.atMs) return meta.feeChange.schedule;
  return meta.feeSchedule;
}

/** Draws the kind of a base event (multi-market events may become ladders or a game). */
export function drawEventKind(r: Random, negRisk: boolean, size: number): SimEventKind {
  if (!negRisk) return "single";
  const roll = r.next();
  if (roll < 0.25) return "augmented";
  if (roll < 0.4) return "date_ladder";
  if (roll < 0.55) return "threshold_ladder";
  if (roll < 0.65 && size >= 3) return "game";
  return "neg_risk";
}

const MONTHS = ["March 31", "June 30", "September 30", "December 31"];
const ASSETS = ["Bitcoin", "Ethereum", "Solana"];
const DAY = 86_400_000;

/** One member's structural overrides: titles, question, neg-risk flags, end date, sports. */
export interface MemberShape {
  question: string;
  groupItemTitle: string;
  groupItemThreshold: string;
  negRisk: boolean;
  endDateMs: number | null;
  negRiskOther: boolean;
  placeholder: boolean;
  sports: SimSports | null;
}

/** Shapes member `member` of `size` in an event of `kind` (`subject` names the event). */
export function shapeMember(
  o: {
    kind: SimEventKind;
    member: number;
    size: number;
    subject: string;
    eventIndex: number;
    now: number;
  },
): MemberShape | null {
  const { kind, member, size, subject, now } = o;
  const base = { negRiskOther: false, placeholder: false, sports: null, endDateMs: null };
  if (kind === "augmented") {
    const other = member === size - 1;
    const placeholder = !other && member >= Math.max(1, size - 3);
    const title = other
      ? "Other"
      : placeholder
      ? `Person ${String.fromCharCode(65 + member)}`
      : null;
    if (title === null) return null;
    const question = other
      ? `Will another candidate win the ${subject}?`
      : `Will ${title} win the ${subject}?`;
    return {
      ...base,
      question,
      groupItemTitle: title,
      groupItemThreshold: String(member),
      negRisk: true,
      negRiskOther: other,
      placeholder,
    };
  }
  if (kind === "date_ladder") {
    const year = new Date(now).getUTCFullYear() + 1 + Math.floor(member / MONTHS.length);
    const date = `${MONTHS[member % MONTHS.length]}, ${year}`;
    return {
      ...base,
      question: `Will ${subject} happen by ${date}?`,
      groupItemTitle: `by ${date}`,
      groupItemThreshold: String(member),
      negRisk: false,
      endDateMs: now + (member + 1) * 91 * DAY,
    };
  }
  if (kind === "threshold_ladder") {
    const asset = ASSETS[subject.length % ASSETS.length];
    const strike = 80 + 10 * member;
    return {
      ...base,
      question: `Will ${asset} be above $${strike},000 at the end of the year? (${subject})`,
      groupItemTitle: `> ${strike}k`,
      groupItemThreshold: String(strike * 1000),
      negRisk: false,
      endDateMs: now + 200 * DAY,
    };
  }
  if (kind === "game") {
    const type = member === 0 ? "moneyline" : member % 2 === 1 ? "spreads" : "totals";
    const line = type === "moneyline"
      ? null
      : type === "spreads"
      ? `-${(member + 0.5).toFixed(1)}`
      : `${200 + 5 * member}.5`;
    const gameId = String(1_400_000 + o.eventIndex);
    const title = type === "moneyline"
      ? "Match Winner"
      : type === "spreads"
      ? `Spread ${line}`
      : `O/U ${line}`;
    return {
      ...base,
      question: `${subject}: ${title}`,
      groupItemTitle: title,
      groupItemThreshold: String(member),
      negRisk: false,
      sports: { gameId, sportsMarketType: type, line, gameStartMs: wholeSeconds(now + 2 * DAY) },
    };
  }
  return null;
}

/** The event title of a reshaped event (null: keep the base title). */
export function eventTitle(kind: SimEventKind, subject: string): string | null {
  if (kind === "date_ladder") return `When will ${subject} happen?`;
  if (kind === "threshold_ladder") return `Price ladder: ${subject}`;
  if (kind === "game") return `${subject} (game)`;
  return null;
}

function wholeSeconds(ms: number): number {
  return ms - (ms % 1000);
}

/** Draws a market's category, fee schedule and possibly a scheduled fee change. */
export function drawFees(
  r: Random,
  o: { feesEnabled: boolean; kind: SimEventKind; now: number },
): Pick<SimMarketMeta, "category" | "feeType" | "feeSchedule" | "feeChange"> {
  const category: Category = o.kind === "game"
    ? "sports"
    : o.kind === "threshold_ladder"
    ? "crypto"
    : r.pick(CATEGORY_NAMES);
  if (!o.feesEnabled) return { category, feeType: null, feeSchedule: null, feeChange: null };
  const schedule = categorySchedule(category);
  const change = r.chance(0.1)
    ? {
      atMs: o.now + r.range(1, 48) * 3_600_000,
      schedule: { ...schedule, rate: category === "crypto" ? "0.072" : "0.05" },
    }
    : null;
  return {
    category,
    feeType: CATEGORIES[category].feeType,
    feeSchedule: schedule,
    feeChange: change,
  };
}

/** The rules text of a market. */
export function rulesText(question: string, shape: MemberShape | null, is5050: boolean): string {
  const lines = [`This market will resolve to "Yes" if the answer to "${question}" is yes.`];
  if (shape?.negRiskOther) {
    lines.push(
      'It resolves "Yes" if the winner is not listed as another market in this group, ' +
        "including placeholders clarified later.",
    );
  }
  if (shape?.placeholder) {
    lines.push("This placeholder may be clarified into a named outcome at a later date.");
  }
  lines.push('Otherwise, this market will resolve to "No".');
  if (is5050) lines.push("If the event is canceled, this market will resolve 50-50.");
  return lines.join("\n\n");
}

/** A fresh random stream for structure, independent of the base universe's stream. */
export function structureRandom(seed: number): Random {
  return new Random((seed ^ 0x5f3759df) >>> 0);
}
