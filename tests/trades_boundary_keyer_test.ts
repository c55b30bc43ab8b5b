/**
 * Issue 25's surviving mutation: two identical fills of one transaction split across the trade
 * keyer's generation rotation (db/trade_identity.ts). A local websocket (the venue's frames)
 * sends a fill, then a fill a retention window later in venue time (the keyer rotates), then
 * the first fill's twin; the real trades collector must store both twins (ordinals #0 and #1)
 * in PostgreSQL, not drop the second as a duplicate of the first.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { setup, startCollector, until } from "./_trades_harness.ts";

const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const MARKET = "0x" + "ab".repeat(32);
const T0 = 1_767_225_600_250;

function fill(timestamp: number, tx: string) {
  return {
    event_type: "last_trade_price",
    asset_id: TOKEN,
    market: MARKET,
    price: "0.52",
    size: "10",
    side: "BUY",
    fee_rate_bps: "0",
    timestamp: String(timestamp),
    transaction_hash: tx,
  };
}

Deno.test("trades: identical fills of one transaction split across the keyer's rotation are both stored", async () => {
  const twin = fill(T0, "0x" + "cd".repeat(32));
  const later = fill(T0 + 60_000, "0x" + "ef".repeat(32));
  const book = {
    event_type: "book",
    asset_id: TOKEN,
    market: MARKET,
    timestamp: String(T0),
    hash: "h",
    bids: [],
    asks: [],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => {
      if (e.data === "PING") return socket.send("PONG");
      // One frame each, in this order: the first twin, the fill that rotates, the second twin.
      for (const frame of [[book, twin], [later], [twin]]) socket.send(JSON.stringify(frame));
    };
    return response;
  });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: `ws://127.0.0.1:${server.addr.port}/ws/market`,
  });
  try {
    t.activeTokens.publish([{ tokenId: TOKEN, conditionId: MARKET, marketId: "1" }]);
    const c = await startCollector(t.deps(t.db.sql));
    await until(() => c.pool.connections[0]?.messages === 4, 5000);
    await sleep(200);
    await c.stop();
    const rows = await t.db.sql<{ tx_hash: string; trade_key: string }[]>`
      select tx_hash, trade_key from trades order by ts, trade_key`;
    assert.deepEqual(
      rows.map((r) => [r.tx_hash, r.trade_key.split("#")[1]]),
      [[twin.transaction_hash, "0"], [twin.transaction_hash, "1"], [later.transaction_hash, "0"]],
    );
  } finally {
    await server.shutdown();
    await t.dispose();
  }
});
