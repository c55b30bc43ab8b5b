/**
 * The reconnect log of one websocket connection: one `ws_closed` line when an opened socket
 * closes (connection, cause, close code and reason, error, tokens, data silence) and one
 * `ws_reopened` line when it opens again (tokens, downtime since the close, connect attempts
 * that failed meanwhile). A failed connect attempt names its host and reason (DNS, refused, TLS,
 * timeout, handshake: `ws_unreachable`) once per host for all connections sharing one
 * `Reachability`, then once a minute with the attempts counted since the host went down, and
 * `ws_reachable` says when it answers again, so a venue outage of ≈500 connections does not
 * flood the log and /healthz lists the websocket host among the unreachable ones.
 *
 * @example
 * ```ts
 * import { ReconnectLog } from "./_ws_reconnect_log.ts";
 * import { createReachability } from "../polymarket/reachability.ts";
 * import { silentLogger } from "../runtime/log.ts";
 * const log = new ReconnectLog(silentLogger(), 3, {
 *   url: "wss://ws-subscriptions-clob.polymarket.com/ws/market",
 *   reachability: createReachability(),
 * });
 * log.closed({ cause: "closed", code: 1001, reason: "ping timeout", error: null }, { now: 1000, tokens: 200, lastDataAt: 900 });
 * log.reopened({ now: 1400, tokens: 200, reconnects: 1 }); // downtimeMs: 400
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import type { Reachability } from "../polymarket/reachability.ts";
import { describeWsFailure, probeWsFailure } from "../polymarket/ws_reachability.ts";
import { OFFLINE_HINT } from "../polymarket/http.ts";

/** Why a socket closed. */
export interface CloseInfo {
  /** "stall" (watchdog), "closed" (by the server or network), "error". */
  readonly cause: string;
  readonly code: number;
  readonly reason: string;
  readonly error: string | null;
}

/** Close/reopen lines of one connection. */
export class ReconnectLog {
  readonly #log: Logger;
  readonly #connection: number;
  /** When the last opened socket closed (null while open or before the first open). */
  #downSince: number | null = null;
  #failedAttempts = 0;
  readonly #url: string;
  readonly #host: string;
  readonly #reach: Reachability;

  constructor(
    log: Logger,
    connection: number,
    options: { url: string; reachability: Reachability },
  ) {
    this.#log = log;
    this.#connection = connection;
    this.#url = options.url;
    this.#host = hostOf(options.url);
    this.#reach = options.reachability;
  }

  /** An opened socket closed (not for shutdown). */
  closed(info: CloseInfo, at: { now: number; tokens: number; lastDataAt: number }): void {
    this.#downSince = at.now;
    this.#failedAttempts = 0;
    this.#log.warn("ws_closed", {
      connection: this.#connection,
      cause: info.cause,
      code: info.code,
      reason: info.reason,
      error: info.error ?? undefined,
      tokens: at.tokens,
      silentMs: at.now - at.lastDataAt,
    });
  }

  /**
   * A connect attempt failed before the socket opened (`error`: the socket's error text). The
   * first failure of a host (and one a minute after) is probed for its reason and logged;
   * rejects only when `signal` aborts.
   */
  async failed(error: string | null, now: number, signal: AbortSignal): Promise<void> {
    this.#failedAttempts++;
    const host = this.#host;
    if (!this.#reach.failed(host, describeWsFailure(error), now)) return;
    const why = await probeWsFailure(this.#url, error, { signal });
    this.#reach.explain(host, why);
    const down = this.#reach.unreachable(now).find((h) => h.host === host);
    this.#log.warn("ws_unreachable", {
      connection: this.#connection,
      host,
      reason: why.reason,
      detail: why.detail,
      failures: down?.failures ?? 1,
      downMs: down === undefined ? 0 : now - down.since,
      hint: OFFLINE_HINT,
    });
  }

  /** The socket opened; logs the reopen if a close was logged before. */
  reopened(at: { now: number; tokens: number; reconnects: number }): void {
    const hostDownMs = this.#reach.ok(this.#host, at.now);
    if (hostDownMs !== null) {
      this.#log.info("ws_reachable", { host: this.#host, downMs: hostDownMs });
    }
    if (this.#downSince === null) return;
    this.#log.info("ws_reopened", {
      connection: this.#connection,
      tokens: at.tokens,
      downtimeMs: at.now - this.#downSince,
      failedAttempts: this.#failedAttempts,
      reconnects: at.reconnects,
    });
    this.#downSince = null;
    this.#failedAttempts = 0;
  }
}

/** `host[:port]` of the websocket URL, for messages (never the path or query). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
