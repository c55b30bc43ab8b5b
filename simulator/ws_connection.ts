/**
 * One market-channel connection: the subscribe/operation protocol, text PING/PONG, initial
 * book dumps as one array frame (`[]` when no token is known) and per-connection fault flags.
 *
 * @example
 * ```ts
 * import { MarketConnection } from "./ws_connection.ts";
 * // const conn = new MarketConnection(socket, { world, now, onSubscribe, takeWithheld });
 * ```
 */
import type { World } from "./world.ts";
import { wsBook, type WsMessage } from "./ws_messages.ts";

/** What a connection needs from the server. */
export interface ConnectionDeps {
  world: World;
  now: () => number;
  /** Called after the token set changed. */
  onSubscriptionChange: () => void;
  /** True when this subscription's snapshot must be withheld (fault). */
  takeWithheldSnapshot: () => boolean;
}

/** Server side of one `/ws/market` socket. */
export class MarketConnection {
  readonly socket: WebSocket;
  readonly tokens = new Set<string>();
  readonly openedAtMs: number;
  customFeatures = false;
  subscribed = false;
  /** Silent stall: PONGs continue, data stops. */
  stalled = false;
  lastPingMs: number;
  readonly #deps: ConnectionDeps;

  /** Wraps an upgraded socket; messages are handled as they arrive. */
  constructor(socket: WebSocket, deps: ConnectionDeps) {
    this.socket = socket;
    this.#deps = deps;
    this.openedAtMs = deps.now();
    this.lastPingMs = this.openedAtMs;
    socket.onmessage = (e) => {
      if (typeof e.data === "string") this.#receive(e.data);
    };
  }

  /** True if the socket is open. */
  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a frame if the socket is open and not stalled; returns whether it was sent. */
  send(text: string): boolean {
    if (!this.open || this.stalled) return false;
    this.socket.send(text);
    return true;
  }

  /** True if this connection wants a message (token match, or custom events). */
  wants(message: WsMessage, marketTokens: readonly string[] | null): boolean {
    if (marketTokens === null) return this.customFeatures; // broadcast (new_market)
    if (message.event_type === "market_resolved" || message.event_type === "new_market") {
      if (!this.customFeatures) return false;
    }
    const asset = message.asset_id;
    if (typeof asset === "string") return this.tokens.has(asset);
    return this.tokens.has(marketTokens[0]) || this.tokens.has(marketTokens[1]);
  }

  /** Closes the socket (idempotent). */
  close(code: number, reason: string): void {
    if (
      this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING
    ) {
      try {
        this.socket.close(code, reason);
      } catch {
        // already closing
      }
    }
  }

  #receive(text: string): void {
    if (text === "PING") {
      this.lastPingMs = this.#deps.now();
      if (this.open) this.socket.send("PONG");
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.#sendRaw("INVALID OPERATION");
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    const m = msg as Record<string, unknown>;
    const ids = Array.isArray(m.assets_ids)
      ? m.assets_ids.filter((x) => typeof x === "string")
      : [];
    if (m.custom_feature_enabled === true) this.customFeatures = true;
    if (m.operation === "unsubscribe") {
      for (const id of ids) this.tokens.delete(id);
      this.#deps.onSubscriptionChange();
      return;
    }
    if (m.type !== undefined && String(m.type).toLowerCase() !== "market") {
      this.#sendRaw("INVALID OPERATION");
      return;
    }
    if (m.operation === undefined && m.type === undefined) {
      this.#sendRaw("INVALID OPERATION");
      return;
    }
    this.subscribed = true;
    const fresh = ids.filter((id) => !this.tokens.has(id));
    for (const id of ids) this.tokens.add(id);
    this.#deps.onSubscriptionChange();
    if (m.initial_dump === false || this.#deps.takeWithheldSnapshot()) return;
    this.#sendSnapshot(m.operation === "subscribe" ? fresh : ids);
  }

  #sendSnapshot(ids: string[]): void {
    const { world } = this.#deps;
    const books: WsMessage[] = [];
    for (const id of ids) {
      const ref = world.universe.byToken.get(id);
      if (ref === undefined || ref.market.status !== "open") continue;
      books.push(wsBook(ref.market, world.book(ref.market), ref.outcomeIndex));
    }
    this.send(JSON.stringify(books));
  }

  #sendRaw(text: string): void {
    if (this.open) this.socket.send(text);
  }
}
