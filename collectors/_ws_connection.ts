/**
 * One market-websocket connection that owns a set of tokens: subscribes them on every
 * (re)connect (in messages of at most 20 tokens, so no snapshot frame is large), sends text
 * `PING` every `pingMs` (also from the message path when the timer runs late, so a busy event
 * loop that still delivers frames keeps the socket alive), changes the set at runtime with
 * `operation: subscribe|unsubscribe`, and reconnects with backoff (250 ms → 5 s, jittered).
 * Watchdogs: data silence for `silenceMs` while it has tokens (PONGs do not count) forces a
 * reconnect; a token without a `book` within `snapshotDeadlineMs` of its subscribe is
 * resubscribed (unsubscribe + subscribe), twice at most. Every outage (drop → each token's
 * next snapshot; stall; missing snapshot) is reported via `gap` as one row per outage
 * (`WsOutages`), and every close and reopen of an opened socket is logged (`ws_closed`,
 * `ws_reopened`) with the connection id, cause, token count and downtime.
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
import { WsOutages } from "./_ws_outages.ts";
import { type CloseInfo, ReconnectLog } from "./_ws_reconnect_log.ts";

/** Tokens per subscribe message (the venue sends one snapshot frame per message). */
const SUBSCRIBE_CHUNK = 20;

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
  readonly sentOps = { subscribe: 0, unsubscribe: 0 };
  readonly #o: WsConnectionOptions;
  #ws: WebSocket | null = null;
  #keyer: TradeKeyer = createTradeKeyer();
  /** Subscribed tokens still waiting for their snapshot → when last (re)subscribed. */
  readonly #awaiting = new Map<string, number>();
  /** Resubscribes so far of awaiting tokens that have been retried (absent = none). */
  readonly #attempts = new Map<string, number>();
  /** Tokens not covered since an outage, each until its next `book`. */
  readonly #outages: WsOutages;
  #wakeIdle: (() => void) | null = null;
  readonly #reconnectLog: ReconnectLog;

  constructor(id: number, options: WsConnectionOptions) {
    this.id = id;
    this.#o = options;
    this.#outages = new WsOutages(id, (row) => options.handler.gap(row));
    this.#reconnectLog = new ReconnectLog(options.log, id);
  }

  /** Takes ownership of tokens; subscribes them now if the socket is open. */
  add(tokenIds: readonly string[]): void {
    const fresh = tokenIds.filter((t) => !this.tokens.has(t));
    for (const t of fresh) this.tokens.add(t);
    if (fresh.length > 0 && this.state === "open") this.#subscribe(fresh, "subscribe");
    this.#wakeIdle?.();
  }

  /** Gives tokens up; unsubscribes them now if the socket is open. */
  remove(tokenIds: readonly string[]): void {
    const owned = tokenIds.filter((t) => this.tokens.delete(t));
    const now = this.#o.now();
    for (const t of owned) {
      this.#settled(t);
      this.#outages.covered(t, now);
    }
    if (owned.length > 0 && this.state === "open") this.#send(owned, "unsubscribe");
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
      if (!end.opened) this.#reconnectLog.failed();
      else {
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
    this.#ws = ws;
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
      this.#awaiting.clear();
      this.#attempts.clear();
      this.#subscribe([...this.tokens], "initial");
      ping();
      pinger = setInterval(ping, this.#o.pingMs);
      watchdog = setInterval(() => {
        const now = this.#o.now();
        if (this.tokens.size > 0 && now - this.lastDataAt > this.#o.silenceMs) close("stall");
        else this.#checkSnapshots(now);
      }, Math.max(20, Math.min(1000, this.#o.silenceMs / 4, this.#o.snapshotDeadlineMs / 4)));
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      const now = this.#o.now();
      // A timer starved by a busy loop must not cost the socket: frames still arrive.
      if (now - lastPingAt >= this.#o.pingMs) ping();
      const frame = parseWsFrame(e.data, now, { maxFrameBytes: this.#o.maxFrameBytes });
      if (frame.pong) return;
      this.lastDataAt = now;
      dataSeen = true;
      this.messages += frame.messages.length;
      for (const m of frame.messages) {
        if (m.kind !== "book") continue;
        this.#settled(m.book.tokenId);
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
      this.#ws = null;
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

  /** Resubscribes tokens past the snapshot deadline; gives up on a token after two tries. */
  #checkSnapshots(now: number): void {
    const retry: string[] = [];
    for (const [t, at] of this.#awaiting) {
      if (now - at < this.#o.snapshotDeadlineMs) continue;
      this.#outages.overdue(t, at);
      if ((this.#attempts.get(t) ?? 0) >= 2) {
        this.#settled(t);
        this.#outages.covered(t, now);
      } else retry.push(t);
    }
    if (retry.length === 0) return;
    this.#send(retry, "unsubscribe");
    this.#subscribe(retry, "subscribe");
  }

  #subscribe(tokenIds: string[], kind: "initial" | "subscribe"): void {
    const now = this.#o.now();
    for (const t of tokenIds) {
      if (this.#awaiting.has(t)) this.#attempts.set(t, (this.#attempts.get(t) ?? 0) + 1);
      this.#awaiting.set(t, now);
    }
    this.#o.handler.resubscribed(tokenIds);
    // The venue answers each subscribe message with one frame holding a book per token; small
    // messages keep those frames (and the socket's receive buffer, which keeps its largest
    // size) small.
    for (let i = 0; i < tokenIds.length; i += SUBSCRIBE_CHUNK) {
      const chunk = tokenIds.slice(i, i + SUBSCRIBE_CHUNK);
      if (kind === "initial" && i === 0) {
        this.#ws?.send(JSON.stringify({
          assets_ids: chunk,
          type: "market",
          custom_feature_enabled: true,
        }));
      } else this.#send(chunk, "subscribe");
    }
  }

  #send(tokenIds: string[], operation: "subscribe" | "unsubscribe"): void {
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    this.sentOps[operation]++;
    this.#ws.send(
      JSON.stringify({ assets_ids: tokenIds, operation, custom_feature_enabled: true }),
    );
  }

  /** `tokenId` no longer waits for a snapshot (it came, or was given up or removed). */
  #settled(tokenId: string): void {
    this.#awaiting.delete(tokenId);
    this.#attempts.delete(tokenId);
  }

  async #idle(signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    this.#wakeIdle = () => wake.abort();
    await sleep(60_000, undefined, { signal: AbortSignal.any([signal, wake.signal]) })
      .catch(() => {});
    this.#wakeIdle = null;
  }
}
