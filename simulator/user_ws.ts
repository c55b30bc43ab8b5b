/**
 * The user channel (`/ws/user`): a socket subscribes with
 * `{"auth":{"apiKey","secret","passphrase"},"markets":[condition ids],"type":"user"}` (no
 * markets: all of them), may change its markets with `{"markets":[…],"operation":
 * "subscribe"|"unsubscribe"}`, keeps alive with text PING/PONG, and receives the `order` and
 * `trade` messages of the key's account. Bad credentials close the socket (1008).
 *
 * @example
 * ```ts
 * import { UserHub } from "./user_ws.ts";
 * // const hub = new UserHub(apiKeys, venue, { now: Date.now, idleTimeoutMs: 10_000 });
 * // hub.accept(socket);
 * ```
 */
import type { ApiKeys } from "./clob_auth.ts";
import type { UserEvent, Venue } from "./venue.ts";

/** User hub options. */
export interface UserHubOptions {
  now: () => number;
  /** Close a socket that sent no PING for this long. */
  idleTimeoutMs: number;
  /** Close a socket that has not authenticated after this long. */
  subscribeTimeoutMs: number;
}

interface UserConnection {
  socket: WebSocket;
  address: string | null;
  /** Condition ids; empty = every market. */
  markets: Set<string>;
  openedAtMs: number;
  lastPingMs: number;
}

/** All user-channel sockets. */
export class UserHub {
  readonly #keys: ApiKeys;
  readonly #options: UserHubOptions;
  readonly #connections = new Set<UserConnection>();

  /** Listens to `venue`'s events for the sockets it will accept. */
  constructor(keys: ApiKeys, venue: Venue, options: UserHubOptions) {
    this.#keys = keys;
    this.#options = options;
    venue.listeners.add((event) => this.#publish(event));
  }

  /** Adopts an upgraded socket. */
  accept(socket: WebSocket): void {
    const now = this.#options.now();
    const conn: UserConnection = {
      socket,
      address: null,
      markets: new Set(),
      openedAtMs: now,
      lastPingMs: now,
    };
    this.#connections.add(conn);
    socket.onmessage = (e) => {
      if (typeof e.data === "string") this.#receive(conn, e.data);
    };
    const forget = () => this.#connections.delete(conn);
    socket.addEventListener("close", forget);
    socket.addEventListener("error", forget);
  }

  /** Closes sockets past their subscribe or PING deadline. */
  enforceDeadlines(): void {
    const now = this.#options.now();
    for (const conn of this.#connections) {
      if (conn.address === null && now - conn.openedAtMs > this.#options.subscribeTimeoutMs) {
        close(conn.socket, 1008, "subscribe timeout");
      } else if (now - conn.lastPingMs > this.#options.idleTimeoutMs) {
        close(conn.socket, 1001, "ping timeout");
      }
    }
  }

  /** Closes every socket (shutdown). */
  closeAll(): void {
    for (const conn of this.#connections) close(conn.socket, 1001, "simulator shutting down");
  }

  #receive(conn: UserConnection, text: string): void {
    if (text === "PING") {
      conn.lastPingMs = this.#options.now();
      send(conn.socket, "PONG");
      return;
    }
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null) throw new TypeError("not an object");
      msg = parsed as Record<string, unknown>;
    } catch {
      send(conn.socket, "INVALID OPERATION");
      return;
    }
    const markets = Array.isArray(msg.markets)
      ? msg.markets.filter((m): m is string => typeof m === "string").map((m) => m.toLowerCase())
      : [];
    if (msg.operation === "subscribe" || msg.operation === "unsubscribe") {
      if (conn.address === null) return send(conn.socket, "INVALID OPERATION");
      for (const m of markets) {
        if (msg.operation === "subscribe") conn.markets.add(m);
        else conn.markets.delete(m);
      }
      return;
    }
    if (String(msg.type).toLowerCase() !== "user") return send(conn.socket, "INVALID OPERATION");
    const auth = msg.auth as Record<string, unknown> | undefined;
    const owner = this.#keys.owner(String(auth?.apiKey ?? ""));
    if (
      owner === undefined || auth?.secret !== owner.secret || auth?.passphrase !== owner.passphrase
    ) {
      close(conn.socket, 1008, "invalid auth");
      return;
    }
    conn.address = owner.address;
    conn.markets = new Set(markets);
  }

  #publish(event: UserEvent): void {
    const text = JSON.stringify(event.message);
    for (const conn of this.#connections) {
      if (conn.address !== event.address) continue;
      if (conn.markets.size > 0 && !conn.markets.has(event.conditionId)) continue;
      send(conn.socket, text);
    }
  }
}

function send(socket: WebSocket, text: string): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(text);
}

function close(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
  }
}
