/**
 * Why the market websocket could not connect. Deno's `WebSocket` reports a failed connect as
 * a bare "failed to connect to WebSocket: tcp connect error" (refused, DNS and timeouts look
 * alike), so when its text names no reason one plain HTTP(S) request to the same host says
 * which (`describeTransportCause`: DNS, refused, TLS, timeout, reset); a host that answers it
 * is up and refused the websocket upgrade itself ("handshake").
 *
 * @example
 * ```ts
 * import { describeWsFailure } from "./ws_reachability.ts";
 * describeWsFailure("NetworkError: failed to connect to WebSocket: Invalid status code: 503");
 * // { reason: "handshake", detail: "websocket upgrade refused (HTTP 503)" }
 * ```
 */
import { describeTransportCause, type TransportCause } from "./reachability.ts";

/** The probe's bound; the host is down anyway, so a slow answer says enough. */
const PROBE_TIMEOUT_MS = 5_000;

/** What the websocket's own error text says (reason "other" when it names none). */
export function describeWsFailure(error: string | null): TransportCause {
  const status = /invalid status code:?\s*(\d{3})/i.exec(error ?? "");
  if (status !== null) {
    return { reason: "handshake", detail: `websocket upgrade refused (HTTP ${status[1]})` };
  }
  return describeTransportCause(error ?? "connection failed");
}

/** Options of {@link probeWsFailure}. */
export interface WsProbeOptions {
  signal: AbortSignal;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * The reason a websocket connect to `url` failed: its own error text when that names one,
 * else what one HTTP(S) request to the same host and port meets. Rejects only on `signal`.
 */
export async function probeWsFailure(
  url: string,
  error: string | null,
  options: WsProbeOptions,
): Promise<TransportCause> {
  const own = describeWsFailure(error);
  if (own.reason !== "other") return own;
  const target = new URL(url);
  target.protocol = target.protocol === "wss:" ? "https:" : "http:";
  const fetchFn = options.fetch ?? globalThis.fetch;
  try {
    const res = await fetchFn(target, {
      redirect: "manual",
      signal: AbortSignal.any([
        options.signal,
        AbortSignal.timeout(options.timeoutMs ?? PROBE_TIMEOUT_MS),
      ]),
    });
    await res.body?.cancel();
    return {
      reason: "handshake",
      detail: `host answers HTTP ${res.status}, websocket did not connect (${own.detail})`,
    };
  } catch (err) {
    if (options.signal.aborted) throw options.signal.reason;
    return describeTransportCause(err);
  }
}
