/**
 * The reconnect log of one websocket connection: one `ws_closed` line when an opened socket
 * closes (connection, cause, close code and reason, error, tokens, data silence) and one
 * `ws_reopened` line when it opens again (tokens, downtime since the close, connect attempts
 * that failed meanwhile). Failed attempts are counted, not logged one by one, so a venue outage
 * of ≈500 connections does not flood the log.
 *
 * @example
 * ```ts
 * import { ReconnectLog } from "./_ws_reconnect_log.ts";
 * import { silentLogger } from "../runtime/log.ts";
 * const log = new ReconnectLog(silentLogger(), 3);
 * log.closed({ cause: "closed", code: 1001, reason: "ping timeout", error: null }, { now: 1000, tokens: 200, lastDataAt: 900 });
 * log.reopened({ now: 1400, tokens: 200, reconnects: 1 }); // downtimeMs: 400
 * ```
 */
import type { Logger } from "../runtime/log.ts";

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

  constructor(log: Logger, connection: number) {
    this.#log = log;
    this.#connection = connection;
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

  /** A connect attempt failed before the socket opened. */
  failed(): void {
    this.#failedAttempts++;
  }

  /** The socket opened; logs the reopen if a close was logged before. */
  reopened(at: { now: number; tokens: number; reconnects: number }): void {
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
