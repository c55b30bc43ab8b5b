/**
 * A market websocket that cannot connect says which host and why (refused, a refused upgrade…)
 * once for all the connections that share a reachability tracker, not once per attempt, and
 * says when the host answers again. Real sockets on loopback; nothing is mocked.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "../runtime/log.ts";
import { createReachability, type Reachability } from "../polymarket/reachability.ts";
import { type ConnectionHandler, WsConnection } from "../collectors/_ws_connection.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(30_000);

const handler: ConnectionHandler = {
  messages: () => {},
  rejects: () => {},
  gap: () => {},
  resubscribed: () => {},
};

function connections(url: string, count: number, reachability: Reachability) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  const conns = Array.from({ length: count }, (_, id) => {
    const conn = new WsConnection(id, {
      url,
      pingMs: 5_000,
      silenceMs: 60_000,
      snapshotDeadlineMs: 30_000,
      now: Date.now,
      log,
      handler,
      random: () => 0, // shortest backoff: 250 ms, 500 ms, …
      reachability,
    });
    conn.add([`${id}1`]);
    return conn;
  });
  return { lines, conns };
}

async function until(done: () => boolean, signal: AbortSignal): Promise<void> {
  while (!done()) await delay(10, undefined, { signal });
}

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

test("a refused websocket host is logged once with host and reason, not per attempt", async (signal) => {
  const port = closedPort();
  const reach = createReachability();
  const { lines, conns } = connections(`ws://127.0.0.1:${port}/ws/market`, 3, reach);
  const controller = new AbortController();
  const runs = conns.map((c) => c.run(AbortSignal.any([controller.signal, signal])));
  try {
    // Counted attempts, not elapsed time: at least two failures per connection.
    await until(() => (reach.unreachable(Date.now())[0]?.failures ?? 0) >= 6, signal);
  } finally {
    controller.abort();
    await Promise.all(runs);
  }
  const said = lines.filter((l) => l.event === "ws_unreachable");
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.equal(said[0]!.host, `127.0.0.1:${port}`);
  assert.equal(said[0]!.reason, "refused");
  assert.match(String(said[0]!.detail), /connection refused/i);
  assert.ok(!String(said[0]!.detail).includes("/ws/market"), "the path stays out of the line");
  const [down] = reach.unreachable(Date.now());
  assert.deepEqual([down!.host, down!.reason], [`127.0.0.1:${port}`, "refused"]);
});

test("a refused upgrade is named 'handshake', and the host's return is logged", async (signal) => {
  let refusals = 2;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (refusals-- > 0) return new Response("maintenance", { status: 503 });
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => e.data === "PING" && socket.send("PONG");
    return response;
  });
  const reach = createReachability();
  const { lines, conns } = connections(`ws://127.0.0.1:${server.addr.port}/ws/market`, 1, reach);
  const controller = new AbortController();
  const run = conns[0]!.run(AbortSignal.any([controller.signal, signal]));
  try {
    await until(() => conns[0]!.state === "open", signal);
  } finally {
    controller.abort();
    await run;
    await server.shutdown();
  }
  const said = lines.filter((l) => l.event === "ws_unreachable");
  assert.equal(said.length, 1);
  assert.equal(said[0]!.reason, "handshake");
  assert.match(String(said[0]!.detail), /HTTP 503/);
  const back = lines.filter((l) => l.event === "ws_reachable");
  assert.equal(back.length, 1);
  assert.equal(back[0]!.host, `127.0.0.1:${server.addr.port}`);
  assert.ok(typeof back[0]!.downMs === "number" && back[0]!.downMs >= 0);
  assert.deepEqual(reach.unreachable(Date.now()), []);
});
