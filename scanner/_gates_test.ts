import assert from "node:assert/strict";
import { L2Books } from "../stream/l2_book.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { gateOf, staleAtOf } from "./_gates.ts";
import type { ScanMarket, ScanRelation } from "./relation_set.ts";

// Each gate is tested alone: the stale case has no skew (one connection), the skew case has
// no stale leg (both well inside the age bound), so removing either gate fails one test only.
const limits = { maxBookAgeMs: 10_000, maxSkewMs: 2_000 };

function leg(id: string): ScanMarket {
  return {
    marketId: id,
    conditionId: `0x${id}`,
    yesTokenId: `${id}-yes`,
    noTokenId: `${id}-no`,
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: null,
  };
}

const relation: ScanRelation = {
  key: "a=>b",
  kind: "implication",
  complete: true,
  convertFeeBips: null,
  markets: [leg("a"), leg("b")],
};

let sequence = 0;

/** A YES book snapshot for market `id`, received at `at` on `connection`. */
function snapshot(id: string, connection: number, at: number): BookEvent {
  return {
    kind: "book",
    tokenId: `${id}-yes`,
    exchangeTs: at,
    receivedAt: at,
    connection,
    sequence: sequence++,
    bids: [["0.40", "10"]],
    asks: [["0.45", "10"]],
    tickSize: "0.01",
  };
}

function booksOf(events: readonly BookEvent[]): L2Books {
  const books = new L2Books();
  for (const event of events) books.apply(event);
  return books;
}

Deno.test("gateOf() prices legs exactly at the age and skew bounds", () => {
  // Oldest connection seen 10,000 ms ago (= maxBookAgeMs), connections 2,000 ms apart (= maxSkewMs).
  const books = booksOf([snapshot("a", 1, 0), snapshot("b", 2, 2_000)]);
  assert.equal(gateOf(relation, 10_000, { books, limits }), null);
});

Deno.test("gateOf() says stale_leg when the legs' one connection is silent past the age bound", () => {
  // Both legs on connection 1, last heard at 1,000: no skew at all, 10,001 ms old at 11,001.
  const books = booksOf([snapshot("a", 1, 1_000), snapshot("b", 1, 1_000)]);
  assert.equal(gateOf(relation, 11_000, { books, limits }), null);
  assert.equal(gateOf(relation, 11_001, { books, limits }), "stale_leg");
});

Deno.test("gateOf() says skew when fresh legs' connections are heard more than the bound apart", () => {
  // Connection 1 heard at 5,000 and connection 2 at 7,001: 3,000 and 999 ms old at 8,000, far
  // inside the age bound, but 2,001 ms apart.
  const books = booksOf([snapshot("a", 1, 5_000), snapshot("b", 2, 7_001)]);
  assert.equal(gateOf(relation, 8_000, { books, limits }), "skew");
  // A later event on connection 1 (another token) brings the legs back together.
  books.apply(snapshot("c", 1, 7_000));
  assert.equal(gateOf(relation, 8_000, { books, limits }), null);
});

Deno.test("gateOf() says gated_leg for a leg without a book or shut by a tick change", () => {
  const books = booksOf([snapshot("a", 1, 1_000)]);
  assert.equal(gateOf(relation, 1_000, { books, limits }), "gated_leg");
  books.apply(snapshot("b", 1, 1_000));
  assert.equal(gateOf(relation, 1_000, { books, limits }), null);
  books.apply({
    kind: "tick_size_change",
    tokenId: "b-yes",
    exchangeTs: 1_500,
    receivedAt: 1_500,
    connection: 1,
    sequence: sequence++,
    newTickSize: "0.001",
  });
  assert.equal(gateOf(relation, 1_500, { books, limits }), "gated_leg");
});

Deno.test("staleAtOf() is when the first leg's connection passes the age bound", () => {
  const books = booksOf([snapshot("a", 1, 5_000), snapshot("b", 2, 7_001)]);
  assert.deepStrictEqual(staleAtOf(relation, { books, limits }), {
    at: 15_000,
    reason: "stale_leg",
  });
  assert.equal(staleAtOf(relation, { books: booksOf([snapshot("a", 1, 0)]), limits }), null);
});

Deno.test("gateOf() says closed_leg from the instant a leg's market closed, and for good after a resolution", () => {
  const books = booksOf([snapshot("a", 1, 1_000), snapshot("b", 1, 1_000)]);
  const closing: ScanRelation = {
    ...relation,
    markets: [{ ...leg("a"), closedAt: 1_500 }, leg("b")],
  };
  assert.equal(gateOf(closing, 1_499, { books, limits }), null);
  assert.equal(gateOf(closing, 1_500, { books, limits }), "closed_leg");
  assert.deepStrictEqual(staleAtOf(closing, { books, limits }), {
    at: 1_500,
    reason: "closed_leg",
  });
  // A resolution on the stream closes the book; a later snapshot does not reopen it.
  books.apply({
    kind: "book_closed",
    tokenId: "b-yes",
    exchangeTs: 1_200,
    receivedAt: 1_200,
    connection: 1,
    sequence: sequence++,
    reason: "resolved",
  });
  books.apply(snapshot("b", 1, 1_300));
  assert.equal(books.isOpen("b-yes"), false);
  assert.equal(gateOf(relation, 1_300, { books, limits }), "closed_leg");
});

Deno.test("a book_closed for a gap or a segment end gates the leg until its next snapshot", () => {
  for (const reason of ["gap", "segment_end"] as const) {
    const books = booksOf([snapshot("a", 1, 1_000), snapshot("b", 1, 1_000)]);
    books.apply({
      kind: "book_closed",
      tokenId: "a-yes",
      exchangeTs: 1_100,
      receivedAt: 1_100,
      connection: -1,
      sequence: sequence++,
      reason,
    });
    assert.equal(gateOf(relation, 1_100, { books, limits }), "gated_leg", reason);
    assert.equal(books.book("a-yes"), null);
    books.apply(snapshot("a", 1, 1_200));
    assert.equal(gateOf(relation, 1_200, { books, limits }), null, reason);
  }
});
