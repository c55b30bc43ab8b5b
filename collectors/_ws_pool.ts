/**
 * Shards tokens over market-websocket connections of at most `tokensPerConnection` each,
 * opened `connectStaggerMs` apart, and follows the active set at runtime: added tokens go to
 * the first connection with room (a new one when all are full), removed tokens are
 * unsubscribed from their owner. No socket is reconnected for a set change, and a token
 * never moves between connections while it stays active.
 *
 * @example
 * ```ts
 * import { WsPool } from "./_ws_pool.ts";
 * // const pool = new WsPool({ url, tokensPerConnection: 200, connectStaggerMs: 250, ...watchdogs, log, handler });
 * // pool.add(tokenIds); const done = pool.run(signal); pool.remove(["123"]);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type ConnectionState, WsConnection, type WsConnectionOptions } from "./_ws_connection.ts";
import { createReachability } from "../polymarket/reachability.ts";

export interface WsPoolOptions extends WsConnectionOptions {
  readonly tokensPerConnection: number;
  readonly connectStaggerMs: number;
}

/** Health of one connection, as reported by the collector. */
export interface ConnectionHealth {
  readonly id: number;
  readonly state: ConnectionState;
  readonly tokens: number;
  /** Since the last data frame (PONGs excluded); null before the first. */
  readonly lastDataAgeMs: number | null;
  readonly reconnects: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
}

/** The connections of the trades collector. */
export class WsPool {
  readonly connections: WsConnection[] = [];
  readonly #o: WsPoolOptions;
  readonly #owner = new Map<string, WsConnection>();
  readonly #runs: Promise<void>[] = [];
  #signal: AbortSignal | null = null;
  #lastStartAt = -Infinity;
  #rate = new Map<number, { at: number; messages: number; perSecond: number }>();

  constructor(options: WsPoolOptions) {
    // One tracker for every connection: an unreachable host is logged once, not per socket.
    this.#o = { ...options, reachability: options.reachability ?? createReachability() };
  }

  /** Tokens currently owned by some connection. */
  get tokenCount(): number {
    return this.#owner.size;
  }

  /** Asks for fresh snapshots of owned tokens (a new book consumer starts watching them). */
  resync(tokenIds: readonly string[]): void {
    const byConn = new Map<WsConnection, string[]>();
    for (const t of tokenIds) {
      const conn = this.#owner.get(t);
      if (conn === undefined) continue;
      let list = byConn.get(conn);
      if (list === undefined) byConn.set(conn, list = []);
      list.push(t);
    }
    for (const [conn, list] of byConn) conn.resync(list);
  }

  /** Assigns new tokens (already owned ones are ignored). */
  add(tokenIds: readonly string[]): void {
    const fresh = tokenIds.filter((t) => !this.#owner.has(t));
    let i = 0;
    for (const conn of this.connections) {
      if (i >= fresh.length) break;
      const room = this.#o.tokensPerConnection - conn.tokens.size;
      if (room <= 0) continue;
      i = this.#assign(conn, fresh.slice(i, i + room), i);
    }
    while (i < fresh.length) {
      const conn = new WsConnection(this.connections.length, this.#o);
      this.connections.push(conn);
      i = this.#assign(conn, fresh.slice(i, i + this.#o.tokensPerConnection), i);
      if (this.#signal !== null) this.#start(conn, this.#signal);
    }
  }

  /** Unsubscribes tokens from their owners. */
  remove(tokenIds: readonly string[]): void {
    const byConn = new Map<WsConnection, string[]>();
    for (const t of tokenIds) {
      const conn = this.#owner.get(t);
      if (conn === undefined) continue;
      this.#owner.delete(t);
      const list = byConn.get(conn) ?? [];
      list.push(t);
      byConn.set(conn, list);
    }
    for (const [conn, list] of byConn) conn.remove(list);
  }

  /** Runs every connection (present and future) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    for (const conn of this.connections) this.#start(conn, signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    // Connections may still be added while the earlier ones stop.
    for (let n = 0; n < this.#runs.length; n = this.#runs.length) {
      await Promise.all(this.#runs.slice(n));
    }
  }

  /** Per-connection health; message rates are measured between calls. */
  health(now: number): ConnectionHealth[] {
    return this.connections.map((c) => {
      const prev = this.#rate.get(c.id);
      let perSecond = prev?.perSecond ?? 0;
      if (prev === undefined || now - prev.at >= 1000) {
        if (prev !== undefined) perSecond = ((c.messages - prev.messages) * 1000) / (now - prev.at);
        this.#rate.set(c.id, { at: now, messages: c.messages, perSecond });
      }
      return {
        id: c.id,
        state: c.state,
        tokens: c.tokens.size,
        lastDataAgeMs: c.lastDataAt === 0 ? null : now - c.lastDataAt,
        reconnects: c.reconnects,
        messages: c.messages,
        messagesPerSecond: Math.round(perSecond),
      };
    });
  }

  #assign(conn: WsConnection, tokenIds: string[], from: number): number {
    for (const t of tokenIds) this.#owner.set(t, conn);
    conn.add(tokenIds);
    return from + tokenIds.length;
  }

  /** Starts a connection no earlier than `connectStaggerMs` after the previous one. */
  #start(conn: WsConnection, signal: AbortSignal): void {
    const at = Math.max(this.#o.now(), this.#lastStartAt + this.#o.connectStaggerMs);
    this.#lastStartAt = at;
    const wait = at - this.#o.now();
    this.#runs.push(
      (async () => {
        if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
        if (!signal.aborted) await conn.run(signal);
      })(),
    );
  }
}
