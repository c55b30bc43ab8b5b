/**
 * Planted mispricings as a venue: serves a `plantScenario` on one loopback port as the market
 * websocket (subscribe / `operation` messages, text PING → PONG, a `book` per subscribed token
 * on every subscribe, YES or NO, then the scenario's `price_change` frames in real time), and its
 * venue (`plant_venue.ts`) through the normal simulator's Gamma, CLOB and Data API routes
 * (`handleRest`), so `pmcollect run` and `pmcollect relations` can take it in as they would
 * the real one. The REST books follow the stream.
 *
 * Playing starts `delayMs` after the server listens, or with `playOn: "subscribe"` `delayMs`
 * after the first websocket subscription to a planted token (the `simulate --plant` default:
 * the collector may take its time to read the markets and derive the relations first), or with
 * `playOn: "call"` `delayMs` after both that subscription and a call of `play()` (a test that
 * must not play before its trader is ready, however long a loaded host takes to start it).
 *
 * With `trading`, the planted venue also takes orders (live trading's tests): the normal
 * simulator's trading routes (`venue_routes.ts`, L1/L2 auth, `POST /order`, cancels,
 * `/data/orders`, `/data/trades`, `/v2/positions`) and the user channel at `/ws/user`, matching
 * on the very books the stream plays (`PlantServer.venue`). Fills are not published on the
 * planted market channel, which plays the scenario as written.
 *
 * `/truth` is JSON: `{ startedAt, t0, convertFeeBips, truth }`, `startedAt` the wall-clock
 * instant the scenario's t0 was played at (null before), each truth with the `relationKey` the
 * product reports (`partition:…`, `ladder_date:…:A=>B`), the scenario's own key as `plantKey`,
 * and once played its wall-clock `playedStartAt` / `playedEndAt` (ms): the instants the schedule
 * meant. `sentStartAt` / `sentEndAt` are when the frames of its start and end were actually sent
 * (null until then): the server plays on the caller's event loop, whose timers fire late when the
 * machine is busy.
 *
 * @example
 * ```ts ignore
 * import { plantScenario } from "./plant.ts";
 * import { servePlantedScenario } from "./plant_server.ts";
 * const server = servePlantedScenario(plantScenario({ seed: 1 }), { delayMs: 1000 });
 * // PMCOLLECT_WS_MARKET_URL=server.url, PMCOLLECT_GAMMA_URL=server.httpUrl, …
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { formatDec, ONE, parseDec } from "../edge/decimal.ts";
import type { LevelChange } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import type { PlantedScenario } from "./plant.ts";
import { plantedVenue } from "./plant_venue.ts";
import { handleRest, routeFamily } from "./server.ts";
import { ApiKeys } from "./clob_auth.ts";
import { UserHub } from "./user_ws.ts";
import { Venue, type VenueOptions } from "./venue.ts";
import { handleTrading } from "./venue_routes.ts";
import { MarketHub } from "./ws_hub.ts";

/** Options of {@link servePlantedScenario}. */
export interface PlantServerOptions {
  readonly delayMs: number;
  readonly port?: number;
  readonly hostname?: string;
  /**
   * "listen" (default): play `delayMs` after start; "subscribe": after the first subscription;
   * "call": after the first subscription and `play()`.
   */
  readonly playOn?: "listen" | "subscribe" | "call";
  /** Take orders too (module header); absent: a read-only venue. */
  readonly trading?: VenueOptions;
}

/** A running planted venue. */
export interface PlantServer {
  /** The market websocket URL. */
  readonly url: string;
  /** The base URL of Gamma, CLOB and the Data API. */
  readonly httpUrl: string;
  readonly truthUrl: string;
  readonly played: Promise<void>;
  /** Lets a `playOn: "call"` scenario play (once subscribed); no effect otherwise. */
  play(): void;
  /** The trading venue and its user channel (null without `trading`). */
  readonly venue: Venue | null;
  readonly userWsUrl: string | null;
  close(): Promise<void>;
}

const NO_FAULTS = { takeMalformedPage: () => false };

/** Serves the scenario on `hostname` (default 127.0.0.1; port 0 = any). */
export function servePlantedScenario(
  scenario: PlantedScenario,
  options: PlantServerOptions,
): PlantServer {
  const delayMs = options.delayMs;
  const books = new L2Books();
  const venue = plantedVenue(scenario, { now: Date.now });
  const t0 = scenario.events[0]!.receivedAt;
  const markets = scenario.relations.flatMap((r) => r.markets);
  const market = new Map(markets.map((m) => [m.yesTokenId, m.conditionId]));
  const yesOfNo = new Map(markets.map((m) => [m.noTokenId, m.yesTokenId]));
  for (const e of scenario.events) if (e.receivedAt === t0 && e.kind === "book") books.apply(e);
  const sockets = new Map<WebSocket, Set<string>>();
  const trading = options.trading === undefined ? null : (() => {
    const deadlines = { now: Date.now, idleTimeoutMs: 10_000, subscribeTimeoutMs: 5_000 };
    // A hub with no sockets: the venue's own fills are not played on the planted channel.
    const hub = new MarketHub(venue.world, {
      ...deadlines,
      takeMalformedFrame: () => false,
      takeWithheldSnapshot: () => false,
    });
    const keys = new ApiKeys(1);
    const exchange = new Venue(venue.world, hub, options.trading);
    const users = new UserHub(keys, exchange, deadlines);
    const timer = setInterval(() => {
      exchange.tick();
      users.enforceDeadlines();
    }, 50);
    return { keys, exchange, users, timer };
  })();
  const bookMessage = (tokenId: string) => {
    const yes = yesOfNo.get(tokenId) ?? tokenId;
    const b = books.book(yes)!;
    const levels = (side: readonly (readonly [string, string])[]) =>
      side.toReversed().map(([price, size]) => ({ price, size }));
    // The NO book mirrors the YES book: NO bids at 1 − YES asks, NO asks at 1 − YES bids.
    const mirror = (side: readonly (readonly [string, string])[]) =>
      levels(side).map(({ price, size }) => ({ price: complement(price), size })).toReversed();
    return {
      event_type: "book",
      market: market.get(yes),
      asset_id: tokenId,
      timestamp: String(Date.now()),
      hash: "h",
      bids: yes === tokenId ? levels(b.bids) : mirror(b.asks),
      asks: yes === tokenId ? levels(b.asks) : mirror(b.bids),
    };
  };
  let firstSubscription: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => (firstSubscription = resolve));
  let play: () => void = () => {};
  const called = new Promise<void>((resolve) => (play = resolve));
  const served = scenario.truth.map((t) => ({
    ...t,
    relationKey: venue.productKeys.get(t.relationKey) ?? t.relationKey,
    plantKey: t.relationKey,
  }));
  const convertFeeBips = scenario.relations.find((r) => r.kind === "group")?.convertFeeBips ?? null;
  const truth = () =>
    Response.json({
      startedAt: playStart,
      t0,
      convertFeeBips,
      truth: served.map((t) => ({
        ...t,
        ...(playStart === null ? {} : {
          playedStartAt: playStart + (t.startAt - t0),
          playedEndAt: playStart + (t.endAt - t0),
          sentStartAt: sentAt.get(t.startAt) ?? null,
          sentEndAt: sentAt.get(t.endAt) ?? null,
        }),
      })),
    });
  const upgrade = (req: Request) => {
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
      const known = msg.assets_ids.filter((t) => market.has(t) || yesOfNo.has(t));
      for (const t of known) tokens.add(t);
      if (known.length > 0) {
        socket.send(JSON.stringify(known.map(bookMessage)));
        firstSubscription();
      }
    };
    return response;
  };
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/truth") return truth();
    const websocket = req.headers.get("upgrade")?.toLowerCase() === "websocket";
    if (trading !== null && websocket && url.pathname === "/ws/user") {
      const { socket, response } = Deno.upgradeWebSocket(req);
      trading.users.accept(socket);
      return response;
    }
    if (websocket) return upgrade(req);
    if (trading !== null) {
      const deps = { venue: trading.exchange, keys: trading.keys, world: venue.world };
      const traded = await handleTrading(deps, req, url);
      if (traded !== null) return traded;
    }
    const family = routeFamily(url);
    if (family === "ws") {
      return Response.json({ error: "websocket upgrade required" }, { status: 400 });
    }
    return await handleRest(venue.world, NO_FAULTS, { req, url, family });
  });
  const stop = new AbortController();
  // Wall-clock instant of the scenario's t0 once playing: truth instants map by the offset.
  let playStart: number | null = null;
  // When each scenario instant's frames were actually sent (wall clock).
  const sentAt = new Map<number, number>();
  const played = (async () => {
    if (options.playOn === "subscribe" || options.playOn === "call") {
      await Promise.race([
        options.playOn === "call" ? Promise.all([subscribed, called]) : subscribed,
        new Promise((_, reject) =>
          stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true })
        ),
      ]);
    }
    await sleep(delayMs, undefined, { signal: stop.signal });
    const begin = Date.now();
    playStart = begin;
    for (const e of scenario.events) {
      if (e.receivedAt === t0 || e.kind !== "price_change") continue;
      const wait = begin + (e.receivedAt - t0) - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stop.signal });
      books.apply(e);
      venue.apply(e);
      const no = markets.find((m) => m.yesTokenId === e.tokenId)!.noTokenId;
      const now = Date.now();
      if (!sentAt.has(e.receivedAt)) sentAt.set(e.receivedAt, now);
      for (const [socket, tokens] of sockets) {
        const changes = [
          ...(tokens.has(e.tokenId) ? e.changes.map((c) => wireChange(e.tokenId, c)) : []),
          ...(tokens.has(no) ? e.changes.map((c) => wireChange(no, mirrorChange(c))) : []),
        ];
        if (changes.length === 0) continue;
        socket.send(JSON.stringify({
          event_type: "price_change",
          market: market.get(e.tokenId),
          timestamp: String(now),
          price_changes: changes,
        }));
      }
    }
  })().catch(() => {});
  const port = server.addr.port;
  const host = options.hostname ?? "127.0.0.1";
  return {
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    truthUrl: `http://${host}:${port}/truth`,
    played,
    play,
    venue: trading?.exchange ?? null,
    userWsUrl: trading === null ? null : `ws://${host}:${port}/ws/user`,
    close: async () => {
      stop.abort();
      if (trading !== null) {
        clearInterval(trading.timer);
        trading.users.closeAll();
      }
      await played;
      for (const socket of sockets.keys()) socket.close();
      await server.shutdown();
    },
  };
}

function wireChange(assetId: string, c: LevelChange) {
  return { asset_id: assetId, price: c.price, size: c.size, side: c.side, hash: "h" };
}

/** A YES change as the NO book sees it: a YES bid at p is a NO ask at 1 − p. */
function mirrorChange(c: LevelChange): LevelChange {
  return { price: complement(c.price), size: c.size, side: c.side === "BUY" ? "SELL" : "BUY" };
}

function complement(price: string): string {
  return formatDec(ONE - parseDec(price));
}
