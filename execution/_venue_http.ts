/**
 * The venue broker's HTTP: one request to the CLOB with the L2 headers (`l2_headers.ts`) over
 * the exact body text sent, or to the public Data API, bounded by a timeout and the caller's
 * signal. `send` makes one attempt and hands back whatever status came (the order route needs
 * the 400 body); `sendIdempotent` retries reads and cancels after transport errors, 425
 * (maintenance), 429 (waiting `Retry-After`) and 5xx, with doubling backoff.
 *
 * @example
 * ```ts ignore
 * const http = new VenueHttp({ clobUrl, dataApiUrl, address, credentials, log });
 * const answer = await http.sendIdempotent({ method: "GET", path: "/data/orders" }, signal);
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import { HttpStatusError, isRetryable, TransportError } from "../polymarket/errors.ts";
import { encodeQuery, parseRetryAfter, type Query } from "../polymarket/http.ts";
import { sleep } from "../polymarket/_sleep.ts";
import { type ApiCredentials, l2Headers } from "./l2_headers.ts";

export interface VenueHttpOptions {
  readonly clobUrl: string;
  readonly dataApiUrl: string;
  /** POLY_ADDRESS: the key's (signer's) address. */
  readonly address: string;
  readonly credentials: ApiCredentials;
  readonly log: Logger;
  /** Per attempt; default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts after the first for idempotent requests; default 4. */
  readonly maxRetries?: number;
  /** First backoff; default 250 ms, doubling, capped at 5 s. */
  readonly backoffMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof globalThis.fetch;
}

/** One request. `host` "data" goes to the Data API without credentials. */
export interface VenueRequest {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly query?: Query;
  /** Exact JSON text. */
  readonly body?: string;
  readonly host?: "clob" | "data";
}

/** What came back: any status, its JSON (null when the body is not JSON). */
export interface VenueAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly retryAfterMs: number | null;
}

/** L2-authenticated requests to one venue. */
export class VenueHttp {
  readonly #o: VenueHttpOptions;
  readonly #now: () => number;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: VenueHttpOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * One attempt. @throws {TransportError} when no answer came (the request may still have
   * reached the venue); the signal's reason when it aborted.
   */
  async send(request: VenueRequest, signal?: AbortSignal): Promise<VenueAnswer> {
    const parent = signal ?? new AbortController().signal;
    parent.throwIfAborted();
    const base = request.host === "data" ? this.#o.dataApiUrl : this.#o.clobUrl;
    const url = `${base.replace(/\/$/, "")}${request.path}${encodeQuery(request.query ?? {})}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    if (request.host !== "data") {
      Object.assign(
        headers,
        await l2Headers(this.#o.address, this.#o.credentials, {
          method: request.method,
          requestPath: request.path,
          body: request.body,
        }, Math.floor(this.#now() / 1000)),
      );
    }
    const bounded = AbortSignal.any([parent, AbortSignal.timeout(this.#o.timeoutMs ?? 10_000)]);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method: request.method,
        headers,
        body: request.body,
        signal: bounded,
      });
      text = await res.text();
    } catch (err) {
      if (parent.aborted) throw parent.reason;
      throw new TransportError(`Cannot ${request.method} ${request.path}: ${describe(err)}`, {
        endpoint: request.path,
        cause: err,
      });
    }
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    return {
      status: res.status,
      json,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), this.#now()),
    };
  }

  /**
   * A 2xx answer's JSON, retrying what may succeed later. @throws {HttpStatusError} for a
   * status that stays bad, {TransportError} after the last attempt.
   */
  async sendIdempotent(request: VenueRequest, signal?: AbortSignal): Promise<unknown> {
    const retries = this.#o.maxRetries ?? 4;
    let delay = this.#o.backoffMs ?? 250;
    for (let attempt = 0;; attempt++) {
      let wait: number;
      try {
        const answer = await this.send(request, signal);
        if (answer.status >= 200 && answer.status < 300) return answer.json;
        const err = statusError(request, answer);
        if (!isRetryable(err) || attempt >= retries) throw err;
        wait = answer.retryAfterMs ?? delay;
        this.#o.log.warn("venue_request_retry", {
          path: request.path,
          status: answer.status,
          waitMs: wait,
        });
      } catch (err) {
        if (!(err instanceof TransportError) || attempt >= retries) throw err;
        wait = delay;
        this.#o.log.warn("venue_request_retry", { path: request.path, error: err.message });
      }
      await sleep(wait, signal ?? new AbortController().signal);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** The error for a non-2xx answer, with the venue's `error` text when it gave one. */
export function statusError(request: VenueRequest, answer: VenueAnswer): HttpStatusError {
  const said = (answer.json as { error?: unknown } | null)?.error;
  const detail = typeof said === "string" ? `: ${said}` : "";
  return new HttpStatusError(
    `Cannot ${request.method} ${request.path}: HTTP ${answer.status}${detail}`,
    { status: answer.status, endpoint: request.path, retryAfterMs: answer.retryAfterMs },
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
