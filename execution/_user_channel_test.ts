import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { SecretKey } from "../keys/age_key.ts";
import { silentLogger } from "../runtime/log.ts";
import type { UserChannelOrder, UserChannelTrade } from "../polymarket/trading_schema.ts";
import { runUserChannel } from "./_user_channel.ts";

const ORDER = {
  event_type: "order",
  type: "UPDATE",
  id: "0xabc",
  asset_id: "123",
  market: "0x01",
  side: "BUY",
  price: "0.5",
  original_size: "10",
  size_matched: "4",
  order_type: "GTC",
  status: "LIVE",
  created_at: "1700000000",
  timestamp: "1700000000123",
};

Deno.test("runUserChannel() subscribes with the credentials, PINGs, and after a drop reconnects and says so", async () => {
  const received: string[] = [];
  let connections = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    const n = ++connections;
    socket.onmessage = (e) => {
      received.push(`${n}:${e.data}`);
      if (e.data === "PING") {
        socket.send("PONG");
        // The first socket drops once subscribed; the second delivers a bad frame and an order.
        if (n === 1) socket.close(1011, "going away");
        else if (received.filter((r) => r === "2:PING").length === 1) {
          socket.send("not json");
          socket.send(JSON.stringify([ORDER]));
        }
      }
    };
    return response;
  });
  const stop = new AbortController();
  const messages: (UserChannelOrder | UserChannelTrade)[] = [];
  const reconnects: number[] = [];
  let arrived!: () => void;
  const got = new Promise<void>((resolve) => arrived = resolve);
  try {
    const channel = runUserChannel(`ws://127.0.0.1:${server.addr.port}/ws/user`, {
      apiKey: "k",
      secret: new SecretKey("c2VjcmV0"),
      passphrase: new SecretKey("p"),
    }, {
      onMessage: (m) => {
        messages.push(m);
        arrived();
      },
      onReconnect: (since) => reconnects.push(since),
      log: silentLogger(),
      signal: stop.signal,
      pingMs: 50,
      random: () => 0,
    });
    await channel.ready;
    await got;
    stop.abort();
    await channel.done;
    assertEquals(JSON.parse(received[0].slice(2)), {
      auth: { apiKey: "k", secret: "c2VjcmV0", passphrase: "p" },
      markets: [],
      type: "user",
    });
    assertEquals(received[1], "1:PING");
    ok(received.includes("2:PING"), received.join(" | "));
    assertEquals(connections, 2);
    assertEquals(reconnects.length, 1);
    assertEquals(messages.map((m) => m.kind === "order" ? [m.type, m.order.sizeMatched] : []), [
      ["UPDATE", "4"],
    ]);
  } finally {
    stop.abort();
    await server.shutdown();
  }
});
