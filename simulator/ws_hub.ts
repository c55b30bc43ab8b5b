/**
 * Fan-out of market-channel messages to subscribed connections, batched into one frame per
 * connection per publish (an array when several messages are due), with exact counting of the
 * `last_trade_price` messages actually sent. Also enforces the subscribe and PING deadlines.
 *
 * @example
 * ```ts
 * import { MarketHub } from "./ws_hub.ts";
 * // const hub = new MarketHub(world, { idleTimeoutMs: 10_000, subscribeTimeoutMs: 5_000 });
 * ```
 */
import { MarketConnection } from "./ws_connection.ts";
import type { SimMarket } from "./universe.ts";
import type { Emission, World } from "./world.ts";
import type { WsMessage } from "./ws_messages.ts";

/** Hub options. */
export interface HubOptions {
  now: () => number;
  /** Close a socket that sent no PING for this long (default 10,000 ms). */
  idleTimeoutMs: number;
  /** Close a socket that has not subscribed after this long (default 5,000 ms). */
  subscribeTimeoutMs: number;
  /** True when the next frame should carry a malformed element (fault). */
  takeMalformedFrame: () => boolean;
  takeWithheldSnapshot: () => boolean;
}

const MALFORMED: Record<string, unknown> = {
  event_type: "price_change",
  market: 12345,
  price_changes: "x",
};
const MAX_BUFFERED = 4 * 1024 * 1024;

/** All open market-channel connections. */
export class MarketHub {
  readonly connections = new Set<MarketConnection>();
  readonly #world: World;
  readonly #options: HubOptions;
  #sentTrades = 0;
  #sentMessages = 0;
  #focus: SimMarket[] | null = null;

  /** Creates an empty hub. */
  constructor(world: World, options: HubOptions) {
    this.#world = world;
    this.#options = options;
  }

  /** `last_trade_price` messages sent so far (summed over sockets). */
  get sentTrades(): number {
    return this.#sentTrades;
  }

  /** Messages (objects, not frames) sent so far. */
  get sentMessages(): number {
    return this.#sentMessages;
  }

  /** Adopts an upgraded socket. */
  accept(socket: WebSocket): MarketConnection {
    const conn = new MarketConnection(socket, {
      world: this.#world,
      now: this.#options.now,
      onSubscriptionChange: () => (this.#focus = null),
      takeWithheldSnapshot: this.#options.takeWithheldSnapshot,
    });
    this.connections.add(conn);
    const forget = () => {
      this.connections.delete(conn);
      this.#focus = null;
    };
    socket.addEventListener("close", forget);
    socket.addEventListener("error", forget);
    return conn;
  }

  /** Open markets any connection is subscribed to (the world focuses activity on them). */
  focus(): SimMarket[] {
    if (this.#focus !== null) return this.#focus;
    const set = new Set<SimMarket>();
    for (const conn of this.connections) {
      for (const token of conn.tokens) {
        const ref = this.#world.universe.byToken.get(token);
        if (ref !== undefined && ref.market.status === "open") set.add(ref.market);
      }
    }
    this.#focus = [...set];
    return this.#focus;
  }

  /** Sends emissions: one frame per interested connection. */
  publish(emissions: readonly Emission[]): void {
    if (emissions.length === 0 || this.connections.size === 0) return;
    for (const conn of this.connections) {
      if (!conn.open || conn.stalled || !conn.subscribed) continue;
      if (conn.socket.bufferedAmount > MAX_BUFFERED) continue;
      const batch: Array<WsMessage | Record<string, unknown>> = [];
      let trades = 0;
      for (const e of emissions) {
        const market = e.conditionId === null
          ? null
          : this.#world.universe.byCondition.get(e.conditionId);
        if (!conn.wants(e.message, market?.tokenIds ?? null)) continue;
        batch.push(e.message);
        if (e.message.event_type === "last_trade_price") trades++;
      }
      if (batch.length === 0) continue;
      if (this.#options.takeMalformedFrame()) batch.push(MALFORMED);
      const text = JSON.stringify(batch.length === 1 ? batch[0] : batch);
      if (conn.send(text)) {
        this.#sentTrades += trades;
        this.#sentMessages += batch.length;
      }
    }
  }

  /** Closes sockets past their subscribe or PING deadline. */
  enforceDeadlines(): void {
    const now = this.#options.now();
    for (const conn of this.connections) {
      if (!conn.subscribed && now - conn.openedAtMs > this.#options.subscribeTimeoutMs) {
        conn.close(1008, "subscribe timeout");
      } else if (now - conn.lastPingMs > this.#options.idleTimeoutMs) {
        conn.close(1001, "ping timeout");
      }
    }
  }

  /** Abruptly closes a fraction of the sockets (fault). Returns how many were closed. */
  drop(fraction = 1): number {
    let n = 0;
    for (const conn of [...this.connections]) {
      if (fraction >= 1 || Math.random() < fraction) {
        conn.close(1011, "simulated abrupt close");
        n++;
      }
    }
    return n;
  }

  /** Sets the silent-stall flag on a fraction of the sockets (fault). */
  stall(on: boolean, fraction = 1): number {
    let n = 0;
    for (const conn of this.connections) {
      if (!on || fraction >= 1 || Math.random() < fraction) {
        conn.stalled = on;
        n++;
      }
    }
    return n;
  }

  /** Closes every socket (shutdown). */
  closeAll(): void {
    for (const conn of this.connections) conn.close(1001, "simulator shutting down");
  }
}
