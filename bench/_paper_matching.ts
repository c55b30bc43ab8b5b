/**
 * The paper matcher over a realistic book stream (issue 29 target: ≥ 500,000 book events/s
 * while matching 1,000 resting orders). The stream is the simulator's realistic activity model
 * (docs/activity_model.md) on 2,000 markets: one `book` per token, then the model's mix of
 * `price_change`s (the busiest markets carry most of them), serialised as the venue's frames,
 * parsed (`parseWsFrame`) and turned into `BookEvent`s (`bookEventsOf`) as the listener does.
 * Generation and parsing are not timed; only `PaperMatcher.onBookEvent` (and the submits that
 * keep 1,000 orders resting) is.
 *
 * The 1,000 orders sit on the 500 busiest tokens of the stream, one BUY at the best bid and one
 * SELL at the best ask of each, so most events touch a token with orders of ours (the costly
 * path: queue arithmetic and crossing checks), not the cheap one. An order that fills or is
 * canceled is replaced at the token's best price at once (as soon as that side of its book has
 * a level), so about 1,000 stay resting throughout: `minResting` says how few at worst.
 *
 * @example
 * ```ts ignore
 * import { paperMatchingRate } from "./_paper_matching.ts";
 * const { eventsPerSecond } = await paperMatchingRate();
 * ```
 */
import type { BrokerEvent, Side } from "../execution/broker.ts";
import { PaperMatcher } from "../execution/paper_matcher.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { type BookEvent, bookEventsOf } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { ActivityModel } from "../simulator/activity_model.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { wsBook } from "../simulator/ws_messages.ts";

const MARKETS = 2_000;
/** Events made at a time: small enough to die young (a chunk that outlives a scavenge is moved to
 * the old generation, whose collection then lands in the timed loop). */
const CHUNK_EVENTS = 10_000;
/** Events that open the books, untimed; the busiest tokens among them get the orders. */
const OPENING_EVENTS = 100_000;
const START = Date.UTC(2026, 11, 1);

export interface PaperMatchingOptions {
  /** Book events fed through the matcher (default 1,000,000). */
  readonly events?: number;
  /** Orders kept resting (default 1,000; two per token). */
  readonly resting?: number;
  /**
   * Which tokens get them: `busiest` (default: the stream's busiest, so nearly every event
   * touches an order, the costly path) or `spread` (tokens drawn evenly over all the books).
   */
  readonly placement?: "busiest" | "spread";
}

export interface PaperMatchingRate {
  readonly eventsPerSecond: number;
  /** Events timed (the opening chunk of snapshots is not). */
  readonly events: number;
  /** Orders resting when timing began. */
  readonly resting: number;
  /** The fewest resting at any point of the timed run (a filled order waits for a book side). */
  readonly minResting: number;
  readonly fills: number;
  /** Share of the stream's events on a token with orders of ours. */
  readonly touchedShare: number;
  /** The same events into `L2Books` (exact books, no orders), timed in the same run. */
  readonly baselineEventsPerSecond: number;
}

/** Book events per second through the matcher with `resting` orders on the busiest tokens. */
export async function paperMatchingRate(
  options: PaperMatchingOptions = {},
): Promise<PaperMatchingRate> {
  const total = options.events ?? 1_000_000;
  const restingTarget = options.resting ?? 1_000;
  const stream = bookStream();
  const matcher = new PaperMatcher({
    feeOf: () => ({ rate: "0.05", exponent: 1, takerOnly: true }),
  });
  let fills = 0;
  let fed = 0;
  let clientId = 0;
  /** Tokens that still need an order on a side (book gated, or no level there yet). */
  const wanting = new Map<string, Side[]>();
  let live = 0;
  let minLive = Infinity;
  const place = (tokenId: string, side: Side, at: number): boolean => {
    const best = matcher.best(tokenId, side === "BUY" ? "bids" : "asks");
    if (best === null) return false;
    const result = matcher.submit({
      clientOrderId: `b-${clientId++}`,
      tokenId,
      side,
      orderType: "GTC",
      price: best,
      size: "25",
      postOnly: true,
      expiration: null,
    }, at);
    if (result.ok && result.order.status === "LIVE") live++;
    return result.ok;
  };
  const want = (tokenId: string, side: Side) => {
    const sides = wanting.get(tokenId);
    if (sides === undefined) wanting.set(tokenId, [side]);
    else sides.push(side);
  };
  const onResult = (events: readonly BrokerEvent[]) => {
    for (const e of events) {
      if (e.kind === "fill") fills++;
      else if (e.order.status !== "LIVE") {
        live--;
        want(e.order.tokenId, e.order.side);
      }
    }
  };
  /** Event time of the next placement attempt per token: once a second, not every event. */
  const nextTry = new Map<string, number>();
  const retry = (tokenId: string, at: number) => {
    if ((nextTry.get(tokenId) ?? 0) > at) return;
    nextTry.set(tokenId, at + 1_000);
    const sides = wanting.get(tokenId)!;
    const left = sides.filter((side) => !place(tokenId, side, at));
    if (left.length === 0) wanting.delete(tokenId);
    else wanting.set(tokenId, left);
  };

  // The first chunk opens the books (untimed); orders go on its busiest tokens.
  const opening: BookEvent[] = [];
  while (opening.length < OPENING_EVENTS) {
    opening.push(...((await stream.next()).value as BookEvent[]));
  }
  const counts = new Map<string, number>();
  for (const e of opening) counts.set(e.tokenId, (counts.get(e.tokenId) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([tokenId]) => tokenId);
  const tokens = Math.ceil(restingTarget / 2);
  const busiest = options.placement === "spread"
    ? ranked.filter((_, i) => i % Math.max(1, Math.floor(ranked.length / tokens)) === 0)
      .slice(0, tokens)
    : ranked.slice(0, tokens);
  const watched = new Set(busiest);
  for (const e of opening) matcher.onBookEvent(e);
  const openedAt = opening.at(-1)!.receivedAt;
  for (const tokenId of busiest) {
    for (const side of ["BUY", "SELL"] as const) {
      if (!place(tokenId, side, openedAt)) want(tokenId, side);
    }
  }
  const placed = matcher.openOrders().length;
  // Baseline in the same run, on each chunk just before the matcher: the same events into
  // L2Books, the scanner's exact books. Chunks are made one at a time, so the heap stays small
  // (a million events held at once made the collector's marking most of the timed work).
  const books = new L2Books();
  for (const e of opening) books.apply(e);
  let seconds = 0;
  let baselineSeconds = 0;
  let touched = 0;
  while (fed < total) {
    const chunk = (await stream.next()).value as BookEvent[];
    const n = Math.min(chunk.length, total - fed);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) books.apply(chunk[i]!);
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const event = chunk[i]!;
      const events = matcher.onBookEvent(event);
      if (events.length > 0) {
        onResult(events);
        if (live < minLive) minLive = live;
      }
      if (wanting.size > 0 && wanting.has(event.tokenId)) retry(event.tokenId, event.receivedAt);
    }
    seconds += (performance.now() - t) / 1000;
    baselineSeconds += (t - t0) / 1000;
    for (let i = 0; i < n; i++) if (watched.has(chunk[i]!.tokenId)) touched++;
    fed += n;
  }
  return {
    eventsPerSecond: fed / seconds,
    events: fed,
    resting: placed,
    minResting: Math.min(minLive, placed),
    fills,
    touchedShare: touched / fed,
    baselineEventsPerSecond: fed / baselineSeconds,
  };
}

/** Chunks of about CHUNK_EVENTS book events of the realistic model, in arrival order. */
async function* bookStream(): AsyncGenerator<BookEvent[]> {
  let nowMs = START;
  const universe = createUniverse({ markets: MARKETS, seed: 29, now: START });
  const world = new World(universe, { seed: 29, now: () => nowMs, tradeCapacity: 1 });
  const model = new ActivityModel(universe.markets.length, universe.seed);
  let sequence = 0;
  const meta = { connection: 1, nextSequence: () => sequence++ };
  const eventsOf = (messages: unknown[], at: number) =>
    bookEventsOf(parseWsFrame(JSON.stringify(messages), at).messages, meta);
  let chunk: BookEvent[] = [];
  for (const m of universe.markets.filter((m) => m.status === "open")) {
    chunk.push(...eventsOf([0, 1].map((o) => wsBook(m, world.book(m), o as 0 | 1)), nowMs));
  }
  // Whole milliseconds, as the venue stamps; 100 activity events a frame.
  const stepMs = (100 * 1000) / model.eventsPerSecond;
  for (let step = 1;; step++) {
    nowMs = START + Math.round(step * stepMs);
    const messages = world.stepRealistic(model, 100).map((e) => e.message);
    chunk.push(...eventsOf(messages, nowMs + 30));
    if (chunk.length >= CHUNK_EVENTS) {
      yield chunk;
      chunk = [];
      await Promise.resolve();
    }
  }
}
