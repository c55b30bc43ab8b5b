/**
 * The official `@polymarket/clob-client-v2@1.1.0` trades against the simulator: API keys (L1),
 * a GTC order that rests (in `/data/orders`, in the book and on the market channel), its
 * cancel, a marketable FOK that fills (trade, user-channel lifecycle, Data API position,
 * balances and fee checked by hand), and the venue's errors (tick, minimum size, post-only
 * crossing, balance, V1 order, bad L2 signature).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
// Test-only: imported by full specifier, not through deno.json, so that `deno task start` does
// not install it (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import { AssetType, ClobClient, OrderType, Side } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { startSimulator } from "../simulator/server.ts";
import { feeScheduleAt } from "../simulator/structure.ts";
import { parseUserMessage, positionV2Schema, userTradeSchema } from "../polymarket/user_schema.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

type Json = Record<string, unknown>;

/** The client hands HTTP errors back as `{ error, status }` objects instead of its types. */
function answer(value: unknown): Json {
  return value as Json;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(25);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function collect(url: string, subscribe: Json): { messages: Json[]; socket: WebSocket } {
  const socket = new WebSocket(url);
  const messages: Json[] = [];
  socket.onopen = () => socket.send(JSON.stringify(subscribe));
  socket.onmessage = (e) => {
    if (typeof e.data !== "string" || e.data === "PONG") return;
    const value = JSON.parse(e.data);
    for (const m of Array.isArray(value) ? value : [value]) messages.push(m);
  };
  return { messages, socket };
}

async function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const done = new Promise((resolve) => socket.addEventListener("close", resolve));
  socket.close();
  await done;
}

Deno.test({
  name: "official clob-client-v2 places, cancels and fills orders on the simulator's books",
  fn: async () => {
    const sim = await startSimulator({
      markets: 300,
      seed: 29,
      tickMs: 60_000,
      activityPerTick: 0,
      lifecycleRate: 0,
      wsIdleTimeoutMs: 300_000, // the sockets here send no PING; a loaded run may be slow
      trading: { collateral: "1000", settleMs: 40 },
    });
    const sockets: WebSocket[] = [];
    try {
      const account = privateKeyToAccount(KEY);
      const signer = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
      const address = account.address.toLowerCase();
      const l1 = new ClobClient({ host: sim.url, chain: 137, signer });
      const creds = await l1.createOrDeriveApiKey();
      ok(/^[0-9a-f-]{36}$/.test(creds.key), JSON.stringify(creds));
      assertEquals(await l1.deriveApiKey(), creds);
      const trader = new ClobClient({ host: sim.url, chain: 137, signer, creds, signatureType: 0 });
      assertEquals(await trader.getApiKeys(), { apiKeys: [creds.key] });
      const forged = new ClobClient({
        host: sim.url,
        chain: 137,
        signer,
        creds: { ...creds, secret: btoa("not the secret") },
      });
      assertEquals(answer(await forged.getApiKeys()).status, 401);

      // A fee-charging 0.01-tick market whose best ask holds more than $6.
      const now = Date.now();
      let chosen: { yes: string; conditionId: string; ask: number; askSize: number } | null = null;
      for (const m of sim.universe.markets) {
        const fees = feeScheduleAt(m.meta, now);
        if (m.status !== "open" || m.tickUnits !== 100 || m.negRiskMarketId !== "") continue;
        if (fees === null || fees.exponent !== "1" || Number(fees.rate) === 0) continue;
        const book = await trader.getOrderBook(m.tokenIds[0]);
        const best = book.asks.at(-1)!;
        if (Number(best.price) * Number(best.size) < 6) continue;
        if (Number(book.bids.at(-1)!.size) < 10) continue; // the sale back takes one level
        chosen = {
          yes: m.tokenIds[0],
          conditionId: m.conditionId,
          ask: Number(best.price),
          askSize: Number(best.size),
        };
        break;
      }
      ok(chosen !== null, "no suitable market");
      const { yes, conditionId } = chosen;
      const market = sim.universe.byCondition.get(conditionId)!;
      const rate = Number(feeScheduleAt(market.meta, now)!.rate);
      const options = { tickSize: "0.01" as const, negRisk: false };

      const user = collect(sim.userWsUrl, {
        auth: { apiKey: creds.key, secret: creds.secret, passphrase: creds.passphrase },
        markets: [conditionId],
        type: "user",
      });
      const feed = collect(sim.wsUrl, { assets_ids: [yes], type: "market" });
      sockets.push(user.socket, feed.socket);
      await until("the market snapshot", () => feed.messages.find((m) => m.event_type === "book"));

      // GTC below the ask rests: open orders, the REST book and the market channel show it.
      const before = await trader.getOrderBook(yes);
      const bestBid = Number(before.bids.at(-1)!.price);
      const restPrice = Math.round((bestBid - 0.01) * 100) / 100;
      const levelBefore = Number(before.bids.find((l) => Number(l.price) === restPrice)?.size ?? 0);
      const placed = await trader.createAndPostOrder(
        { tokenID: yes, price: restPrice, side: Side.BUY, size: 10 },
        options,
        OrderType.GTC,
      );
      assertEquals(placed.success, true, JSON.stringify(placed));
      assertEquals(placed.status, "live");
      ok(/^0x[0-9a-f]{64}$/.test(placed.orderID));
      const open = await trader.getOpenOrders();
      assertEquals(open.map((o) => [o.id, o.price, o.original_size, o.side, o.status]), [
        [placed.orderID, String(restPrice), "10", "BUY", "LIVE"],
      ]);
      const during = await trader.getOrderBook(yes);
      const level = during.bids.find((l) => Number(l.price) === restPrice);
      assertEquals(Number(level?.size), levelBefore + 10);
      await until(
        "the resting level on the market channel",
        () =>
          feed.messages.find((m) =>
            m.event_type === "price_change" &&
            (m.price_changes as Json[]).some((c) =>
              c.asset_id === yes && Number(c.price) === restPrice && c.side === "BUY" &&
              Number(c.size) === levelBefore + 10
            )
          ),
      );
      await until(
        "PLACEMENT",
        () =>
          user.messages.find((m) =>
            m.event_type === "order" && m.type === "PLACEMENT" && m.id === placed.orderID
          ),
      );

      const canceled = await trader.cancelOrder({ orderID: placed.orderID });
      assertEquals(canceled, { canceled: [placed.orderID], not_canceled: {} });
      assertEquals(await trader.getOpenOrders(), []);
      const after = await trader.getOrderBook(yes);
      assertEquals(
        Number(after.bids.find((l) => Number(l.price) === restPrice)?.size ?? 0),
        levelBefore,
      );
      await until(
        "CANCELLATION",
        () =>
          user.messages.find((m) =>
            m.type === "CANCELLATION" && m.id === placed.orderID && m.status === "CANCELED"
          ),
      );
      const again = await trader.cancelOrder({ orderID: placed.orderID });
      assertEquals(Object.keys(answer(answer(again).not_canceled)), [placed.orderID]);

      // A $5 FOK buy fills at the best ask (which holds more than $6).
      const fok = await trader.createAndPostMarketOrder(
        { tokenID: yes, amount: 5, side: Side.BUY },
        options,
        OrderType.FOK,
      );
      assertEquals(fok.success, true, JSON.stringify(fok));
      assertEquals(fok.status, "matched");
      // By hand: 5 / ask in whole hundredths of a share, paid at the ask; the taker fee is
      // shares × rate × p × (1 − p), rounded to 5 places.
      const askCents = Math.round(chosen.ask * 100);
      const hundredths = Math.floor(500 / askCents * 100);
      const paid = hundredths * askCents / 10_000;
      const fee = Math.round(hundredths / 100 * rate * chosen.ask * (1 - chosen.ask) * 1e5) / 1e5;
      assertEquals(Number(fok.takingAmount), hundredths / 100);
      assertEquals(Number(fok.makingAmount), paid);
      assertEquals(fok.tradeIDs?.length, 1);
      const balance = await trader.getBalanceAllowance({ asset_type: AssetType.COLLATERAL });
      assertEquals(Number(balance.balance), Math.round((1000 - paid - fee) * 1e6));
      const held = await trader.getBalanceAllowance({
        asset_type: AssetType.CONDITIONAL,
        token_id: yes,
      });
      assertEquals(Number(held.balance), hundredths * 10_000);

      const tradeId = fok.tradeIDs![0];
      const confirmed = await until("a confirmed trade", async () => {
        const [t] = await trader.getTrades({ id: tradeId });
        return t?.status === "CONFIRMED" ? t : undefined;
      });
      assertEquals(
        [confirmed.side, confirmed.size, Number(confirmed.price), confirmed.trader_side],
        ["BUY", String(hundredths / 100), chosen.ask, "TAKER"],
      );
      assertEquals(confirmed.asset_id, yes);
      assertEquals(fok.transactionsHashes, [confirmed.transaction_hash]);
      await until("MATCHED, MINED, CONFIRMED on the user channel", () => {
        const seen = user.messages.filter((m) => m.event_type === "trade" && m.id === tradeId)
          .map((m) => m.status);
        return seen.length === 3 ? seen : undefined;
      }).then((seen) => assertEquals(seen, ["MATCHED", "MINED", "CONFIRMED"]));
      await until(
        "the fill on the market channel",
        () =>
          feed.messages.find((m) =>
            m.event_type === "last_trade_price" && m.asset_id === yes &&
            Number(m.price) === chosen.ask && Number(m.size) === hundredths / 100 &&
            m.side === "BUY" && m.transaction_hash === confirmed.transaction_hash
          ),
      );
      const ask = (await trader.getOrderBook(yes)).asks.at(-1)!;
      assertEquals(Number(ask.size), Math.round(chosen.askSize * 100 - hundredths) / 100);
      const positions = await (await fetch(`${sim.url}/positions?user=${address}`)).json();
      assertEquals(positions.length, 1);
      assertEquals(
        [positions[0].asset, positions[0].size, positions[0].avgPrice],
        [yes, hundredths / 100, paid / (hundredths / 100)],
      );

      const v2 = await (await fetch(`${sim.url}/v2/positions?user=${address}`)).json();
      const position = positionV2Schema.parse(v2.data[0]);
      assertEquals(
        [position.tokenId, Number(position.size), Number(position.avgPrice), position.status],
        [yes, hundredths / 100, chosen.ask, "OPEN"],
      );
      assertEquals(v2.data[0].entry_fees_usdc, fee);
      // The project's own parsers read every private message the simulator sent.
      ok(userTradeSchema.safeParse(confirmed).success);
      ok(user.messages.length >= 6);
      for (const m of user.messages) ok(parseUserMessage(m).success, JSON.stringify(m));

      // A FOK market SELL of the shares at the best bid: proceeds less the taker fee.
      const bid = Number((await trader.getOrderBook(yes)).bids.at(-1)!.price);
      const sold = await trader.createAndPostMarketOrder(
        { tokenID: yes, amount: hundredths / 100, side: Side.SELL },
        options,
        OrderType.FOK,
      );
      assertEquals(sold.status, "matched", JSON.stringify(sold));
      const proceeds = hundredths * Math.round(bid * 100) / 10_000;
      const sellFee = Math.round(hundredths / 100 * rate * bid * (1 - bid) * 1e5) / 1e5;
      assertEquals([Number(sold.makingAmount), Number(sold.takingAmount)], [
        hundredths / 100,
        proceeds,
      ]);
      const cash = await trader.getBalanceAllowance({ asset_type: AssetType.COLLATERAL });
      assertEquals(
        Number(cash.balance),
        Math.round((1000 - paid - fee + proceeds - sellFee) * 1e6),
      );

      // The venue's errors.
      const offGrid = await trader.orderBuilder.buildOrder(
        { tokenID: yes, price: 0.123, side: Side.BUY, size: 10 },
        { tickSize: "0.001", negRisk: false },
        2,
      );
      const tick = answer(await trader.postOrder(offGrid, OrderType.GTC));
      assertEquals(tick.status, 400);
      ok(String(tick.error).endsWith("Price (0.123) breaks minimum tick size rule: 0.01"));
      const small = answer(
        await trader.createAndPostOrder(
          { tokenID: yes, price: restPrice, side: Side.BUY, size: 2 },
          options,
          OrderType.GTC,
        ),
      );
      ok(String(small.error).endsWith("Size (2) lower than the minimum: 5"), String(small.error));
      const crossing = answer(
        await trader.createAndPostOrder(
          { tokenID: yes, price: Number(ask.price), side: Side.BUY, size: 5 },
          options,
          OrderType.GTC,
          true,
        ),
      );
      assertEquals(crossing.error, "invalid post-only order: order crosses book");
      const rich = answer(
        await trader.createAndPostOrder(
          { tokenID: yes, price: restPrice, side: Side.BUY, size: 100_000 },
          options,
          OrderType.GTC,
        ),
      );
      assertEquals(rich.error, "not enough balance / allowance");
      const v1 = await trader.createOrder(
        { tokenID: yes, price: restPrice, side: Side.BUY, size: 5 },
        { ...options, version: 1 },
      );
      const stale = answer(await trader.postOrder(v1, OrderType.GTC));
      assertEquals(stale.error, "invalid order version, please use the latest clob-client");
      assertEquals(await trader.getOpenOrders(), []);

      // A batch (one leg below the minimum), a lookup, cancels by market and of everything.
      const legs = await Promise.all(
        [5, 6, 1].map((size) =>
          trader.createOrder({ tokenID: yes, price: restPrice, side: Side.BUY, size }, options)
        ),
      );
      const batch = await trader.postOrders(
        legs.map((order) => ({ order, orderType: OrderType.GTC })),
      );
      assertEquals(batch.map((r) => [r.success, r.status]), [
        [true, "live"],
        [true, "live"],
        [false, ""],
      ]);
      ok(batch[2].errorMsg.endsWith("Size (1) lower than the minimum: 5"), batch[2].errorMsg);
      assertEquals((await trader.getOrder(batch[0].orderID)).original_size, "5");
      const byMarket = await trader.cancelMarketOrders({ market: conditionId, asset_id: yes });
      assertEquals(
        [...(byMarket as { canceled: string[] }).canceled].sort(),
        [batch[0].orderID, batch[1].orderID].sort(),
      );
      assertEquals(await trader.getOrder(batch[0].orderID), null);
      const last = await trader.createAndPostOrder(
        { tokenID: yes, price: restPrice, side: Side.BUY, size: 5 },
        options,
        OrderType.GTC,
      );
      assertEquals(await trader.cancelAll(), { canceled: [last.orderID], not_canceled: {} });
      assertEquals(
        Number(
          (await trader.getOrderBook(yes)).bids.find((l) => Number(l.price) === restPrice)
            ?.size ?? 0,
        ),
        levelBefore,
      );
      // Heartbeats (sent last: they arm the dead-man switch).
      const beat = await trader.postHeartbeat();
      ok(/^[0-9a-f-]{36}$/.test(beat.heartbeat_id), JSON.stringify(beat));
    } finally {
      for (const s of sockets) await closed(s);
      await sim.close();
    }
  },
});
