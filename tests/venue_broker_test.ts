/**
 * The venue broker (`execution/venue_broker.ts`) trades against the simulator over loopback:
 * a resting GTC seen in `/data/orders` and canceled, a FOK that fills (fill events from the
 * user channel, the position from the Data API), the venue's own refusals (a bad tick, 425
 * maintenance); and, with the ledger on a real PostgreSQL, `placeOrder` whose answer is lost
 * after the simulator accepted the order, a restart with a fresh broker, `recover` and
 * `reconcile`: every order exists once and the books agree with the venue.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
// Test-only, by full specifier (README dependency table): creates the simulator's API key.
// deno-lint-ignore no-import-prefix
import { ClobClient } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { SecretKey } from "../keys/age_key.ts";
import { silentLogger } from "../runtime/log.ts";
import { migrate } from "../db/migrate.ts";
import { type Simulator, startSimulator } from "../simulator/server.ts";
import type { SimMarket } from "../simulator/universe.ts";
import type { BrokerEvent, OrderRequest } from "../execution/broker.ts";
import { createLedger, placeOrder, recordIntent } from "../execution/ledger.ts";
import { bookBrokerEvents, recover } from "../execution/recover.ts";
import { reconcile } from "../execution/reconcile.ts";
import type { MarketRules } from "../execution/order_rules.ts";
import type { TickSize } from "../execution/order_amounts.ts";
import { OrderSigner } from "../execution/signer.ts";
import type { ApiCredentials } from "../execution/l2_headers.ts";
import { VenueBroker, type VenueBrokerOptions } from "../execution/venue_broker.ts";
import { ledgerJournal } from "../execution/venue_journal.ts";
import { withDatabase } from "./_db.ts";

const KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const log = silentLogger();

interface Setup {
  sim: Simulator;
  signer: OrderSigner;
  credentials: ApiCredentials;
  market: SimMarket;
  bestBid: number;
  bestAsk: number;
}

async function setup(seed: number, settleMs = 40): Promise<Setup> {
  const sim = await startSimulator({
    markets: 300,
    seed,
    tickMs: 60_000,
    activityPerTick: 0,
    lifecycleRate: 0,
    trading: { collateral: "1000", settleMs },
  });
  const account = privateKeyToAccount(`0x${KEY}`);
  const wallet = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
  const creds = await new ClobClient({ host: sim.url, chain: 137, signer: wallet })
    .createOrDeriveApiKey();
  const credentials = {
    apiKey: creds.key,
    secret: new SecretKey(creds.secret),
    passphrase: new SecretKey(creds.passphrase),
  };
  const signer = new OrderSigner(new SecretKey(KEY));
  for (const market of sim.universe.markets) {
    if (market.status !== "open" || market.tickUnits !== 100) continue;
    // Some simulated token ids exceed uint256, which no order can carry; skip those markets.
    if (market.tokenIds.some((t) => BigInt(t) >= 2n ** 256n)) continue;
    const book = await (await fetch(`${sim.url}/book?token_id=${market.tokenIds[0]}`)).json();
    const bid = Number(book.bids.at(-1)?.price ?? 0);
    const ask = Number(book.asks.at(-1)?.price ?? 1);
    const depth = book.asks.reduce((s: number, l: { size: string }) => s + Number(l.size), 0);
    // A spread of two ticks at least leaves room for an ask of ours inside it.
    if (bid >= 0.2 && ask <= 0.8 && ask - bid > 0.015 && depth >= 50) {
      return { sim, signer, credentials, market, bestBid: bid, bestAsk: ask };
    }
  }
  await sim.close();
  throw new Error("no open market with a two-sided book at a 0.01 tick");
}

/** The rules of the simulator's markets, as a market cache would hold them. */
function rulesOf(sim: Simulator, overrides: Partial<MarketRules> = {}) {
  return (tokenId: string): Promise<MarketRules> => {
    const ref = sim.universe.byToken.get(tokenId);
    if (ref === undefined) throw new Error(`unknown token ${tokenId}`);
    const tickSize = String(ref.market.tickUnits / 10_000) as TickSize;
    return Promise.resolve({
      tickSize,
      minOrderSize: "5",
      negRisk: ref.market.negRiskMarketId !== "",
      ...overrides,
    });
  };
}

function brokerFor(s: Setup, extra: Partial<VenueBrokerOptions> = {}): VenueBroker {
  return new VenueBroker({
    clobUrl: s.sim.url,
    dataApiUrl: s.sim.url,
    userWsUrl: s.sim.userWsUrl,
    credentials: s.credentials,
    signer: s.signer,
    marketRules: rulesOf(s.sim),
    log,
    pingMs: 1_000,
    ...extra,
  });
}

function request(id: string, o: Partial<OrderRequest> & { tokenId: string }): OrderRequest {
  return {
    clientOrderId: id,
    side: "BUY",
    orderType: "GTC",
    price: "0.10",
    size: "10",
    postOnly: false,
    expiration: null,
    ...o,
  };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

const cents = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

Deno.test({
  name: "VenueBroker rests, cancels, fills and hears the venue's refusals on the simulator",
  fn: async () => {
    const s = await setup(41);
    const stop = new AbortController();
    const broker = brokerFor(s);
    const events: BrokerEvent[] = [];
    broker.onEvent((e) => events.push(e));
    try {
      await broker.start(stop.signal);
      const yes = s.market.tokenIds[0];
      // A resting GTC below the best bid: open at the venue with our client order id.
      const rest = request("k-rest", { tokenId: yes, price: cents(s.bestBid - 0.02) });
      const placed = await broker.submit(rest);
      ok(placed.ok, JSON.stringify(placed));
      assertEquals(placed.status, "LIVE");
      const open = await broker.openOrders();
      assertEquals(open.map((o) => [o.orderId, o.clientOrderId, o.status, o.sizeMatched]), [
        [placed.orderId, "k-rest", "LIVE", "0"],
      ]);
      assertEquals((await broker.orderByClientId("k-rest"))?.status, "LIVE");
      const canceled = await broker.cancel([placed.orderId]);
      assertEquals(canceled, { canceled: [placed.orderId], notCanceled: {} });
      assertEquals(await broker.openOrders(), []);
      await until(
        "the CANCELLATION",
        () =>
          events.find((e) => e.kind === "order" && e.order.status === "CANCELED")
            ? true
            : undefined,
      );
      // Canceled with no fill: found from what the user channel said this session.
      assertEquals((await broker.orderByClientId("k-rest"))?.status, "CANCELED");
      assertEquals(await broker.cancel([placed.orderId]), {
        canceled: [],
        notCanceled: { [placed.orderId]: "order already canceled or matched" },
      });

      // Sent again (same client order id, same session): the same signed order, which the
      // venue refuses as a duplicate; the broker answers with the order it already has.
      const venueOrders = s.sim.venue.orders.size;
      const again = await broker.submit(rest);
      assertEquals(again, {
        ok: true,
        orderId: placed.orderId,
        clientOrderId: "k-rest",
        status: "CANCELED",
      });
      assertEquals(s.sim.venue.orders.size, venueOrders);
      const reused = await broker.submit({ ...rest, size: "11" });
      ok(!reused.ok && /already used/.test(reused.error), JSON.stringify(reused));

      // A FOK that takes the asks: fills from the user channel, the position from the Data API.
      const take = request("k-take", {
        tokenId: yes,
        orderType: "FOK",
        price: cents(s.bestAsk + 0.02),
        size: "10",
      });
      const filled = await broker.submit(take);
      ok(filled.ok, JSON.stringify(filled));
      assertEquals(filled.status, "MATCHED");
      const fills = await until("the fills", () => {
        const f = events.flatMap((e) => e.kind === "fill" ? [e.fill] : []);
        return f.length > 0 ? f : undefined;
      });
      ok(fills.every((f) => f.orderId === filled.orderId && f.clientOrderId === "k-take"));
      ok(fills.every((f) => f.liquidity === "taker" && f.side === "BUY" && f.tokenId === yes));
      const bought = fills.reduce((sum, f) => sum + Number(f.size), 0);
      ok(bought >= 10, `bought ${bought}`);
      // The answer said how much matched (the shares it took), so no look-up is needed for it.
      assertEquals(Number(filled.sizeMatched), bought);
      const positions = await broker.positions();
      assertEquals(positions.map((p) => [p.tokenId, Number(p.size)]), [[yes, bought]]);
      // The same fills from /data/trades, once each however often the trade was re-sent.
      await sleep(150); // MINED and CONFIRMED re-sends (settleMs 40)
      const history = await broker.fillsSince(Date.now() - 60_000);
      assertEquals(history.map((f) => f.fillId).sort(), fills.map((f) => f.fillId).sort());
      assertEquals(
        events.filter((e) => e.kind === "fill").length,
        fills.length,
        "a re-sent trade is told once",
      );
      assertEquals((await broker.orderByClientId("k-take"))?.status, "MATCHED");

      // A SELL of ours inside the spread, then our own FOK BUY at its price: a maker fill
      // (from the trade's maker_orders) and a taker fill, and the position where it was.
      const inside = cents(s.bestAsk - 0.01);
      const sell = await broker.submit(
        request("k-sell", { tokenId: yes, side: "SELL", price: inside, size: "5" }),
      );
      assertEquals(sell.ok && sell.status, "LIVE");
      const cross = await broker.submit(
        request("k-cross", { tokenId: yes, orderType: "FOK", price: inside, size: "5" }),
      );
      assertEquals(cross.ok && cross.status, "MATCHED");
      const both = await until("the maker and taker fills", () => {
        const f = events.flatMap((e) =>
          e.kind === "fill" && ["k-sell", "k-cross"].includes(e.fill.clientOrderId ?? "")
            ? [e.fill]
            : []
        );
        return f.length === 2 ? f : undefined;
      });
      assertEquals(
        both.map((f) => [f.clientOrderId, f.side, f.price, f.size, f.liquidity]).sort(),
        [["k-cross", "BUY", inside, "5", "taker"], ["k-sell", "SELL", inside, "5", "maker"]],
      );
      assertEquals(both.find((f) => f.liquidity === "maker")?.fee, "0");
      await until(
        "the SELL's MATCHED update",
        () =>
          events.find((e) =>
              e.kind === "order" && e.order.clientOrderId === "k-sell" &&
              e.order.status === "MATCHED"
            )
            ? true
            : undefined,
      );
      assertEquals((await broker.positions()).map((p) => Number(p.size)), [bought]);

      // The venue's refusal of a price off its tick (our cache still thought 0.001).
      const stale = brokerFor(s, {
        userWsUrl: null,
        marketRules: rulesOf(s.sim, { tickSize: "0.001" }),
      });
      const badTick = await stale.submit(
        request("k-tick", { tokenId: yes, price: cents(s.bestBid - 0.03).slice(0, 4) + "5" }),
      );
      assertEquals(badTick.ok, false);
      ok(!badTick.ok && /breaks minimum tick size rule: 0\.01/.test(badTick.error), badTick.error);
      ok(!badTick.ok && !badTick.retryable);
      // 429: a refusal worth sending again after Retry-After; reads wait it out themselves.
      s.sim.control.rateLimitNext(1, { family: "clob", retryAfterSeconds: 1 });
      const limited = await broker.submit(request("k-429", { tokenId: yes }));
      ok(!limited.ok && limited.retryable, JSON.stringify(limited));
      ok(!limited.ok && /HTTP 429.*retry after 1000 ms/.test(limited.error), limited.error);
      s.sim.control.rateLimitNext(1, { family: "clob", retryAfterSeconds: 1 });
      const started = Date.now();
      assertEquals(await broker.openOrders(), []);
      ok(Date.now() - started >= 1_000, "the read waited for Retry-After");
      // Maintenance: 425, a refusal worth sending again later.
      s.sim.control.maintenance(60_000);
      const during = await broker.submit(request("k-425", { tokenId: yes }));
      assertEquals([during.ok, !during.ok && during.retryable], [false, true]);
    } finally {
      stop.abort();
      await broker.closed();
      await s.sim.close();
    }
  },
});

Deno.test({
  name: "placeOrder with its answer lost, a restart, recover and reconcile: each order once",
  fn: async () => {
    // Trades settle after a minute: no re-sent trade reaches the restarted broker's channel, so
    // its fills can only come from recover's read of /data/trades.
    const s = await setup(43, 60_000);
    const stop = new AbortController();
    let second: VenueBroker | undefined;
    try {
      await withDatabase("server", async (db) => {
        await migrate(db.sql, { log, timescale: "off" });
        const ledger = createLedger(db.sql, { log });
        const yes = s.market.tokenIds[0];
        // The first process: its transport hands the request to the simulator, then the process
        // stops waiting (the answer is lost after the venue accepted the order).
        const losing = new AbortController();
        const lossy: typeof fetch = async (input, init) => {
          const res = await fetch(input, { ...init, signal: undefined });
          await res.body?.cancel();
          losing.abort(new Error("process stopped waiting"));
          throw losing.signal.reason;
        };
        const first = brokerFor(s, { userWsUrl: null, journal: ledgerJournal(ledger) });
        const lostRest = request("r-rest", { tokenId: yes, price: cents(s.bestBid - 0.02) });
        const lostTake = request("r-take", {
          tokenId: yes,
          orderType: "FOK",
          price: cents(s.bestAsk + 0.02),
          size: "10",
        });
        const lossyBroker = brokerFor(s, {
          userWsUrl: null,
          journal: ledgerJournal(ledger),
          fetch: lossy,
        });
        // A FOK of an uneven size: its amounts round differently under another tick size.
        const lostFrac = request("r-frac", {
          tokenId: yes,
          orderType: "FOK",
          price: cents(s.bestAsk + 0.02),
          size: "10.33",
        });
        for (const r of [lostRest, lostTake, lostFrac]) {
          const outcome = await placeOrder(ledger, lossyBroker, r);
          assertEquals(outcome.kind, "unknown", JSON.stringify(outcome));
        }
        // One answered normally, and one recorded but never sent (killed before the request).
        const answered = await placeOrder(
          ledger,
          first,
          request("r-ok", { tokenId: yes, price: cents(s.bestBid - 0.03) }),
        );
        assertEquals(answered.kind, "acked");
        await recordIntent(ledger, request("r-never", { tokenId: yes }));
        const venueOrders = () => [...s.sim.venue.orders.values()].length;
        assertEquals(venueOrders(), 4, "the three lost answers and the answered one reached it");
        // The tick size changes to 0.001 before the restart: r-frac's hash under the new tick
        // is not the one it was signed with, so only the broker's fall-back finds it.
        const [frac] = await db.sql<{ created_at: Date }[]>`
          select created_at from intents where client_order_id = 'r-frac'`;
        const hashUnder = async (tickSize: TickSize) =>
          s.signer.buildSignedOrder(
            lostFrac,
            await rulesOf(s.sim, { tickSize })(yes),
            frac.created_at.getTime(),
          ).order.orderHash;
        ok(await hashUnder("0.01") !== await hashUnder("0.001"));
        ok(s.sim.venue.orders.has((await hashUnder("0.01")).toLowerCase()));

        // The restart: a fresh broker knows nothing in memory; the journal is the ledger.
        second = brokerFor(s, {
          journal: ledgerJournal(ledger),
          marketRules: rulesOf(s.sim, { tickSize: "0.001" }),
        });
        const unbook = bookBrokerEvents(ledger, second);
        await second.start(stop.signal);
        const report = await recover(ledger, second);
        assertEquals([...report.found].sort(), ["r-frac", "r-rest", "r-take"]);
        assertEquals(report.unsent, ["r-never"]);
        assertEquals(report.unbooked, {});
        ok(report.fillsBooked >= 1, JSON.stringify(report));
        // Every trade the venue made (all of them the two FOKs') booked once, under its order.
        const booked = await db.sql<{ client_order_id: string }[]>`
          select client_order_id from fills`;
        assertEquals(booked.length, s.sim.venue.trades.length);
        ok(booked.every((f) => ["r-take", "r-frac"].includes(f.client_order_id)));
        const rows = await db.sql<{ client_order_id: string; order_id: string; status: string }[]>`
          select client_order_id, order_id, status from orders order by client_order_id`;
        assertEquals(rows.map((r) => [r.client_order_id, r.status]), [
          ["r-frac", "MATCHED"],
          ["r-ok", "LIVE"],
          ["r-rest", "LIVE"],
          ["r-take", "MATCHED"],
        ]);
        // Each order once at the venue and once in the ledger, under the same id.
        assertEquals(venueOrders(), 4);
        assertEquals(new Set(rows.map((r) => r.order_id)).size, 4);
        for (const r of rows) ok(s.sim.venue.orders.has(r.order_id), r.order_id);
        const recon = await reconcile(ledger, second);
        assertEquals(recon.differences, []);
        assertEquals(recon.ok, true);
        // Sending a recovered intent again signs the same order (the intent's instant): the
        // venue refuses the duplicate and the broker answers with the order it holds.
        const resent = await second.submit(lostRest);
        assertEquals(resent.ok && [resent.orderId, resent.status], [
          rows.find((r) => r.client_order_id === "r-rest")!.order_id,
          "LIVE",
        ]);
        // The same for the order found under the tick it was signed with: no new order.
        const fracAgain = await second.submit(lostFrac);
        assertEquals(fracAgain.ok && [fracAgain.orderId, fracAgain.status], [
          rows.find((r) => r.client_order_id === "r-frac")!.order_id,
          "MATCHED",
        ]);
        assertEquals(venueOrders(), 4);
        // Recovery again changes nothing; a cancel while running is booked from the channel.
        const again = await recover(ledger, second);
        assertEquals([again.found, again.unsent, again.fillsBooked], [[], [], 0]);
        const rest = rows.find((r) => r.client_order_id === "r-rest")!;
        await second.cancel([rest.order_id]);
        await until("the cancel booked", async () => {
          const [row] = await db.sql`select status from orders where order_id = ${rest.order_id}`;
          return row?.status === "CANCELED" ? true : undefined;
        });
        assertEquals((await reconcile(ledger, second)).ok, true);
        unbook();
      });
    } finally {
      stop.abort();
      await second?.closed();
      await s.sim.close();
    }
  },
});
