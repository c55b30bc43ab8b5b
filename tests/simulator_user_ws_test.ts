/**
 * The simulator's user channel (`/ws/user`): bad credentials close the socket (1008), PING is
 * answered PONG, and a socket hears only the markets it subscribed to, changed at runtime with
 * `operation: subscribe`.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
// deno-lint-ignore no-import-prefix
import { ClobClient, OrderType, Side } from "npm:@polymarket/clob-client-v2@1.1.0";
// deno-lint-ignore no-import-prefix
import { createWalletClient, http } from "npm:viem@2.57.20";
// deno-lint-ignore no-import-prefix
import { privateKeyToAccount } from "npm:viem@2.57.20/accounts";
import { startSimulator } from "../simulator/server.ts";

const KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

function open(url: string): Promise<{ socket: WebSocket; frames: string[] }> {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  socket.onmessage = (e) => frames.push(String(e.data));
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve({ socket, frames });
    socket.onerror = reject;
  });
}

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

Deno.test({
  name: "simulator /ws/user: auth, PING/PONG and per-market subscriptions",
  fn: async () => {
    const sim = await startSimulator({
      markets: 200,
      seed: 41,
      tickMs: 60_000,
      activityPerTick: 0,
      lifecycleRate: 0,
      wsIdleTimeoutMs: 300_000, // the sockets here send no PING; a loaded run may be slow
    });
    const sockets: WebSocket[] = [];
    try {
      const account = privateKeyToAccount(KEY);
      const signer = createWalletClient({ account, transport: http("http://127.0.0.1:9") });
      const creds = await new ClobClient({ host: sim.url, chain: 137, signer })
        .createOrDeriveApiKey();
      const trader = new ClobClient({ host: sim.url, chain: 137, signer, creds });
      const auth = { apiKey: creds.key, secret: creds.secret, passphrase: creds.passphrase };

      const forged = await open(sim.userWsUrl);
      sockets.push(forged.socket);
      const closed = new Promise<CloseEvent>((r) => forged.socket.addEventListener("close", r));
      forged.socket.send(JSON.stringify({ auth: { ...auth, secret: "x" }, type: "user" }));
      assertEquals((await closed).code, 1008);

      const [m1, m2] = sim.universe.markets.filter((m) =>
        m.status === "open" && m.tickUnits === 100
      );
      const user = await open(sim.userWsUrl);
      sockets.push(user.socket);
      user.socket.send(JSON.stringify({ auth, markets: [m2.conditionId], type: "user" }));
      user.socket.send("PING");
      await until("PONG", () => user.frames.find((f) => f === "PONG"));

      const book = await trader.getOrderBook(m1.tokenIds[0]);
      const first = await trader.createAndPostOrder(
        {
          tokenID: m1.tokenIds[0],
          price: Math.round(Number(book.bids.at(-1)!.price) * 100 - 1) / 100,
          side: Side.BUY,
          size: 5,
        },
        { tickSize: "0.01", negRisk: m1.negRiskMarketId !== "" },
        OrderType.GTC,
      );
      ok(first.success, JSON.stringify(first));
      user.socket.send(JSON.stringify({ markets: [m1.conditionId], operation: "subscribe" }));
      await sleep(100); // the subscription is handled before the next order
      assertEquals(user.frames.filter((f) => f !== "PONG"), []); // m1 was not subscribed then
      const canceled = await trader.cancelOrder({ orderID: first.orderID });
      assertEquals(canceled.canceled, [first.orderID]);
      const heard = await until(
        "the CANCELLATION of m1's order",
        () =>
          user.frames.map((f) => f === "PONG" ? null : JSON.parse(f)).find((m) =>
            m?.type === "CANCELLATION" && m.id === first.orderID
          ),
      );
      assertEquals([heard.event_type, heard.market, heard.status], [
        "order",
        m1.conditionId,
        "CANCELED",
      ]);
    } finally {
      for (const s of sockets) {
        if (s.readyState === WebSocket.CLOSED) continue;
        const done = new Promise((r) => s.addEventListener("close", r));
        s.close();
        await done;
      }
      await sim.close();
    }
  },
});
