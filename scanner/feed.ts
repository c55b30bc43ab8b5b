/**
 * The in-process link from the websocket listener to the scanner (the only link between the
 * two tasks, like the resolution inbox): the listener asks which tokens are watched and pushes
 * their book events; the scanner task attaches its `Scanner` when it starts and detaches when
 * it stops. While nothing is attached, no token is watched and the listener does no extra work.
 * On attach, the watched tokens are resubscribed so that each book starts from a snapshot.
 * Taps (the live paper executor's paper broker) receive every frame the consumer received,
 * after it: the scanner's path is unchanged, and a tap that wants to do work defers it.
 *
 * @example
 * ```ts
 * import { createScannerFeed } from "./feed.ts";
 * const feed = createScannerFeed();
 * // runTradesCollector({ ...deps, bookFeed: feed }, signal); runScanner({ ...deps, feed }, signal);
 * ```
 */
import type { BookFeed } from "../collectors/trades.ts";
import type { BookEvent } from "../stream/book_event.ts";

/** What the feed drives: the scanner, plus an optional tap (the NDJSON capture). */
export interface FeedConsumer {
  watches(tokenId: string): boolean;
  push(event: BookEvent): void;
  resubscribed(tokenIds: readonly string[]): void;
}

export interface ScannerFeed extends BookFeed {
  /** Starts feeding `consumer` and asks the listener for fresh snapshots of `tokens`. */
  attach(consumer: FeedConsumer, tokens: readonly string[]): void;
  /** Asks for fresh snapshots (newly watched tokens after a relation reload). */
  resync(tokens: readonly string[]): void;
  detach(consumer: FeedConsumer): void;
  /**
   * Also hands every frame pushed to the consumer to `listener`, after the consumer; it must be
   * cheap and not throw. Returns the function that stops it.
   */
  tap(listener: (events: readonly BookEvent[]) => void): () => void;
  /** Events pushed since start. */
  readonly events: number;
}

export function createScannerFeed(): ScannerFeed {
  let consumer: FeedConsumer | null = null;
  let resync: ((tokenIds: readonly string[]) => void) | null = null;
  let pending: readonly string[] = [];
  let events = 0;
  const taps = new Set<(events: readonly BookEvent[]) => void>();
  return {
    get events() {
      return events;
    },
    watches: (tokenId) => consumer !== null && consumer.watches(tokenId),
    push(list) {
      if (consumer === null) return;
      events += list.length;
      for (const event of list) consumer.push(event);
      for (const tap of taps) tap(list);
    },
    resubscribed(tokenIds) {
      consumer?.resubscribed(tokenIds);
    },
    bindResync(fn) {
      resync = fn;
      if (fn !== null && pending.length > 0) {
        fn(pending);
        pending = [];
      }
    },
    attach(next, tokens) {
      consumer = next;
      this.resync(tokens);
    },
    resync(tokens) {
      if (resync === null) pending = [...pending, ...tokens];
      else resync(tokens);
    },
    detach(current) {
      if (consumer === current) consumer = null;
    },
    tap(listener) {
      taps.add(listener);
      return () => void taps.delete(listener);
    },
  };
}
