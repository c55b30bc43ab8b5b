import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { ApiKeyOwner } from "./clob_auth.ts";
import { feeScheduleAt } from "./structure.ts";
import { createUniverse, type SimMarket } from "./universe.ts";
import { type UserEvent, Venue } from "./venue.ts";
import { takerFee } from "./venue_match.ts";
import type { OrderRequest, OrderType } from "./venue_wire.ts";
import { World } from "./world.ts";
import { MarketHub } from "./ws_hub.ts";
import { parseUserMessage } from "../polymarket/user_schema.ts";

const ZERO32 = "0x" + "0".repeat(64);

function owner(n: number): ApiKeyOwner {
  const address = "0x" + String(n).padStart(40, "0");
  return { apiKey: `key-${n}`, secret: "", passphrase: "", address };
}

let salt = 0;
/** A signed-looking request for `size` shares at `price` (the venue trusts verified routes). */
function limit(
  who: ApiKeyOwner,
  token: string,
  o: { side: "BUY" | "SELL"; price: number; size: number; type?: OrderType; expiration?: number },
): OrderRequest {
  const shares = BigInt(Math.round(o.size * 1e6));
  const usd = BigInt(Math.round(o.size * o.price * 1e6));
  return {
    order: {
      salt: String(++salt),
      maker: who.address,
      signer: who.address,
      tokenId: token,
      makerAmount: String(o.side === "BUY" ? usd : shares),
      takerAmount: String(o.side === "BUY" ? shares : usd),
      side: o.side === "BUY" ? 0 : 1,
      signatureType: 0,
      timestamp: "0",
      metadata: ZERO32,
      builder: ZERO32,
      expiration: String(o.expiration ?? 0),
      signature: "0x",
    },
    owner: who.apiKey,
    orderType: o.type ?? "GTC",
    postOnly: false,
    deferExec: false,
  };
}

function setup(clock = { ms: Date.now() }) {
  const universe = createUniverse({ markets: 200, seed: 5, now: clock.ms });
  const world = new World(universe, { seed: 5, now: () => clock.ms });
  const hub = new MarketHub(world, {
    now: () => clock.ms,
    idleTimeoutMs: 10_000,
    subscribeTimeoutMs: 5_000,
    takeMalformedFrame: () => false,
    takeWithheldSnapshot: () => false,
  });
  const market = universe.markets.find((m) =>
    m.status === "open" && m.tickUnits === 100 &&
    feeScheduleAt(m.meta, clock.ms)?.exponent === "1" &&
    Number(feeScheduleAt(m.meta, clock.ms)?.rate) > 0
  )!;
  const book = world.book(market);
  book.bids.clear();
  book.asks.clear();
  book.set("bid", 4000, 100_000); // 1,000 Yes @ 0.40
  book.set("ask", 6000, 100_000); // 1,000 Yes @ 0.60
  const venue = new Venue(world, hub, {
    collateral: "100",
    positions: { [market.tokenIds[0]]: "50" },
  });
  const events: UserEvent[] = [];
  venue.listeners.add((e) => events.push(e));
  return { world, venue, market, book, events, clock };
}

function id(n: number): string {
  return "0x" + n.toString(16).padStart(64, "0");
}

const collateral = (venue: Venue, who: ApiKeyOwner) => venue.accounts.get(who.address).collateral;
const held = (venue: Venue, who: ApiKeyOwner, m: SimMarket, i: 0 | 1) =>
  venue.accounts.position(venue.accounts.get(who.address), m.tokenIds[i]).size;

Deno.test("Venue: a resting order fills from the crowd's taker flow, as a maker without fee", () => {
  const { world, venue, market, events } = setup();
  const a = owner(1);
  const placed = venue.place(
    a,
    limit(a, market.tokenIds[0], { side: "BUY", price: 0.45, size: 10 }),
    id(1),
  );
  assertEquals((placed.body as { status: string }).status, "live");
  const order = venue.orders.get(id(1))!;
  for (let i = 0; i < 5000 && order.status === "LIVE"; i++) world.step([market], 1);
  assertEquals(order.status, "MATCHED");
  assertEquals(collateral(venue, a), 100_000_000n - 4_500_000n);
  assertEquals(held(venue, a, market, 0), 50_000_000n + 10_000_000n);
  const trades = events.filter((e) => e.message.event_type === "trade").map((e) => e.message);
  ok(
    trades.length >= 1 && trades.every((t) => t.trader_side === "MAKER" && t.status === "MATCHED"),
  );
  // the top level is the taker's side of the match; the maker's fill is in maker_orders
  const mine = trades.flatMap((t) => t.maker_orders as Array<Record<string, string>>)
    .filter((m) => m.order_id === id(1));
  assertEquals(mine.length, trades.length);
  assertEquals(mine.reduce((n, m) => n + Number(m.matched_amount), 0), 10);
  ok(
    mine.every((m) => m.side === "BUY" && m.price === "0.45" && m.asset_id === market.tokenIds[0]),
  );
  ok(
    trades.every((t) =>
      Number(t.size) >= Number((t.maker_orders as Array<Record<string, string>>)[0].matched_amount)
    ),
  );
  ok(
    trades.every((t) =>
      (t.asset_id === market.tokenIds[0] && t.side === "SELL" && t.price === "0.45") ||
      (t.asset_id === market.tokenIds[1] && t.side === "BUY" && t.price === "0.55")
    ),
  );
  ok(events.some((e) => e.message.type === "UPDATE" && e.message.size_matched === "10"));
});

Deno.test("Venue: a crossing order fills a resting one; the taker pays the fee, the maker none", () => {
  const { venue, market, book, clock, events } = setup();
  const [a, b] = [owner(1), owner(2)];
  venue.place(a, limit(a, market.tokenIds[0], { side: "BUY", price: 0.45, size: 10 }), id(1));
  const sold = venue.place(
    b,
    limit(b, market.tokenIds[0], { side: "SELL", price: 0.45, size: 6 }),
    id(2),
  );
  assertEquals(sold.body, {
    success: true,
    errorMsg: "",
    orderID: id(2),
    status: "matched",
    makingAmount: "6",
    takingAmount: "2.7",
    transactionsHashes: (sold.body as { transactionsHashes: string[] }).transactionsHashes,
    tradeIDs: (sold.body as { tradeIDs: string[] }).tradeIDs,
  });
  const fee = takerFee(feeScheduleAt(market.meta, clock.ms), 600, 4500);
  ok(fee > 0n);
  assertEquals(collateral(venue, b), 100_000_000n + 2_700_000n - fee);
  assertEquals(held(venue, b, market, 0), 44_000_000n);
  assertEquals(collateral(venue, a), 100_000_000n - 2_700_000n);
  assertEquals(venue.orders.get(id(1))!.remaining, 400);
  assertEquals(book.bids.get(4500), 400);
  // a's trade is described from b's side (the taker), a's fill in maker_orders
  const [makerTrade] = events.filter((e) => e.address === a.address && e.message.type === "TRADE")
    .map((e) => e.message);
  assertEquals(
    [makerTrade.trader_side, makerTrade.taker_order_id, makerTrade.maker_address, makerTrade.side],
    ["MAKER", id(2), b.address, "SELL"],
  );
  assertEquals(makerTrade.size, "6");
  const [mine] = makerTrade.maker_orders as Array<Record<string, string>>;
  assertEquals([mine.order_id, mine.side, mine.matched_amount], [id(1), "BUY", "6"]);
});

Deno.test("Venue: a No order rests on the mirrored Yes side and shows on the No book", () => {
  const { venue, market, book } = setup();
  const a = owner(1);
  venue.place(a, limit(a, market.tokenIds[1], { side: "BUY", price: 0.45, size: 10 }), id(1));
  assertEquals(book.asks.get(5500), 1000); // a Yes ask at 0.55
  assertEquals(book.view(1).bids.at(-1), { price: "0.45", size: "10" });
});

Deno.test("Venue: FOK kills, FAK fills what is there and drops the rest", () => {
  const { venue, market, book, events } = setup();
  const a = owner(1);
  const token = market.tokenIds[0];
  book.set("bid", 4000, 1000); // 10 Yes @ 0.40
  const fok = venue.place(
    a,
    limit(a, token, { side: "SELL", price: 0.4, size: 20, type: "FOK" }),
    id(1),
  );
  assertEquals(fok, {
    status: 400,
    body: { error: "order couldn't be fully filled. FOK orders are fully filled or killed." },
  });
  // 50 shares held; a FAK sells 20 at ≥ 0.40: the 10 there fill, the rest is dropped
  const fak = venue.place(
    a,
    limit(a, token, { side: "SELL", price: 0.4, size: 20, type: "FAK" }),
    id(2),
  );
  assertEquals((fak.body as { takingAmount: string }).takingAmount, "4");
  assertEquals(held(venue, a, market, 0), 40_000_000n);
  assertEquals(venue.liveOrders(a.address), []);
  const none = venue.place(
    a,
    limit(a, token, { side: "SELL", price: 0.5, size: 5, type: "FAK" }),
    id(3),
  );
  assertEquals(none, { status: 400, body: { error: "no orders found to match with FAK order" } });
  // both kills also reach the user channel as CANCELLATIONs with the reason in the status
  const kills = events.filter((e) => e.message.type === "CANCELLATION").map((e) => e.message);
  assertEquals(kills.map((m) => [m.id, m.status, m.size_matched]), [
    [id(1), "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.", ""],
    [id(3), "CANCELED_no orders found to match with FAK order", ""],
  ]);
  ok(kills.every((m) => parseUserMessage(m).success));
});

Deno.test("Venue: GTD expiry and a resolved market cancel live orders", () => {
  const { world, venue, market, book, events, clock } = setup();
  const a = owner(1);
  const token = market.tokenIds[0];
  const soon = Math.floor(clock.ms / 1000) + 61;
  const early = venue.place(
    a,
    limit(a, token, { side: "BUY", price: 0.42, size: 5, type: "GTD", expiration: soon - 2 }),
    id(1),
  );
  assertEquals(early, { status: 400, body: { error: "invalid expiration" } });
  venue.place(
    a,
    limit(a, token, { side: "BUY", price: 0.42, size: 5, type: "GTD", expiration: soon }),
    id(2),
  );
  venue.place(a, limit(a, token, { side: "BUY", price: 0.41, size: 5 }), id(3));
  assertEquals(book.bids.get(4200), 500);
  clock.ms += 62_000;
  venue.tick();
  assertEquals(venue.orders.get(id(2))!.status, "CANCELED");
  assertEquals(book.bids.get(4200), undefined);
  world.resolve(market, 0);
  venue.tick();
  assertEquals(venue.orders.get(id(3))!.status, "CANCELED_MARKET_RESOLVED");
  assertEquals(
    events.filter((e) => e.message.type === "CANCELLATION").map((e) => e.message.id),
    [id(2), id(3)],
  );
  assertEquals(venue.liveOrders(a.address), []);
});

Deno.test("Venue: a BUY needs its amount plus the fees of what it takes", () => {
  const { venue, market, clock } = setup();
  const a = owner(1);
  const token = market.tokenIds[0];
  const market100 = limit(a, token, { side: "BUY", price: 0.6, size: 100 / 0.6, type: "FOK" });
  market100.order.makerAmount = "100000000"; // $100 of the $100 held: the fee does not fit
  market100.order.takerAmount = "166666666";
  assertEquals(venue.place(a, market100, id(1)), {
    status: 400,
    body: { error: "not enough balance / allowance" },
  });
  const market90 = limit(a, token, { side: "BUY", price: 0.6, size: 150, type: "FOK" });
  assertEquals(market90.order.makerAmount, "90000000");
  assertEquals((venue.place(a, market90, id(2)).body as { status: string }).status, "matched");
  const fee = takerFee(feeScheduleAt(market.meta, clock.ms), 15_000, 6000);
  assertEquals(collateral(venue, a), 10_000_000n - fee);
});

Deno.test("Venue: once armed by a heartbeat, a gap cancels the address's open orders", () => {
  const { venue, market, clock } = setup();
  const [a, b] = [owner(1), owner(2)];
  const token = market.tokenIds[0];
  venue.place(a, limit(a, token, { side: "BUY", price: 0.42, size: 5 }), id(1));
  venue.place(b, limit(b, token, { side: "BUY", price: 0.42, size: 5 }), id(2));
  venue.heartbeat(a.address);
  clock.ms += 9_000;
  venue.heartbeat(a.address);
  clock.ms += 9_000;
  venue.tick();
  assertEquals(venue.liveOrders(a.address).length, 1); // 9 s apart: still armed and alive
  clock.ms += 2_000;
  venue.tick();
  assertEquals(venue.orders.get(id(1))!.status, "CANCELED");
  assertEquals(venue.liveOrders(b.address).length, 1); // b never armed its switch
});

Deno.test("Venue: a proxy order (signature type 1) trades the funder's account", () => {
  const { venue, market } = setup();
  const key = owner(1);
  const funder = owner(9);
  const request = limit(funder, market.tokenIds[0], { side: "BUY", price: 0.6, size: 5 });
  request.order.signer = key.address;
  request.order.signatureType = 1;
  request.owner = key.apiKey;
  assertEquals((venue.place(key, request, id(1)).body as { status: string }).status, "matched");
  assertEquals(held(venue, funder, market, 0), 55_000_000n);
  assertEquals(held(venue, key, market, 0), 50_000_000n);
  assertEquals(venue.funderOf(key.address), funder.address);
});
