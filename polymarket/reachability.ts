/**
 * Why a venue host could not be reached, and which hosts are unreachable right now. Deno's
 * `fetch` rejects with a bare "fetch failed" whose `cause` holds the real reason; this names
 * it (DNS, refused, TLS, timeout, reset) so the log and `/healthz` can say it at once, and
 * tells the HTTP client when to say it again (once per `repeatMs` per host, not per attempt).
 *
 * @example
 * ```ts
 * import { createReachability, describeTransportCause } from "./reachability.ts";
 * const reach = createReachability();
 * const why = describeTransportCause(new TypeError("fetch failed"));
 * reach.failed("gamma-api.polymarket.com", why, 0); // true: log it now
 * reach.unreachable(0).length; // 1
 * ```
 */

/** The kind of a transport failure. */
export type TransportReason =
  | "dns"
  | "refused"
  | "tls"
  | "timeout"
  | "reset"
  /** The host answers but refused the websocket upgrade (polymarket/ws_reachability.ts). */
  | "handshake"
  | "other";

/** A transport failure in words: its kind and the runtime's own text. */
export interface TransportCause {
  reason: TransportReason;
  /** e.g. "DNS lookup failed (Name or service not known)". */
  detail: string;
}

const KINDS: readonly [TransportReason, RegExp, string][] = [
  ["dns", /dns error|failed to lookup|name or service not known|no address/i, "DNS lookup failed"],
  ["refused", /connection refused|ECONNREFUSED/i, "connection refused"],
  ["tls", /tls|certificate|handshake|ssl/i, "TLS handshake failed"],
  ["timeout", /timed? ?out|TimeoutError/i, "timed out"],
  ["reset", /reset|broken pipe|connection closed|unexpected eof/i, "connection reset"],
];

/** Names the reason of a rejected `fetch` from its error and the error's causes. */
export function describeTransportCause(err: unknown): TransportCause {
  const texts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      texts.push(`${e.name}: ${e.message}`);
      e = e.cause;
    } else {
      texts.push(String(e));
      break;
    }
  }
  const all = texts.join(" | ");
  // The innermost "… : reason" is the most precise part of Deno's message.
  const last = texts.at(-1)?.split(": ").at(-1)?.trim() ?? "";
  for (const [reason, pattern, words] of KINDS) {
    if (pattern.test(all)) return { reason, detail: last === "" ? words : `${words} (${last})` };
  }
  return { reason: "other", detail: last === "" ? "request failed" : last };
}

/** One host that has failed since `since` (unix ms). */
export interface UnreachableHost extends TransportCause {
  host: string;
  since: number;
  failures: number;
}

/** Per-host reachability shared by one HTTP client. */
export interface Reachability {
  /** Records a failure; true when it should be logged now (first one, then every `repeatMs`). */
  failed(host: string, cause: TransportCause, now: number): boolean;
  /** Records a success; returns how long the host was down (ms), or null if it was not. */
  ok(host: string, now: number): number | null;
  /** Hosts failing now. */
  unreachable(now: number): UnreachableHost[];
  /** Replaces a failing host's recorded cause (a probe named it better); not a failure. */
  explain(host: string, cause: TransportCause): void;
}

/** Creates the tracker; `repeatMs` (default 60 s) spaces the repeated log lines. */
export function createReachability(options: { repeatMs?: number } = {}): Reachability {
  const repeatMs = options.repeatMs ?? 60_000;
  const hosts = new Map<string, UnreachableHost & { loggedAt: number }>();
  return {
    failed(host, cause, now) {
      const seen = hosts.get(host);
      if (seen === undefined) {
        hosts.set(host, { host, ...cause, since: now, failures: 1, loggedAt: now });
        return true;
      }
      seen.failures++;
      // A vaguer account (the websocket's bare "tcp connect error") keeps the probed reason.
      if (cause.reason !== "other" || seen.reason === "other") Object.assign(seen, cause);
      if (now - seen.loggedAt < repeatMs) return false;
      seen.loggedAt = now;
      return true;
    },
    ok(host, now) {
      const seen = hosts.get(host);
      if (seen === undefined) return null;
      hosts.delete(host);
      return now - seen.since;
    },
    explain(host, cause) {
      const seen = hosts.get(host);
      if (seen !== undefined) Object.assign(seen, cause);
    },
    unreachable: () =>
      [...hosts.values()].map(({ host, reason, detail, since, failures }) => ({
        host,
        reason,
        detail,
        since,
        failures,
      })),
  };
}
