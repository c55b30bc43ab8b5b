/**
 * The dataset build both backends share: resolved candidates → one instant per horizon → the
 * as-of lookups (batched, deduplicated) → rows (`_dataset_features.ts`). A backend
 * (`DatasetSource`) only answers set-based lookups; PostgreSQL and DuckDB answer the same
 * questions with the same rules, so the two builders give identical rows.
 *
 * @example
 * ```ts ignore
 * import { buildFromSource } from "./_dataset_build.ts";
 * const { rows, excluded } = await buildFromSource(source, { horizons: [{ label: "24h", ms: 86_400_000 }] });
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import {
  BOOK_LAG_MS,
  type BookPoint,
  type Candidate,
  type GroupMember,
  PRICE_LAG_MS,
  PRICE_OFFSETS_MS,
  type PricePoint,
  toDatasetRow,
  TRADE_LAG_MS,
  TRADE_WINDOWS_MS,
  type TradeActivity,
} from "./_dataset_features.ts";

/** A parsed horizon: its label ("24h") and length. */
export interface ParsedHorizon {
  readonly label: string;
  readonly ms: number;
}

/** Markets left out, by reason (docs/models.md, "Datasets"). */
export interface DatasetExclusions {
  /** Resolved ambiguous: voided, 50-50 or an even split. */
  voided: number;
  /** Not two tokens (outcome 0 and 1). */
  notBinary: number;
  /** Resolved, but the winner is neither of its two tokens. */
  unknownWinner: number;
  /** Market-horizons with no price stored before the instant. */
  noPriceBeforeInstant: number;
}

export interface CandidateScan {
  readonly candidates: readonly Candidate[];
  readonly excluded: Omit<DatasetExclusions, "noPriceBeforeInstant">;
}

/** One price lookup: the latest snapshot of `token` with `ts <= cut`. */
export interface PriceLookup {
  readonly token: string;
  readonly cut: number;
}

/** One per-row lookup: the book, trades and metadata of a market at an instant. */
export interface RowLookup {
  readonly marketId: string;
  readonly yesToken: string;
  readonly noToken: string;
  readonly instant: number;
  /** Book snapshots with `ts <= bookCut`. */
  readonly bookCut: number;
  /**
   * Trades with `tradeFrom <= ts <= tradeUntil` (long window), `tradeFromShort` (short); both
   * starts are whole hours ({@link TRADE_WINDOWS_MS}).
   */
  readonly tradeFrom: number;
  readonly tradeFromShort: number;
  readonly tradeUntil: number;
}

export interface RowAnswer {
  readonly book: BookPoint | null;
  readonly trades: TradeActivity;
  readonly metadata: Record<string, unknown> | null;
}

/**
 * What a build reads: `all` the features; `price` the price at the instant, the neg-risk group's
 * prices and the metadata only, which is all a calibration map's forecast uses (its row's other
 * features are NaN: unknown). The forecasts read `price` unless their model reads features.
 */
export type DatasetReads = "all" | "price";

/** What a backend answers; every method is one set-based query per call. */
export interface DatasetSource {
  /** Its queries must not overlap (one DuckDB connection runs one at a time). */
  readonly serial?: boolean;
  /** Resolved markets whose resolution time is in [since, until) (ms; null = unbounded). */
  candidates(range: { since: number | null; until: number | null }): Promise<CandidateScan>;
  /**
   * Whether batches should hold markets that end near each other (series chunked by time);
   * by default they go in the candidates' order.
   */
  batchByEnd?(): Promise<boolean>;
  /** Every market of each neg-risk group key. */
  groupMembers(keys: readonly string[]): Promise<Map<string, GroupMember[]>>;
  prices(lookups: readonly PriceLookup[]): Promise<(PricePoint | null)[]>;
  rows(lookups: readonly RowLookup[]): Promise<RowAnswer[]>;
  /** The metadata alone of each lookup (its `instant` and `marketId`), as in `rows`. */
  metadata(lookups: readonly RowLookup[]): Promise<(Record<string, unknown> | null)[]>;
}

export interface BuildOptions {
  readonly horizons: readonly ParsedHorizon[];
  readonly since?: Date;
  readonly until?: Date;
  readonly signal?: AbortSignal;
  /** Market-horizons per batch of lookups (default 1,000). */
  readonly batchRows?: number;
  /** Batches in flight at once (default 2). */
  readonly concurrency?: number;
  /** What is read (default `all`). */
  readonly reads?: DatasetReads;
  /** Called after each batch with the market-horizons built so far and in all. */
  readonly onProgress?: (progress: { readonly built: number; readonly total: number }) => void;
}

export interface DatasetBuild {
  readonly rows: DatasetRow[];
  readonly excluded: DatasetExclusions;
  /** Resolved binary markets with a winner (before the no-price exclusion). */
  readonly markets: number;
}

/** Builds the dataset from a backend (see the module header). */
export async function buildFromSource(
  source: DatasetSource,
  options: BuildOptions,
): Promise<DatasetBuild> {
  const scan = await source.candidates({
    since: options.since?.getTime() ?? null,
    until: options.until?.getTime() ?? null,
  });
  const keys = [...new Set(scan.candidates.flatMap((c) => c.groupKey ?? []))].sort();
  const groups = keys.length === 0 ? new Map() : await source.groupMembers(keys);
  const excluded: DatasetExclusions = { ...scan.excluded, noPriceBeforeInstant: 0 };
  const rows: DatasetRow[] = [];
  const planned = scan.candidates.flatMap((candidate) =>
    options.horizons.map((h) => ({ candidate, horizon: h.label, instant: candidate.endAt - h.ms }))
  );
  // Small batches keep each query under PostgreSQL's JIT threshold (compiling costs more than
  // it saves here); two run at once, one per core. Where the source asks for it, a batch holds
  // markets that end near each other, all horizons of each: on series chunked by time
  // (TimescaleDB) its lookups then reach into few chunks, and a market's horizons still share
  // their lookups (in order of instants, they did not, and plain PostgreSQL did 40% more work).
  // The rows keep the candidates' order.
  const size = options.batchRows ?? 1_000;
  const endOf = (i: number) => planned[i]!.candidate.endAt;
  const order = planned.map((_, i) => i);
  if (await source.batchByEnd?.() === true) order.sort((a, b) => endOf(a) - endOf(b));
  const batches: (readonly number[])[] = [];
  for (let start = 0; start < order.length; start += size) {
    batches.push(order.slice(start, start + size));
  }
  const built: (DatasetRow | null)[] = new Array(planned.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < batches.length) {
      options.signal?.throwIfAborted();
      const batch = batches[next++]!;
      const answers = await buildBatch(
        source,
        batch.map((i) => planned[i]!),
        groups,
        options.reads ?? "all",
      );
      for (let n = 0; n < batch.length; n++) built[batch[n]!] = answers[n]!;
      done += batch.length;
      options.onProgress?.({ built: done, total: planned.length });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  for (const row of built) {
    if (row === null) excluded.noPriceBeforeInstant += 1;
    else rows.push(row);
  }
  return { rows, excluded, markets: scan.candidates.length };
}

/** The least and greatest of `value` over `items` (Unix ms; a call has at least one item). */
export function rangeOf<L>(items: readonly L[], value: (item: L) => number): [number, number] {
  let low = Infinity, high = -Infinity;
  for (const item of items) {
    const v = value(item);
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return [low, high];
}

export const HOUR_MS = 3_600_000;
/** The first whole UTC hour at or after `ms`. */
export const hourCeil = (ms: number): number => Math.ceil(ms / HOUR_MS) * HOUR_MS;
/** The whole UTC hour holding `ms`. */
export const hourFloor = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

interface Planned {
  readonly candidate: Candidate;
  readonly horizon: string;
  readonly instant: number;
}

/** The trades of a row whose build does not read them: unknown, so its features are NaN. */
const UNREAD_TRADES: TradeActivity = {
  countShort: NaN,
  notionalShort: NaN,
  countLong: NaN,
  notionalLong: NaN,
};

async function buildBatch(
  source: DatasetSource,
  batch: readonly Planned[],
  groups: ReadonlyMap<string, GroupMember[]>,
  reads: DatasetReads,
): Promise<(DatasetRow | null)[]> {
  // Price lookups, deduplicated: members of a group share their instants.
  // By token, then cut: a joined string key per lookup cost more than the lookup's row.
  const index = new Map<string, Map<number, number>>();
  const lookups: PriceLookup[] = [];
  const ask = (token: string, at: number) => {
    const cut = at - PRICE_LAG_MS;
    let cuts = index.get(token);
    if (cuts === undefined) index.set(token, cuts = new Map());
    let i = cuts.get(cut);
    if (i === undefined) {
      i = lookups.push({ token, cut }) - 1;
      cuts.set(cut, i);
    }
    return i;
  };
  const offsets = reads === "all" ? PRICE_OFFSETS_MS : PRICE_OFFSETS_MS.slice(0, 1);
  const plans = batch.map((p) => ({
    own: offsets.map((offset) => ask(p.candidate.yesToken, p.instant - offset)),
    members: (p.candidate.groupKey === null ? [] : groups.get(p.candidate.groupKey) ?? [])
      .map((member) => ({ member, at: ask(member.yesToken, p.instant) })),
  }));
  const rowLookups = batch.map((p): RowLookup => ({
    marketId: p.candidate.marketId,
    yesToken: p.candidate.yesToken,
    noToken: p.candidate.noToken,
    instant: p.instant,
    bookCut: p.instant - BOOK_LAG_MS,
    tradeFrom: hourCeil(p.instant - TRADE_WINDOWS_MS.long),
    tradeFromShort: hourCeil(p.instant - TRADE_WINDOWS_MS.short),
    tradeUntil: p.instant - TRADE_LAG_MS,
  }));
  const readRows = reads === "all"
    ? () => source.rows(rowLookups)
    : async () =>
      (await source.metadata(rowLookups)).map((metadata): RowAnswer => ({
        book: null,
        trades: UNREAD_TRADES,
        metadata,
      }));
  const [points, answers] = source.serial === true
    ? [await source.prices(lookups), await readRows()]
    : await Promise.all([source.prices(lookups), readRows()]);
  return batch.map((p, i) => {
    const plan = plans[i]!;
    const answer = answers[i]!;
    return toDatasetRow({
      candidate: p.candidate,
      horizon: p.horizon,
      instant: p.instant,
      prices: plan.own.map((j) => points[j] ?? null),
      book: answer.book,
      trades: answer.trades,
      metadata: answer.metadata,
      group: plan.members.map((m) => ({ member: m.member, point: points[m.at] ?? null })),
    });
  });
}
