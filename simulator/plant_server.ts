/**
 * Planted mispricings over a websocket: serves a `plantScenario` as the venue's market channel
 * (subscribe / `operation` messages, text PING → PONG, a `book` per subscribed token on every
 * subscribe, then the scenario's `price_change` frames in real time, `delayMs` after start),
 * and its truth as JSON at `/truth` with the wall-clock instant the scenario's t0 was played
 * at (a planted instant t happened at `startedAt + (t − t0)`).
 *
 * @example
 * ```ts ignore
 * import { plantScenario } from "./plant.ts";
 * import { servePlantedScenario } from "./plant_server.ts";
 * const server = servePlantedScenario(plantScenario({ seed: 1 }), { delayMs: 1000 });
 * // PMCOLLECT_WS_MARKET_URL=server.url; later: await fetch(server.truthUrl)
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { L2Books } from "../stream/l2_book.ts";
import type { PlantedScenario } from "./plant.ts";

/** Serves the scenario on 127.0.0.1 (port 0 = any); plays it `delayMs` after start. */
export function servePlantedScenario(
  scenario: PlantedScenario,
  options: { readonly delayMs: number; readonly port?: number },
): { url: string; truthUrl: string; played: Promise<void>; close(): Promise<void> } {
  const delayMs = options.delayMs;
  const books = new L2Books();
  const t0 = scenario.events[0]!.receivedAt;
  const market = new Map(
    scenario.relations.flatMap((r) => r.markets).map((m) => [m.yesTokenId, m.conditionId]),
  );
  for (const e of scenario.events) if (e.receivedAt === t0 && e.kind === "book") books.apply(e);
  const sockets = new Map<WebSocket, Set<string>>();
  const bookMessage = (tokenId: string) => {
    const b = books.book(tokenId)!;
    return {
      event_type: "book",
      market: market.get(tokenId),
      asset_id: tokenId,
      timestamp: String(Date.now()),
      hash: "h",
      bids: b.bids.toReversed().map(([price, size]) => ({ price, size })),
      asks: b.asks.toReversed().map(([price, size]) => ({ price, size })),
    };
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, (req) => {
    if (new URL(req.url).pathname === "/truth") {
      return Response.json({ startedAt: playStart, t0, truth: scenario.truth });
    }
    if (req.headers.get("upgrade") !== "websocket") {
      return new Response("not found", { status: 404 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    const tokens = new Set<string>();
    socket.onopen = () => sockets.set(socket, tokens);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (m) => {
      if (m.data === "PING") return socket.send("PONG");
      const msg = JSON.parse(m.data as string) as { assets_ids: string[]; operation?: string };
      if (msg.operation === "unsubscribe") {
        for (const t of msg.assets_ids) tokens.delete(t);
        return;
      }
      const known = msg.assets_ids.filter((t) => market.has(t));
      for (const t of known) tokens.add(t);
      if (known.length > 0) socket.send(JSON.stringify(known.map(bookMessage)));
    };
    return response;
  });
  const stop = new AbortController();
  // Wall-clock instant of the scenario's t0 once playing: truth instants map by the offset.
  let playStart: number | null = null;
  const played = (async () => {
    await sleep(delayMs, undefined, { signal: stop.signal });
    const begin = Date.now();
    playStart = begin;
    for (const e of scenario.events) {
      if (e.receivedAt === t0 || e.kind !== "price_change") continue;
      const wait = begin + (e.receivedAt - t0) - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stop.signal });
      books.apply(e);
      const frame = JSON.stringify({
        event_type: "price_change",
        market: market.get(e.tokenId),
        timestamp: String(Date.now()),
        price_changes: e.changes.map((c) => ({
          asset_id: e.tokenId,
          price: c.price,
          size: c.size,
          side: c.side,
          hash: "h",
        })),
      });
      for (const [socket, tokens] of sockets) if (tokens.has(e.tokenId)) socket.send(frame);
    }
  })().catch(() => {});
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    truthUrl: `http://127.0.0.1:${server.addr.port}/truth`,
    played,
    close: async () => {
      stop.abort();
      await played;
      for (const socket of sockets.keys()) socket.close();
      await server.shutdown();
    },
  };
}
