/**
 * Lexical relation proposals across events: no model, no network. Each question is normalised
 * (lowercase, punctuation and stopwords dropped, dates and numbers pulled out as values), pairs
 * of markets in different events are found by token overlap (Jaccard over the remaining words)
 * and a pair becomes an `implies` proposal only when the two questions say the same thing but
 * for one deadline ("by March 31" ⇒ "by June 30") or one strike with a direction word
 * ("above $100k" ⇒ "above $90k"). "Similar" alone proposes nothing.
 *
 * Candidates come from an inverted index with prefix filtering: with tokens ordered rarest
 * first, two sets with Jaccard ≥ t share a token among each one's first
 * `|s| − ceil(t·|s|) + 1` tokens, so only those are indexed and probed. Each probe reads at most
 * the newest `maxPostings` entries of a posting list, which bounds the work per market (a
 * templated series of thousands of identical questions is sampled, not compared pairwise).
 *
 * Every proposal is `proposed`: a person confirms or rejects it (`pmcollect relations review`);
 * nothing prices a proposal.
 *
 * @example
 * ```ts
 * import { proposeRelations } from "./propose.ts";
 * proposeRelations([]); // []
 * ```
 */
import type { Relation, StructuralMarket } from "./derive.ts";
import { rulesDigest } from "./_members.ts";
import { ABOVE, BELOW, DATE, NUMBER, numberValue } from "./_question_text.ts";

/** Tuning of {@link proposeRelations}. */
export interface ProposeOptions {
  /** Minimum Jaccard similarity of the word sets (default 0.8). */
  minJaccard?: number;
  /** Posting-list entries read per probed token (default 256). */
  maxPostings?: number;
  /**
   * Proposals kept per market as it is indexed (default 2): the most similar wording first,
   * then the nearest deadline or strike, so a long series proposes its neighbours rather than
   * every transitive pair.
   */
  maxPerMarket?: number;
}

const STOPWORDS = new Set(
  ("a an the will be is are of in on at to by for and or with from as it its this that " +
    "who what when which than before after end yes no").split(" "),
);
const STRIKE_BEFORE =
  /(?:above|over|greater than|more than|at least|reach|hit|below|under|less than|at most|dip to|[<>])\s*$/;
const MONTHS = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
];

/** A question reduced to words, dates and numbers. */
export interface NormalisedQuestion {
  /** Content words, sorted and unique. */
  words: string[];
  /** Dates as yyyymmdd-like sort keys (no day: end of month; no year: 0). */
  dates: { key: number; year: boolean }[];
  /** `dates[i].key`, for quick comparison. */
  dateKeys: number[];
  numbers: number[];
  /** Indexes into `numbers` right after a direction word ("above $90,000"): the strikes. */
  strikes: number[];
  deadline: boolean;
  direction: "above" | "below" | null;
}

/** Splits a question into content words, dates, numbers and its direction wording. */
export function normaliseQuestion(question: string): NormalisedQuestion {
  const lower = question.toLowerCase();
  const dates = [...lower.matchAll(DATE)].map((m) => dateKey(m[0]));
  const withoutDates = lower.replace(DATE, " ");
  const matches = [...withoutDates.matchAll(NUMBER)];
  const numbers = matches.map((m) => numberValue(m[0]));
  const strikes = matches.flatMap((m, i) =>
    STRIKE_BEFORE.test(withoutDates.slice(Math.max(0, m.index - 24), m.index)) ? [i] : []
  );
  const rest = withoutDates.replace(NUMBER, " ");
  const words = [
    ...new Set(
      rest.split(/[^a-z]+/).filter((w) => w.length > 1 && !STOPWORDS.has(w)),
    ),
  ].sort();
  const above = ABOVE.test(rest);
  const below = BELOW.test(rest);
  return {
    words,
    dates,
    dateKeys: dates.map((d) => d.key),
    numbers,
    strikes,
    deadline: /\b(?:by|before)\s+#date#/.test(lower.replace(DATE, "#date#")),
    direction: above === below ? null : above ? "above" : "below",
  };
}

function dateKey(text: string): { key: number; year: boolean } {
  const month = MONTHS.findIndex((m) => text.startsWith(m));
  const day = /\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)/.exec(text.replace(/\d{4}/, ""));
  const year = /\b(\d{4})\b/.exec(text);
  return {
    key: Number(year?.[1] ?? 0) * 10_000 + (month + 1) * 100 + Number(day?.[1] ?? 31),
    year: year !== null,
  };
}

/** Jaccard similarity of two sorted unique word lists. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  let i = 0, j = 0, both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) (both++, i++, j++);
    else if (a[i]! < b[j]!) i++;
    else j++;
  }
  const union = a.length + b.length - both;
  return union === 0 ? 0 : both / union;
}

/** `implies` proposals between markets of different events (see the module comment). */
export function proposeRelations(
  markets: readonly StructuralMarket[],
  options: ProposeOptions = {},
): Relation[] {
  const minJaccard = options.minJaccard ?? 0.8;
  const maxPostings = options.maxPostings ?? 256;
  const maxPerMarket = options.maxPerMarket ?? 2;
  const items = markets.filter((m) => m.question !== null && m.eventId !== null).map((m) => ({
    market: m,
    q: normaliseQuestion(m.question!),
  })).filter((it) => it.q.words.length > 0 && (it.q.dates.length + it.q.numbers.length) > 0);
  const df = new Map<string, number>();
  for (const it of items) for (const w of it.q.words) df.set(w, (df.get(w) ?? 0) + 1);
  const prefixes = items.map((it) => {
    const rare = [...it.q.words].sort((a, b) => df.get(a)! - df.get(b)! || (a < b ? -1 : 1));
    return rare.slice(0, it.q.words.length - Math.ceil(minJaccard * it.q.words.length) + 1);
  });
  const index = new Map<string, number[]>();
  const out: Relation[] = [];
  items.forEach((it, i) => {
    const seen = new Set<number>();
    const found: Candidate[] = [];
    for (const w of prefixes[i]!) {
      const postings = index.get(w) ?? [];
      // The newest entries: a long series is compared with its latest listings.
      for (let p = postings.length - 1; p >= Math.max(0, postings.length - maxPostings); p--) {
        const j = postings[p]!;
        if (seen.has(j)) continue;
        seen.add(j);
        const other = items[j]!;
        if (other.market.eventId === it.market.eventId) continue;
        const score = jaccard(it.q.words, other.q.words);
        if (score < minJaccard) continue;
        const candidate = implication(other, it, score);
        if (candidate !== null) found.push(candidate);
      }
    }
    found.sort((x, y) => y.score - x.score || x.gap - y.gap);
    for (const c of found.slice(0, maxPerMarket)) out.push(toRelation(c));
    for (const w of prefixes[i]!) {
      const list = index.get(w);
      if (list === undefined) index.set(w, [i]);
      else list.push(i);
    }
  });
  return out;
}

type Item = { market: StructuralMarket; q: NormalisedQuestion };

/** A pair worth proposing: `first` implies `second`. */
interface Candidate {
  first: Item;
  second: Item;
  reason: string;
  score: number;
  /** Relative distance of the differing deadline or strike (smaller: nearer neighbours). */
  gap: number;
}

/** The implication between two similar questions, or null when none is implied. */
function implication(a: Item, b: Item, score: number): Candidate | null {
  if (a.q.direction !== b.q.direction) return null;
  const dateDiff = differsInOne(a.q.dateKeys, b.q.dateKeys);
  const numberDiff = differsInOne(a.q.numbers, b.q.numbers);
  if (dateDiff !== null && sameList(a.q.numbers, b.q.numbers)) {
    if (!a.q.deadline || !b.q.deadline) return null;
    const [x, y] = [a.q.dates[dateDiff]!, b.q.dates[dateDiff]!];
    if (x.year !== y.year) return null;
    const [first, second] = x.key < y.key ? [a, b] : [b, a];
    const gap = Math.abs(x.key - y.key);
    return { first, second, reason: "earlier deadline implies later", score, gap };
  }
  const sameDates = sameList(a.q.dateKeys, b.q.dateKeys);
  if (numberDiff === null || !sameDates || a.q.direction === null) return null;
  if (!a.q.strikes.includes(numberDiff) || !b.q.strikes.includes(numberDiff)) return null;
  const [x, y] = [a.q.numbers[numberDiff]!, b.q.numbers[numberDiff]!];
  const higherFirst = a.q.direction === "above";
  const [first, second] = (x > y) === higherFirst ? [a, b] : [b, a];
  return {
    first,
    second,
    reason: higherFirst ? "higher threshold implies lower" : "lower threshold implies higher",
    score,
    gap: Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1),
  };
}

function toRelation(c: Candidate): Relation {
  const members = [c.first.market, c.second.market];
  return {
    key: `proposal:implies:${c.first.market.marketId}:${c.second.market.marketId}`,
    type: "implies",
    members: members.map((m) => m.marketId),
    provenance: "lexical:jaccard",
    status: "proposed",
    rulesDigest: rulesDigest(members),
    detail: {
      reason: c.reason,
      jaccard: Math.round(c.score * 1000) / 1000,
      questions: members.map((m) => m.question),
      events: members.map((m) => m.eventId),
    },
  };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The one position where two equally long lists differ, or null. */
function differsInOne(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) return null;
  let at: number | null = null;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (at !== null) return null;
    at = i;
  }
  return at;
}
