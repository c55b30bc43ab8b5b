/**
 * The one HTTP client of the venue edge: rate-limited, bounded by a timeout, retrying
 * transport errors and 5xx with jittered exponential backoff, honouring `Retry-After` on 429
 * and waiting out 425 maintenance without counting it as a failure.
 *
 * @example
 * ```ts
 * import { createHttpClient } from "./http.ts";
 * import { createRateLimiter } from "./rate_limiter.ts";
 * import { silentLogger } from "../runtime/log.ts";
 * const http = createHttpClient({
 *   baseUrls: { gamma: "https://gamma-api.polymarket.com", clob: "https://clob.polymarket.com",
 *     dataApi: "https://data-api.polymarket.com" },
 *   limiter: createRateLimiter(),
 *   log: silentLogger(),
 * });
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import type { EndpointFamily, RateLimiter } from "./rate_limiter.ts";
import {
  HttpStatusError,
  RateLimitError,
  TransportError,
  UnexpectedResponseError,
} from "./errors.ts";
import { sleep as abortableSleep } from "./_sleep.ts";
import { createReachability, describeTransportCause, type Reachability } from "./reachability.ts";

/** Query values; arrays are sent as repeated parameters (`id=1&id=2`). */
export type Query = Record<
  string,
  string | number | boolean | readonly (string | number)[] | null | undefined
>;

/** Options of `createHttpClient`. */
export interface HttpClientOptions {
  baseUrls: { gamma: string; clob: string; dataApi: string };
  limiter: RateLimiter;
  log: Logger;
  /** Per-attempt timeout; default 15 s. */
  timeoutMs?: number;
  /** Retries after transport errors, 5xx and 429; default 4. */
  maxRetries?: number;
  /** How long 425 maintenance may be waited out in total; default 5 min. */
  maintenanceDeadlineMs?: number;
  /** First backoff delay; default 250 ms (doubles per failure, capped at `backoffMaxMs`). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  fetch?: typeof globalThis.fetch;
  random?: () => number;
  /** Shared with `/healthz` to report unreachable hosts; a private one by default. */
  reachability?: Reachability;
}

/** Said with every `venue_unreachable` line: how to try pmcollect without the venue. */
export const OFFLINE_HINT =
  "check the network or the PMCOLLECT_*_URL settings; to try pmcollect offline, run `deno task demo` (local simulator)";

/** JSON over HTTP against the three venue hosts. */
export interface HttpClient {
  getJson(
    family: EndpointFamily,
    path: string,
    query: Query,
    signal: AbortSignal,
  ): Promise<unknown>;
  postJson(
    family: EndpointFamily,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown>;
}

/** Builds `?a=1&id=1&id=2`; null/undefined values are omitted. */
export function encodeQuery(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) { for (const v of value) params.append(key, String(v)); }
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}

/** `Retry-After` in ms from delta-seconds or an HTTP date; null when absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === "") return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Creates the client. Nothing connects until the first request. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const reach = options.reachability ?? createReachability();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetries = options.maxRetries ?? 4;
  const maintenanceMs = options.maintenanceDeadlineMs ?? 300_000;
  const baseMs = options.backoffBaseMs ?? 250;
  const maxMs = options.backoffMaxMs ?? 10_000;
  const backoff = (failures: number) =>
    Math.min(maxMs, baseMs * 2 ** (failures - 1)) * (0.5 + random() * 0.5);

  const hostOf = (family: EndpointFamily) =>
    family.startsWith("gamma")
      ? options.baseUrls.gamma
      : family.startsWith("clob")
      ? options.baseUrls.clob
      : options.baseUrls.dataApi;

  async function request(
    family: EndpointFamily,
    path: string,
    init: { method: "GET" | "POST"; query?: Query; body?: unknown },
    signal: AbortSignal,
  ): Promise<unknown> {
    const url = hostOf(family).replace(/\/$/, "") + path + encodeQuery(init.query ?? {});
    const host = hostName(url);
    const what = `${init.method === "GET" ? "fetch" : "post"} ${path}`;
    const started = now();
    let failures = 0;
    for (;;) {
      await options.limiter.acquire(family, signal);
      let res: Response;
      try {
        res = await fetchFn(url, {
          method: init.method,
          headers: init.body === undefined
            ? { accept: "application/json" }
            : { accept: "application/json", "content-type": "application/json" },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (cause) {
        if (signal.aborted) throw signal.reason;
        const why = describeTransportCause(cause);
        const err = new TransportError(`Cannot ${what}: cannot reach ${host}: ${why.detail}`, {
          cause,
          endpoint: path,
        });
        if (reach.failed(host, why, now())) {
          options.log.warn("venue_unreachable", {
            host,
            reason: why.reason,
            detail: why.detail,
            hint: OFFLINE_HINT,
          });
        }
        if (++failures > maxRetries) throw err;
        const waitMs = backoff(failures);
        options.log.warn("http_retry", { endpoint: path, error: err, attempt: failures, waitMs });
        await sleep(waitMs, signal);
        continue;
      }
      const downMs = reach.ok(host, now());
      if (downMs !== null) options.log.info("venue_reachable", { host, downMs });
      if (res.ok) {
        try {
          return await readJson(res, path, what, signal);
        } catch (err) {
          // A body cut off mid-read (reset, timeout) is as transient as a failed connect.
          if (!(err instanceof TransportError) || ++failures > maxRetries) throw err;
          await sleep(backoff(failures), signal);
          continue;
        }
      }
      await res.body?.cancel();
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), now());
      const status = res.status;
      const message = `Cannot ${what}: HTTP ${status}`;
      let waitMs: number;
      if (status === 425) {
        if (now() - started > maintenanceMs) {
          throw new HttpStatusError(message, { status, endpoint: path, retryAfterMs });
        }
        waitMs = retryAfterMs ?? Math.min(maxMs, Math.max(baseMs, 1000));
      } else if (status === 429 || status >= 500) {
        if (++failures > maxRetries) {
          if (status === 429) throw new RateLimitError(message, { endpoint: path, retryAfterMs });
          throw new HttpStatusError(message, { status, endpoint: path, retryAfterMs });
        }
        waitMs = retryAfterMs ?? backoff(failures);
      } else {
        throw new HttpStatusError(message, { status, endpoint: path, retryAfterMs });
      }
      options.log.warn("http_retry", { endpoint: path, status, attempt: failures, waitMs });
      await sleep(waitMs, signal);
    }
  }

  return {
    getJson: (family, path, query, signal) =>
      request(family, path, { method: "GET", query }, signal),
    postJson: (family, path, body, signal) =>
      request(family, path, { method: "POST", body }, signal),
  };
}

/** `host[:port]` of a URL, for messages (never the path or query). */
function hostName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

async function readJson(
  res: Response,
  endpoint: string,
  what: string,
  signal: AbortSignal,
): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (cause) {
    if (signal.aborted) throw signal.reason;
    throw new TransportError(`Cannot ${what}: body read failed`, { cause, endpoint });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new UnexpectedResponseError(`Cannot ${what}: response is not JSON`, { cause, endpoint });
  }
}
