/**
 * Market websocket protocol of the simulator, against the real server: array snapshots, `[]`
 * for unknown tokens, PING/PONG, runtime (un)subscribe, deadlines, and agreement of the
 * streamed view with REST `/book` and the Data API.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { startSimulator } from "../simulator/server.ts";

type Msg = Record<string, unknown>;

/** Collects frames; `next()` waits for the next frame (raw text). */
class Client {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly closed: Promise<CloseEvent>;
  #waiters: Array<() => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.onmessage = (e) => {
      this.frames.push(String(e.data));
      for (const w of this.#waiters.splice(0)) w();
    };
    this.closed = new Promise((r) => this.ws.addEventListener("close", (e) => r(e)));
  }
  opened(): Promise<unknown> {
    return new Promise((r) => (this.ws.onopen = r));
  }
  async next(timeoutMs = 3000): Promise<string> {
    const start = this.frames.length;
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === start) {
      if (Date.now() > deadline) throw new Error("no frame");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        timer = setTimeout(r, 50);
      });
      clearTimeout(timer);
    }
    return this.frames[start];
  }
  messages(): Msg[] {
    return this.frames.filter((f) => f !== "PONG").flatMap((f) => {
      const v = JSON.parse(f);
      return Array.isArray(v) ? v : [v];
    });
  }
  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

async function start(extra: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator({
    markets: 200,
    seed: 9,
    tickMs: 60_000,
    lifecycleRate: 0,
    ...extra,
  });
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("subscribe gets one array of books, [] for unknown tokens, PONG for PING", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const c = new Client(sim.wsUrl);
  await c.opened();
  c.ws.send(
    JSON.stringify({
      assets_ids: [...m.tokenIds, "999"],
      type: "market",
      custom_feature_enabled: true,
    }),
  );
  const dump = JSON.parse(await c.next());
  ok(Array.isArray(dump));
  assertEquals(dump.map((b: Msg) => [b.event_type, b.asset_id]), [["book", m.tokenIds[0]], [
    "book",
    m.tokenIds[1],
  ]]);
  c.ws.send("PING");
  assertEquals(await c.next(), "PONG");
  c.ws.send(JSON.stringify({ assets_ids: ["12345"], operation: "subscribe" }));
  assertEquals(await c.next(), "[]");
  const other = sim.universe.markets.filter((x) => x.status === "open")[1];
  c.ws.send(JSON.stringify({ assets_ids: [other.tokenIds[0]], operation: "subscribe" }));
  const added = JSON.parse(await c.next());
  assertEquals(added.map((b: Msg) => b.asset_id), [other.tokenIds[0]]);
  c.ws.send(
    JSON.stringify({ assets_ids: [...m.tokenIds, other.tokenIds[0]], operation: "unsubscribe" }),
  );
  await sleep(50);
  const before = c.frames.length;
  sim.control.advance(30);
  await sleep(100);
  assertEquals(c.frames.length, before);
  ok(c.ws.readyState === WebSocket.OPEN);
  await c.close();
});

Deno.test("sockets that do not subscribe or PING in time are closed", async () => {
  await using sim = await start({ wsIdleTimeoutMs: 400, wsSubscribeTimeoutMs: 200 });
  const silent = new Client(sim.wsUrl);
  await silent.opened();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const idle = new Client(sim.wsUrl);
  await idle.opened();
  idle.ws.send(JSON.stringify({ assets_ids: [m.tokenIds[0]], type: "market" }));
  const alive = new Client(sim.wsUrl);
  await alive.opened();
  alive.ws.send(JSON.stringify({ assets_ids: [m.tokenIds[0]], type: "market" }));
  const pinger = setInterval(() => alive.ws.send("PING"), 100);
  try {
    await silent.closed;
    await idle.closed;
    ok(alive.ws.readyState === WebSocket.OPEN);
  } finally {
    clearInterval(pinger);
    await alive.close();
  }
});

Deno.test("REST book equals the websocket view after deltas; Data API trades equal streamed trades", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open" && x.tickUnits === 100)!;
  const c = new Client(sim.wsUrl);
  await c.opened();
  c.ws.send(
    JSON.stringify({ assets_ids: [...m.tokenIds], type: "market", custom_feature_enabled: true }),
  );
  await c.next();
  for (let i = 0; i < 40; i++) {
    sim.control.advance(3);
    await sleep(5);
  }
  await sleep(100);
  const books = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
  const trades: Msg[] = [];
  for (const msg of c.messages()) {
    if (msg.event_type === "book") {
      const toMap = (levels: Array<{ price: string; size: string }>) =>
        new Map(levels.map((l) => [l.price, l.size]));
      books.set(msg.asset_id as string, {
        bids: toMap(msg.bids as never),
        asks: toMap(msg.asks as never),
      });
    } else if (msg.event_type === "price_change") {
      for (const ch of msg.price_changes as Array<Record<string, string>>) {
        const book = books.get(ch.asset_id)!;
        const side = ch.side === "BUY" ? book.bids : book.asks;
        if (ch.size === "0") side.delete(ch.price);
        else side.set(ch.price, ch.size);
      }
    } else if (msg.event_type === "last_trade_price") trades.push(msg);
  }
  ok(trades.length > 0, "some trades streamed");
  for (const token of m.tokenIds) {
    const rest = await (await fetch(`${sim.url}/book?token_id=${token}`)).json();
    const local = books.get(token)!;
    const sorted = (map: Map<string, string>) =>
      [...map].sort((a, b) => Number(a[0]) - Number(b[0]));
    assertEquals(sorted(local.bids), rest.bids.map((l: Msg) => [l.price, l.size]));
    assertEquals(sorted(local.asks).reverse(), rest.asks.map((l: Msg) => [l.price, l.size]));
  }
  assertEquals(sim.control.sentTrades(), trades.length);
  const served = await (await fetch(`${sim.url}/trades?market=${m.conditionId}&limit=1000`)).json();
  const key = (asset: unknown, price: unknown, size: unknown, side: unknown, tx: unknown) =>
    `${asset}|${Number(price)}|${Number(size)}|${side}|${tx}`;
  assertEquals(
    served.map((t: Msg) => key(t.asset, t.price, t.size, t.side, t.transactionHash)).sort(),
    trades.map((t) => key(t.asset_id, t.price, t.size, t.side, t.transaction_hash)).sort(),
  );
  await c.close();
});
