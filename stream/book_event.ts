/**
 * `BookEvent`: the order-book side of the market websocket as one in-process event type, the
 * scanner's only input. The live listener turns parsed websocket messages into these
 * (`bookEventsOf`); a replay of the recorded stream (issue 15) or an NDJSON capture
 * (`stream/capture.ts`) yields the same events in arrival order, so the very same consumer runs
 * live and over history.
 *
 * Every event carries the token, the venue's timestamp, the local receive time, the connection
 * it came on and a sequence number that orders events of one process (arrival order).
 * Prices and sizes stay decimal text.
 *
 * @example
 * ```ts
 * import { bookEventsOf } from "./book_event.ts";
 * const events = bookEventsOf(messages, { connection: 3, nextSequence: () => seq++ });
 * ```
 */
import type { WsMessage } from "../polymarket/ws_schema.ts";

/** One level as the venue prints it, after normalisation ("0.5", never ".5"). */
export interface LevelChange {
  readonly price: string;
  readonly size: string;
  /** BUY = bid side, SELL = ask side. */
  readonly side: "BUY" | "SELL";
}

interface EventBase {
  readonly tokenId: string;
  /** Venue timestamp, unix ms. */
  readonly exchangeTs: number;
  /** Local receive time, unix ms (the scanner's clock). */
  readonly receivedAt: number;
  /** The websocket connection the event came on (freshness is per connection). */
  readonly connection: number;
  /** Arrival order within one process (replays keep it). */
  readonly sequence: number;
}

/** A full book: replaces the token's book and opens its gate. Levels best first. */
export interface BookSnapshotEvent extends EventBase {
  readonly kind: "book";
  readonly bids: readonly (readonly [price: string, size: string])[];
  readonly asks: readonly (readonly [price: string, size: string])[];
  /** The book's tick size when the message carries one. */
  readonly tickSize: string | null;
}

/** Levels set on one token by one `price_change` message ("0" deletes a level). */
export interface PriceChangeEvent extends EventBase {
  readonly kind: "price_change";
  readonly changes: readonly LevelChange[];
}

/** The token's tick size changed: its book is closed until the next snapshot. */
export interface TickSizeChangeEvent extends EventBase {
  readonly kind: "tick_size_change";
  readonly newTickSize: string;
}

/**
 * Why a token's book is not known from here on until its next snapshot: its recorded segment
 * ended (unsubscribed, process stopped), an outage in the gap ledger began, or its market
 * resolved (then for good: no later snapshot reopens it).
 */
export type BookClosedReason = "segment_end" | "gap" | "resolved";

/** The token's book is unknown from this instant: no consumer may carry it forward. */
export interface BookClosedEvent extends EventBase {
  readonly kind: "book_closed";
  readonly reason: BookClosedReason;
}

export type BookEvent =
  | BookSnapshotEvent
  | PriceChangeEvent
  | TickSizeChangeEvent
  | BookClosedEvent;

/** Where book events go; must be cheap and must not throw. */
export type BookSink = (event: BookEvent) => void;

/**
 * The book events of one frame's messages, in message order; a `price_change` carrying several
 * tokens gives one event per token (levels in wire order); a `market_resolved` closes each of
 * its tokens' books for good (`book_closed`, reason `resolved`). Other kinds give nothing.
 * `accept` filters tokens (the listener forwards only tokens some consumer watches).
 */
export function bookEventsOf(
  messages: readonly WsMessage[],
  meta: {
    readonly connection: number;
    readonly nextSequence: () => number;
    readonly accept?: (tokenId: string) => boolean;
  },
): BookEvent[] {
  const out: BookEvent[] = [];
  const accept = meta.accept ?? (() => true);
  for (const m of messages) {
    if (m.kind === "book") {
      const b = m.book;
      if (!accept(b.tokenId)) continue;
      out.push({
        kind: "book",
        tokenId: b.tokenId,
        exchangeTs: b.timestamp,
        receivedAt: b.receivedAt,
        connection: meta.connection,
        sequence: meta.nextSequence(),
        bids: b.bids.map((l) => [l.price, l.size] as const),
        asks: b.asks.map((l) => [l.price, l.size] as const),
        tickSize: b.tickSize,
      });
    } else if (m.kind === "price_change") {
      // Most tokens are not watched: the map is made only for a message that has one.
      let byToken: Map<string, LevelChange[]> | null = null;
      for (const c of m.changes) {
        if (!accept(c.tokenId)) continue;
        byToken ??= new Map();
        let list = byToken.get(c.tokenId);
        if (list === undefined) byToken.set(c.tokenId, list = []);
        list.push({ price: c.price, size: c.size, side: c.side });
      }
      if (byToken === null) continue;
      for (const [tokenId, changes] of byToken) {
        out.push({
          kind: "price_change",
          tokenId,
          exchangeTs: m.timestamp,
          receivedAt: m.receivedAt,
          connection: meta.connection,
          sequence: meta.nextSequence(),
          changes,
        });
      }
    } else if (m.kind === "tick_size_change") {
      if (!accept(m.tokenId)) continue;
      out.push({
        kind: "tick_size_change",
        tokenId: m.tokenId,
        exchangeTs: m.timestamp,
        receivedAt: m.receivedAt,
        connection: meta.connection,
        sequence: meta.nextSequence(),
        newTickSize: m.newTickSize,
      });
    } else if (m.kind === "market_resolved") {
      for (const tokenId of m.tokenIds) {
        if (!accept(tokenId)) continue;
        out.push({
          kind: "book_closed",
          tokenId,
          exchangeTs: m.timestamp,
          receivedAt: m.receivedAt,
          connection: meta.connection,
          sequence: meta.nextSequence(),
          reason: "resolved",
        });
      }
    }
  }
  return out;
}
