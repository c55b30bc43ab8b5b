import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MarketBook } from "./book.ts";
import { OwnBook, type RestingOrder } from "./venue_book.ts";

const SELLER = { outcome: 0, side: "SELL" } as const;

function order(id: string, remaining: number): RestingOrder {
  return { id, yesSide: "bid", yesPriceUnits: 4500, remaining, ahead: 0 };
}

function setup() {
  const book = new MarketBook(100);
  book.set("bid", 4500, 1000); // the crowd: 10 shares
  const fills: Array<[string, number]> = [];
  const own = new OwnBook<RestingOrder>(book, (o, n) => fills.push([o.id, n]));
  return { book, own, fills };
}

Deno.test("OwnBook queues orders behind the level and fills them from the front", () => {
  const { book, own, fills } = setup();
  const a = order("a", 500);
  const b = order("b", 300);
  own.add(a);
  own.add(b);
  assertEquals([a.ahead, b.ahead, book.bids.get(4500)], [1000, 1500, 1800]);
  book.own?.consumed("bid", 4500, 1200, SELLER); // the crowd's 10, then 2 of a
  assertEquals(fills, [["a", 200]]);
  book.own?.consumed("bid", 4500, 600, SELLER); // a's last 3, then 3 of b
  assertEquals(fills, [["a", 200], ["a", 300], ["b", 300]]);
  assertEquals([a.remaining, b.remaining, own.sizeAt("bid", 4500)], [0, 0, 0]);
});

Deno.test("OwnBook keeps own size when the crowd leaves and moves the queue up", () => {
  const { book, own, fills } = setup();
  const a = order("a", 500);
  own.add(a);
  book.set("bid", 4500, 0); // the crowd cancels everything: a's 5 shares stay
  assertEquals(book.bids.get(4500), 500);
  book.own?.consumed("bid", 4500, 200, SELLER);
  assertEquals(fills, [["a", 200]]);
});

Deno.test("OwnBook.remove() frees the size and the queue place", () => {
  const { book, own, fills } = setup();
  const a = order("a", 500);
  const b = order("b", 300);
  own.add(a);
  own.add(b);
  assertEquals(own.remove(a), 500);
  assertEquals([book.bids.get(4500), b.ahead], [1300, 1000]);
  book.own?.consumed("bid", 4500, 1100, SELLER);
  assertEquals(fills, [["b", 100]]);
});
