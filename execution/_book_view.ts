/**
 * The playbooks' view of the scanner's books (`BookView`), and the NO book as the mirror of the
 * YES book. The venue keeps one book per condition: a NO ask at 1 − p is a YES bid at p, with
 * the same size. The scanner keeps YES books only; the playbook and the paper broker read the
 * NO side through this mirror (a recorded stream also carries the mirrored rows; a capture or
 * the planted scenario does not, so the paper run mirrors them itself: `mirrorEvent`).
 */
import { mirrorLadder, parseLadder } from "../edge/book_walk.ts";
import { formatDec, ONE, parseDec } from "../edge/decimal.ts";
import { parseFee } from "../edge/fees.ts";
import type { BookEvent } from "../stream/book_event.ts";
import type { L2Books } from "../stream/l2_book.ts";
import type { RelationSet } from "../scanner/relation_set.ts";
import type { BookView, TokenBook } from "./playbook.ts";

/** A `BookView` over the scanner's YES books, NO tokens mirrored; null while gated or unknown. */
export function scannerBookView(books: L2Books, set: RelationSet): BookView {
  return (tokenId) => {
    const market = set.marketOf(tokenId);
    if (market === undefined) return null;
    const book = books.book(market.yesTokenId);
    const fee = parseFee(market.fee);
    const fresh = books.freshness(market.yesTokenId);
    if (book === null || fee === null || fresh === null) return null;
    const seenAt = Math.max(fresh.changedAt, books.connectionSeenAt(fresh.connection));
    const tick = parseDec(books.tickSize(market.yesTokenId) ?? market.tickSize);
    const asks = parseLadder(book.asks, tick);
    const bids = parseLadder(book.bids, tick);
    if (asks === null || bids === null) return null;
    const view: TokenBook = tokenId === market.yesTokenId
      ? { asks, bids: [...bids].reverse(), changedAt: fresh.changedAt, seenAt, tick, fee }
      : {
        asks: mirrorLadder(bids),
        bids: mirrorLadder(asks).reverse(),
        changedAt: fresh.changedAt,
        seenAt,
        tick,
        fee,
      };
    return view;
  };
}

/** 1 − p as text; the few prices of a tick grid are worked out once each. */
const mirrored = new Map<string, string>();
function mirrorPrice(price: string): string {
  let text = mirrored.get(price);
  if (text === undefined) {
    text = formatDec(ONE - parseDec(price));
    if (mirrored.size < 100_000) mirrored.set(price, text);
  }
  return text;
}

/** The same event on the market's other token: sides swapped, prices 1 − p, sizes kept. */
export function mirrorEvent(event: BookEvent, otherToken: string): BookEvent {
  switch (event.kind) {
    case "book": {
      const flip = (levels: typeof event.bids) =>
        levels.map(([p, s]) => [mirrorPrice(p), s] as const);
      return { ...event, tokenId: otherToken, bids: flip(event.asks), asks: flip(event.bids) };
    }
    case "price_change":
      return {
        ...event,
        tokenId: otherToken,
        changes: event.changes.map((c) => ({
          price: mirrorPrice(c.price),
          size: c.size,
          side: c.side === "BUY" ? "SELL" : "BUY",
        })),
      };
    default:
      return { ...event, tokenId: otherToken };
  }
}
