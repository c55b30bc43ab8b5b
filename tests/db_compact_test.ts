/**
 * The compact encoding (migration 0008) through the writers: whatever the venue sends comes
 * back from the v0.1 views exactly, whether it fits millionths or has to stay verbatim.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { insertQuotes } from "../db/trades.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, TEST_DATABASE_URL, withDatabase } from "./_db.ts";
import postgres from "postgres";

const T0 = new Date("2026-11-25T10:00:00Z");
const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
// Real values: Gamma's float noise, a legacy 34-digit outcome price, the sizes of a book.
const ODD = ["25072.141289999992", "0.5843311669077693146635445446077281", "43042905.16152"];

function price(minute: number, value: string | null, volume: string | null): PriceSnapshotRow {
  return {
    ts: new Date(T0.getTime() + minute * 60_000),
    tokenId: TOKEN,
    price: value,
    bestBid: value === null ? null : "0.001",
    bestAsk: "1",
    lastTradePrice: null,
    volume24h: volume,
    liquidity: "0",
  };
}

for (const backend of BACKENDS) {
  Deno.test(`prices, books and quotes read back exactly what was written on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: "auto" });
      const rows = [
        price(0, "0.52", "10"),
        price(1, ODD[1]!, ODD[0]!),
        price(2, null, ODD[2]!),
        price(3, "2147.483648", "9223372036854.775807"),
      ];
      const copy = backend === "server" ? "copy" : "unnest";
      assert.equal(await insertPriceSnapshots(db.sql, rows.slice(0, 2), { method: copy }), 2);
      assert.equal(await insertPriceSnapshots(db.sql, rows.slice(2)), 2);
      const stored = await db.sql`
        select ts, token_id, price::text, best_bid::text, best_ask::text, volume_24h::text,
               liquidity::text from price_snapshots order by ts`;
      assert.deepEqual(
        stored.map((r) => [r.price, r.best_bid, r.best_ask, r.volume_24h, r.liquidity]),
        rows.map((r) => [r.price, r.bestBid, r.bestAsk, r.volume24h, r.liquidity]),
      );
      const [micro] = await db.sql`select price, volume_24h from price_snapshot_data
                                   where ts = ${T0}`;
      assert.deepEqual({ ...micro }, { price: 520000, volume_24h: "10000000" });
      const [noisy] = await db.sql`select volume_24h, volume_24h_scale, exact
                                   from price_snapshot_data where ts = ${rows[1]!.ts}`;
      assert.deepEqual([noisy?.volume_24h, noisy?.volume_24h_scale], ["25072141289999992", 12]);
      assert.deepEqual(noisy?.exact, { price: ODD[1] });

      const book = (ts: Date, sizes: string[]): BookSnapshotRow => ({
        ts,
        tokenId: TOKEN,
        conditionId: "0x" + "ab".repeat(32),
        exchangeTs: ts,
        bestBid: "0.5",
        bestAsk: "0.51",
        mid: "0.505",
        spread: "0.01",
        bidSize: "1.5",
        askSize: "7",
        tickSize: "0.01",
        hash: "abc",
        bids: [{ price: "0.5", size: sizes[0]! }, { price: "0.49", size: sizes[1]! }],
        asks: [{ price: "0.51", size: "7" }],
      });
      const odd = (ms: number, over: Partial<BookSnapshotRow>) => ({
        ...book(new Date(T0.getTime() + ms), ["1", "2"]),
        ...over,
      });
      const books = [
        book(T0, ["1", "0.5"]),
        book(new Date(T0.getTime() + 1), ["1.1234567", "2"]),
        // Not what the levels give: stored as they are, NULLs included.
        odd(2, { bestBid: null, mid: "0.5", spread: null, bidSize: "99" }),
        // Crossed, and a mid with 7 decimals: derived exactly.
        odd(3, {
          bids: [{ price: "0.5101", size: "1" }],
          asks: [{ price: "0.51", size: "7" }],
          bestBid: "0.5101",
          mid: "0.51005",
          spread: "-0.0001",
          bidSize: "1",
        }),
        // One side empty.
        odd(4, { asks: [], bestAsk: null, mid: null, spread: null, askSize: "0" }),
      ];
      assert.equal(await insertBookSnapshots(db.sql, books), 5);
      assert.equal(await insertBookSnapshots(db.sql, books), 0);
      const storedBooks = await db.sql`
        select bids, asks, bid_levels, ask_levels, best_bid::text, best_ask::text, mid::text,
               spread::text, bid_size::text, ask_size::text, condition_id
        from book_snapshots order by ts`;
      assert.deepEqual(storedBooks.map((r) => r.bids), books.map((b) => b.bids));
      assert.deepEqual(storedBooks.map((r) => r.asks), books.map((b) => b.asks));
      assert.deepEqual(
        storedBooks.map((r) => [r.best_bid, r.best_ask, r.mid, r.spread, r.bid_size, r.ask_size]),
        books.map((b) => [b.bestBid, b.bestAsk, b.mid, b.spread, b.bidSize, b.askSize]),
      );
      assert.deepEqual(storedBooks.map((r) => r.bid_levels), [2, 2, 2, 1, 2]);
      assert.equal(storedBooks[1]?.condition_id, "0x" + "ab".repeat(32));
      const [levels] = await db.sql`
        select bid_prices, bid_sizes, best_bid, mid, bid_size from book_snapshot_data
        where ts = ${T0}`;
      assert.deepEqual([...levels!.bid_prices], [500000, 490000]);
      // What the levels give is not stored twice.
      assert.deepEqual([levels!.best_bid, levels!.mid, levels!.bid_size], [null, null, null]);

      const quotes = [
        { ts: T0, tokenId: TOKEN, bestBid: "0.5", bestAsk: null },
        { ts: new Date(T0.getTime() + 5), tokenId: TOKEN, bestBid: "0.0000001", bestAsk: "1" },
      ];
      assert.equal(await insertQuotes(db.sql, quotes), 2);
      const storedQuotes = await db.sql`select best_bid::text, best_ask::text from quotes
                                        order by ts`;
      assert.deepEqual(
        storedQuotes.map((r) => [r.best_bid, r.best_ask]),
        quotes.map((q) => [q.bestBid, q.bestAsk]),
      );
    }));
}

Deno.test("the v0.1 views answer from a connection whose search_path lacks their schema", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "auto" });
    const levels = [{ price: "0.5", size: "10" }];
    await insertBookSnapshots(db.sql, [{
      ts: T0,
      tokenId: TOKEN,
      conditionId: null,
      exchangeTs: null,
      bestBid: "0.5",
      bestAsk: null,
      mid: null,
      spread: null,
      bidSize: "10",
      askSize: "0",
      tickSize: "0.01",
      hash: null,
      bids: levels,
      asks: [],
    }]);
    const other = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      const rows = await other`select bids, best_bid::text from ${other(db.schema)}.book_snapshots`;
      assert.deepEqual(rows.map((r) => [r.bids, r.best_bid]), [[levels, "0.5"]]);
    } finally {
      await other.end();
    }
  }));
