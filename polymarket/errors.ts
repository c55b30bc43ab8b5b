/**
 * Flat error classes for the Polymarket edge, plus `isRetryable`.
 *
 * @example
 * ```ts
 * import { HttpStatusError, isRetryable } from "./errors.ts";
 * const err = new HttpStatusError("Cannot fetch markets page: HTTP 503", {
 *   status: 503,
 *   endpoint: "/markets/keyset",
 * });
 * isRetryable(err); // true
 * ```
 */

/** Options shared by every error class: the underlying cause. */
export interface EdgeErrorOptions {
  cause?: unknown;
}

/** The request never produced an HTTP response (DNS, reset, TLS, timeout). */
export class TransportError extends Error {
  readonly endpoint: string;
  constructor(message: string, options: EdgeErrorOptions & { endpoint: string }) {
    super(message, { cause: options.cause });
    this.name = "TransportError";
    this.endpoint = options.endpoint;
  }
}

/** The venue answered with a non-2xx status. */
export class HttpStatusError extends Error {
  readonly status: number;
  /** Milliseconds the server asked us to wait (`Retry-After`), when given. */
  readonly retryAfterMs: number | null;
  readonly endpoint: string;
  constructor(
    message: string,
    options: EdgeErrorOptions & { status: number; endpoint: string; retryAfterMs?: number | null },
  ) {
    super(message, { cause: options.cause });
    this.name = "HttpStatusError";
    this.status = options.status;
    this.endpoint = options.endpoint;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** HTTP 429 that persisted after the client's retries. */
export class RateLimitError extends Error {
  readonly endpoint: string;
  readonly retryAfterMs: number | null;
  constructor(
    message: string,
    options: EdgeErrorOptions & { endpoint: string; retryAfterMs?: number | null },
  ) {
    super(message, { cause: options.cause });
    this.name = "RateLimitError";
    this.endpoint = options.endpoint;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** A 2xx body that is not JSON or not the documented shape. */
export class UnexpectedResponseError extends Error {
  readonly endpoint: string;
  constructor(message: string, options: EdgeErrorOptions & { endpoint: string }) {
    super(message, { cause: options.cause });
    this.name = "UnexpectedResponseError";
    this.endpoint = options.endpoint;
  }
}

/** A websocket closed without us asking. */
export class ConnectionLostError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(message: string, options: EdgeErrorOptions & { code: number; reason: string }) {
    super(message, { cause: options.cause });
    this.name = "ConnectionLostError";
    this.code = options.code;
    this.reason = options.reason;
  }
}

/**
 * True when trying again later can succeed: transport failures, 429, 425, 5xx, lost sockets.
 * Other 4xx and unexpected bodies are fatal for that request.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TransportError) return true;
  if (err instanceof RateLimitError) return true;
  if (err instanceof ConnectionLostError) return true;
  if (err instanceof HttpStatusError) {
    return err.status >= 500 || err.status === 429 || err.status === 425 || err.status === 408;
  }
  return false;
}
