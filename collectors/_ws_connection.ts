/**
 * One market-websocket connection that owns a set of tokens: subscribes them on every
 * (re)connect and changes the set at runtime (`WsSubscriptions`: small subscribe messages, the
 * snapshot watch), sends text `PING` every `pingMs` (also from the message path when the timer
 * runs late), and reconnects with backoff (250 ms → 5 s, jittered). Data silence for `silenceMs`
 * while it has tokens (PONGs do not count) forces a reconnect. Every outage is reported via `gap`
 * as one row per outage (`WsOutages`); closes, reopens and failed connects are logged
 * (`ReconnectLog`: `ws_closed`, `ws_reopened`, `ws_unreachable`).
 *
 * @example
 * ```ts
 * import { WsConnection } from "./_ws_connection.ts";
 * // const conn = new WsConnection(0, { url, pingMs: 5_000, silenceMs: 60_000, snapshotDeadlineMs: 30_000, now: Date.now, log, handler });
 * // conn.add(["123"]); await conn.run(signal);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GapRow } from "../db/ops.ts";
import type { Reject } from "../polymarket/batch.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { createTradeKeyer, type TradeKeyer } from "../db/trade_identity.ts";
import type { Logger } from "../runtime/log.ts";
import { createReachability, type Reachability } from "../polymarket/reachability.ts";
import { WsOutages } from "./_ws_outages.ts";
import { WsSubscriptions } from "./_ws_subscriptions.ts";
import { type CloseInfo, ReconnectLog } from "./_ws_reconnect_log.ts";

/** What a connection reports upward. */
export interface ConnectionHandler {
  /** Parsed messages of one frame with the key state and id of the connection they came on. */
  messages(messages: WsMessage[], keyer: TradeKeyer, connection: number): void;
  /** Rejects of one frame (at most 10) and how many more it had (`omitted`, not kept). */
  rejects(rejects: Reject[], omitted: number): void;
  gap(gap: GapRow): void;
  /** These tokens were (re)subscribed: their local books are stale until the next `book`. */
  resubscribed(tokenIds: readonly string[]): void;
}

export interface WsConnectionOptions {
  readonly url: string;
  readonly pingMs: number;
  readonly silenceMs: number;
  readonly snapshotDeadlineMs: number;
  readonly now: () => number;
  readonly log: Logger;
  readonly handler: ConnectionHandler;
  readonly random?: () => number;
  /** A longer frame is rejected unparsed (default `WS_MAX_FRAME_BYTES`). */
  readonly maxFrameBytes?: number;
  /** Where connect failures are counted per host (share one to log a host once, not per socket). */
  readonly reachability?: Reachability;
}

export type ConnectionState = "idle" | "connecting" | "open" | "backoff" | "stopped";

/** How one socket's life ended ("shutdown" is a cause too). */
interface SessionEnd extends CloseInfo {
  readonly opened: boolean;
  readonly dataSeen: boolean;
}

/** One socket and the tokens it owns. */
export class WsConnection {
  readonly id: number;
  readonly tokens = new Set<string>();
  state: ConnectionState = "idle";
  reconnects = 0;
  messages = 0;
  lastDataAt = 0;
  pingsSent = 0;
  /** `PONG` frames received; the venue answers each PING in order, after what it sent before. */
  pongs = 0;
  readonly #o: WsConnectionOptions;
  #keyer: TradeKeyer = createTradeKeyer();
  /** Subscribe messages and the tokens still waiting for their snapshot. */
  readonly #subs: WsSubscriptions;
  /** Tokens not covered since an outage, each until its next `book`. */
  readonly #outages: WsOutages;
  #wakeIdle: (() => void) | null = null;
  readonly #reconnectLog: ReconnectLog;

  /** Runtime subscribe/unsubscribe messages sent so far. */
  get sentOps(): { readonly subscribe: number; readonly unsubscribe: number } {
    return this.#subs.sentOps;
  }

  constructor(id: number, options: WsConnectionOptions) {
    this.id = id;
    this.#o = options;
    this.#outages = new WsOutages(id, (row) => options.handler.gap(row));
    this.#subs = new WsSubscriptions({
      snapshotDeadlineMs: options.snapshotDeadlineMs,
      now: options.now,
      outages: this.#outages,
      resubscribed: (ids) => options.handler.resubscribed(ids),
    });
    this.#reconnectLog = new ReconnectLog(options.log, id, {
      url: options.url,
      reachability: options.reachability ?? createReachability(),
    });
  }

  /** Takes ownership of tokens; subscribes them now if the socket is open. */
  add(tokenIds: readonly string[]): void {
    const fresh = tokenIds.filter((t) => !this.tokens.has(t));
    for (const t of fresh) this.tokens.add(t);
    if (fresh.length > 0 && this.state === "open") this.#subs.subscribe(fresh, "subscribe");
    this.#wakeIdle?.();
  }

  /** Gives tokens up; unsubscribes them now if the socket is open. */
  remove(tokenIds: readonly string[]): void {
    const owned = tokenIds.filter((t) => this.tokens.delete(t));
    const now = this.#o.now();
    for (const t of owned) {
      this.#subs.settled(t);
      this.#outages.covered(t, now);
    }
    if (owned.length > 0 && this.state === "open") this.#subs.send(owned, "unsubscribe");
  }

  /** Unsubscribes and resubscribes owned tokens so that each gets a fresh `book`. */
  resync(tokenIds: readonly string[]): void {
    const owned = tokenIds.filter((t) => this.tokens.has(t));
    if (owned.length === 0 || this.state !== "open") return;
    this.#subs.send(owned, "unsubscribe");
    this.#subs.subscribe(owned, "subscribe");
  }

  /** Connects, and reconnects, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (this.tokens.size === 0) {
        this.state = "idle";
        await this.#idle(signal);
        continue;
      }
      const end = await this.#session(signal);
      if (signal.aborted) break;
      const now = this.#o.now();
      const stalled = end.cause === "stall";
      const since = stalled ? this.lastDataAt : now;
      this.#outages.open(this.tokens, {
        since,
        cause: stalled ? "stall" : "disconnected",
        detail: stalled ? {} : { code: end.code },
      });
      if (!end.opened) {
        // Only a shutdown rejects it, and the loop ends on that.
        await this.#reconnectLog.failed(end.error, now, signal).catch(() => {});
      } else {
        const at = { now, tokens: this.tokens.size, lastDataAt: this.lastDataAt };
        this.#reconnectLog.closed(end, at);
      }
      this.reconnects++;
      failures = end.dataSeen ? 0 : failures + 1;
      const base = Math.min(5000, 250 * 2 ** failures);
      this.state = "backoff";
      await sleep(base * (0.5 + (this.#o.random ?? Math.random)()), undefined, { signal })
        .catch(() => {});
    }
    this.state = "stopped";
  }

  /** One socket's life; resolves once it has closed, with why. */
  async #session(signal: AbortSignal): Promise<SessionEnd> {
    this.state = "connecting";
    const ws = new WebSocket(this.#o.url);
    this.#subs.socket = ws;
    let cause: string | null = null;
    let error: string | null = null;
    let opened = false;
    let dataSeen = false;
    let lastPingAt = 0;
    const ping = () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      lastPingAt = this.#o.now();
      this.pingsSent++;
      ws.send("PING");
    };
    const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
    ws.addEventListener("error", (e) => {
      error = e instanceof ErrorEvent ? e.message : "error";
    });
    const close = (why: string) => {
      cause ??= why;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        ws.close(4000, why);
      }
    };
    const onAbort = () => close("shutdown");
    signal.addEventListener("abort", onAbort, { once: true });
    let pinger: ReturnType<typeof setInterval> | undefined;
    let watchdog: ReturnType<typeof setInterval> | undefined;
    ws.onopen = () => {
      opened = true;
      this.state = "open";
      const at = { now: this.#o.now(), tokens: this.tokens.size, reconnects: this.reconnects };
      this.#reconnectLog.reopened(at);
      this.#keyer = createTradeKeyer();
      this.lastDataAt = this.#o.now();
      this.#subs.reset();
      this.#subs.subscribe([...this.tokens], "initial");
      ping();
      pinger = setInterval(ping, this.#o.pingMs);
      watchdog = setInterval(() => {
        const now = this.#o.now();
        if (this.tokens.size > 0 && now - this.lastDataAt > this.#o.silenceMs) close("stall");
        else this.#subs.checkSnapshots(now);
      }, Math.max(20, Math.min(1000, this.#o.silenceMs / 4, this.#o.snapshotDeadlineMs / 4)));
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      const now = this.#o.now();
      // A timer starved by a busy loop must not cost the socket: frames still arrive.
      if (now - lastPingAt >= this.#o.pingMs) ping();
      const frame = parseWsFrame(e.data, now, { maxFrameBytes: this.#o.maxFrameBytes });
      if (frame.pong) {
        this.pongs++;
        return;
      }
      this.lastDataAt = now;
      dataSeen = true;
      this.messages += frame.messages.length;
      for (const m of frame.messages) {
        if (m.kind !== "book") continue;
        this.#subs.settled(m.book.tokenId);
        this.#outages.covered(m.book.tokenId, now);
      }
      if (frame.messages.length > 0) this.#o.handler.messages(frame.messages, this.#keyer, this.id);
      if (frame.rejects.length > 0) {
        this.#o.handler.rejects(frame.rejects, frame.rejectsOmitted);
      }
    };
    let event: CloseEvent;
    try {
      event = await closed;
    } finally {
      clearInterval(pinger);
      clearInterval(watchdog);
      signal.removeEventListener("abort", onAbort);
      this.#subs.socket = null;
    }
    return {
      cause: cause ?? (error === null ? "closed" : "error"),
      opened,
      dataSeen,
      code: event.code,
      reason: event.reason,
      error,
    };
  }

  async #idle(signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    this.#wakeIdle = () => wake.abort();
    await sleep(60_000, undefined, { signal: AbortSignal.any([signal, wake.signal]) })
      .catch(() => {});
    this.#wakeIdle = null;
  }
}
