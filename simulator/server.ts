/**
 * A local Polymarket on loopback: Gamma, CLOB REST, Data API and the market websocket served by
 * one `Deno.serve`, so every base URL is `url`. Optional `/gamma`, `/clob` and `/data-api`
 * prefixes force a family where paths collide (`GET /markets` is Gamma unless `next_cursor` is
 * given).
 *
 * @example
 * ```ts
 * import { startSimulator } from "./server.ts";
 * const sim = await startSimulator({ markets: 200, seed: 1 });
 * const res = await fetch(`${sim.url}/markets/keyset?limit=10`);
 * await res.body?.cancel();
 * await sim.close();
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { jsonResponse } from "./_http.ts";
import { handleClob } from "./clob_routes.ts";
import { SimulatorControl } from "./control.ts";
import { handleData } from "./data_routes.ts";
import { Engine } from "./engine.ts";
import { Faults, type FaultSpec, type RouteFamily } from "./faults.ts";
import { handleGamma, type PageFaults } from "./gamma_routes.ts";
import { RateLimiter } from "./rate_limit.ts";
import { createUniverse, type Universe } from "./universe.ts";
import { World } from "./world.ts";
import type { ActivityMode } from "./activity_model.ts";
import { MarketHub } from "./ws_hub.ts";
import { ApiKeys } from "./clob_auth.ts";
import { UserHub } from "./user_ws.ts";
import { Venue, type VenueOptions } from "./venue.ts";
import { handleTrading } from "./venue_routes.ts";
import { ClosedHistory } from "./history.ts";
import { handleHistory, HIDDEN_ROUTE } from "./history_routes.ts";

/** The venue closes a market socket that sent no PING for this long (its ~10 s rule). */
export const WS_IDLE_TIMEOUT_MS = 10_000;

/** Options for {@link startSimulator}. */
export interface SimulatorOptions {
  hostname?: string;
  port?: number;
  markets?: number;
  seed?: number;
  /** How often the world advances (default 100 ms). */
  tickMs?: number;
  /** Activity events per tick (default 8; busy mode only). */
  activityPerTick?: number;
  /** "busy" (default, load tests) or "realistic" (simulator/activity_model.ts). */
  activity?: ActivityMode;
  /** Probability per tick of a random resolution and a random listing (default 0.02). */
  lifecycleRate?: number;
  rateLimits?: boolean;
  faults?: FaultSpec;
  /** Websocket PING deadline (default 10,000 ms). */
  wsIdleTimeoutMs?: number;
  /** Websocket subscribe deadline (default 5,000 ms). */
  wsSubscribeTimeoutMs?: number;
  /** The trading venue: starting funds of every account, settlement delay (`venue.ts`). */
  trading?: VenueOptions;
  /**
   * Resolved markets of the closed history (`history.ts`), served by Gamma `closed=true`
   * lists and `/prices-history`, with the test-only `GET /_test/hidden` (default 0: none).
   */
  closedMarkets?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** A running simulator. */
export interface Simulator {
  url: string;
  wsUrl: string;
  /** The user channel (`/ws/user`). */
  userWsUrl: string;
  universe: Universe;
  /** Orders, trades and accounts of the trading venue. */
  venue: Venue;
  /** The closed history (null when `closedMarkets` is 0). */
  history: ClosedHistory | null;
  control: SimulatorControl;
  close(): Promise<void>;
}

/** Starts the simulator; it stops on `close()` or when `signal` aborts. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const universe = createUniverse({ markets: options.markets ?? 1000, seed, now: now() });
  const world = new World(universe, { seed, now });
  const faults = new Faults(now);
  const closedMarkets = options.closedMarkets ?? 0;
  const history = closedMarkets > 0
    ? new ClosedHistory({ count: closedMarkets, seed, now: now() })
    : null;
  if (options.faults !== undefined) faults.apply(options.faults);
  const hub = new MarketHub(world, {
    now,
    idleTimeoutMs: options.wsIdleTimeoutMs ?? WS_IDLE_TIMEOUT_MS,
    subscribeTimeoutMs: options.wsSubscribeTimeoutMs ?? 5_000,
    takeMalformedFrame: () => faults.takeMalformedFrame(),
    takeWithheldSnapshot: () => faults.takeWithheldSnapshot(),
  });
  const engine = new Engine(world, hub, {
    tickMs: options.tickMs ?? 100,
    activityPerTick: options.activityPerTick ?? 8,
    lifecycleRate: options.lifecycleRate ?? 0.02,
    activity: options.activity ?? "busy",
  });
  const control = new SimulatorControl({ world, hub, faults, engine });
  const keys = new ApiKeys(seed, now);
  const venue = new Venue(world, hub, options.trading);
  const userHub = new UserHub(keys, venue, {
    now,
    idleTimeoutMs: options.wsIdleTimeoutMs ?? WS_IDLE_TIMEOUT_MS,
    subscribeTimeoutMs: options.wsSubscribeTimeoutMs ?? 5_000,
  });
  const limiter = options.rateLimits === true ? new RateLimiter(now) : null;
  const stop = new AbortController();
  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname === "/__control" && req.method === "POST") return control.handle(req);
    const family = routeFamily(url);
    if (history !== null && url.pathname === HIDDEN_ROUTE) {
      return handleHistory(history, { world, url, family })!;
    }
    const injected = faults.check(family) ?? limiter?.check(url.pathname, family) ?? null;
    if (injected !== null) return injected;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs, undefined, { signal: stop.signal });
    if (family === "ws") {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return jsonResponse({ error: "websocket upgrade required" }, 400);
      }
      const { socket, response } = Deno.upgradeWebSocket(req);
      if (url.pathname === "/ws/user") userHub.accept(socket);
      else hub.accept(socket);
      return response;
    }
    const traded = await handleTrading({ venue, keys, world }, req, url);
    if (traded !== null) return traded;
    const fromHistory = history === null ? null : handleHistory(history, { world, url, family });
    return fromHistory ?? await handleRest(world, faults, { req, url, family });
  };
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    hostname,
    port: options.port ?? 0,
    signal: stop.signal,
    onListen: () => {},
    handler: (req) => handler(req).catch((err) => jsonResponse({ error: String(err) }, 500)),
  });
  engine.start(stop.signal);
  const venueTimer = setInterval(() => {
    venue.tick();
    userHub.enforceDeadlines();
  }, 50);
  stop.signal.addEventListener("abort", () => clearInterval(venueTimer), { once: true });
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      engine.setLoad(false);
      hub.closeAll();
      userHub.closeAll();
      stop.abort();
      await server.finished;
    })();
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  if (options.signal?.aborted) await close();
  const base = `http://${hostname}:${server.addr.port}`;
  return {
    url: base,
    wsUrl: `ws://${hostname}:${server.addr.port}/ws/market`,
    userWsUrl: `ws://${hostname}:${server.addr.port}/ws/user`,
    universe,
    venue,
    history,
    control,
    close,
  };
}

/**
 * Serves a Gamma, CLOB or Data API request over `world` (404 for a path no route knows). The
 * planted mode (`plant_server.ts`) serves its venue through this too.
 */
export async function handleRest(
  world: World,
  faults: PageFaults,
  request: { readonly req: Request; readonly url: URL; readonly family: RouteFamily },
): Promise<Response> {
  const { req, url, family } = request;
  const response = family === "gamma"
    ? handleGamma(world, faults, url)
    : family === "data"
    ? handleData(world, faults, url)
    : family === "clob"
    ? await handleClob(world, faults, req, url)
    : null;
  return response ?? jsonResponse({ error: "not found" }, 404);
}

/** Which API a request belongs to; strips an explicit `/gamma`, `/clob` or `/data-api` prefix. */
export function routeFamily(url: URL): RouteFamily {
  const prefixed = /^\/(gamma|clob|data-api)(\/.*)$/.exec(url.pathname);
  if (prefixed !== null) {
    url.pathname = prefixed[2];
    return prefixed[1] === "data-api" ? "data" : prefixed[1] as RouteFamily;
  }
  const path = url.pathname;
  if (path === "/ws/market" || path === "/ws/user") return "ws";
  if (path === "/trades" || path === "/positions" || path.startsWith("/v2/")) return "data";
  if (path.startsWith("/events") || path === "/markets/keyset" || /^\/markets\/\d+$/.test(path)) {
    return "gamma";
  }
  if (path === "/markets" && !url.searchParams.has("next_cursor")) return "gamma";
  return "clob";
}
