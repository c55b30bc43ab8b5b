/**
 * Injected HTTP faults: added latency, 5xx and 429 bursts (next N requests or for T ms, per
 * route family), a 425 maintenance window, and counters for malformed page/frame elements and
 * withheld snapshots.
 *
 * @example
 * ```ts
 * import { Faults } from "./faults.ts";
 * const f = new Faults(Date.now);
 * f.failNext(3, { status: 503, family: "gamma" });
 * ```
 */
import { jsonResponse } from "./_http.ts";

/** Which routes a fault applies to. */
export type RouteFamily = "gamma" | "clob" | "data" | "ws" | "all";

/** Faults to apply from start-up (options and `--faults`). */
export interface FaultSpec {
  latencyMs?: number;
  /** The next `count` requests of `family` fail with `status` (default 503). */
  failNext?: { count: number; status?: number; family?: RouteFamily };
  /** The next `count` requests of `family` get 429 with Retry-After. */
  rateLimitNext?: { count: number; family?: RouteFamily; retryAfterSeconds?: number };
  /** 425 on `family` (default clob) for this long after start. */
  maintenanceMs?: number;
  malformedPages?: number;
  malformedFrames?: number;
}

interface Burst {
  family: RouteFamily;
  status: number;
  remaining: number;
  untilMs: number;
  retryAfterSeconds: number;
}

/** Mutable fault state consulted on every request. */
export class Faults {
  latencyMs = 0;
  malformedPages = 0;
  malformedFrames = 0;
  withheldSnapshots = 0;
  readonly #bursts: Burst[] = [];
  readonly #now: () => number;

  /** Starts with no faults. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Applies a start-up spec. */
  apply(spec: FaultSpec): void {
    if (spec.latencyMs !== undefined) this.latencyMs = spec.latencyMs;
    if (spec.failNext !== undefined) this.failNext(spec.failNext.count, spec.failNext);
    if (spec.rateLimitNext !== undefined) {
      this.failNext(spec.rateLimitNext.count, { ...spec.rateLimitNext, status: 429 });
    }
    if (spec.maintenanceMs !== undefined) this.maintenance(spec.maintenanceMs);
    this.malformedPages += spec.malformedPages ?? 0;
    this.malformedFrames += spec.malformedFrames ?? 0;
  }

  /** The next `count` requests of a family fail with `status` (default 503). */
  failNext(
    count: number,
    o: { status?: number; family?: RouteFamily; retryAfterSeconds?: number } = {},
  ) {
    this.#bursts.push({
      family: o.family ?? "all",
      status: o.status ?? 503,
      remaining: count,
      untilMs: Infinity,
      retryAfterSeconds: o.retryAfterSeconds ?? 1,
    });
  }

  /** Every request of a family fails with `status` for `ms`. */
  failFor(
    ms: number,
    o: { status?: number; family?: RouteFamily; retryAfterSeconds?: number } = {},
  ) {
    this.#bursts.push({
      family: o.family ?? "all",
      status: o.status ?? 503,
      remaining: Infinity,
      untilMs: this.#now() + ms,
      retryAfterSeconds: o.retryAfterSeconds ?? 1,
    });
  }

  /** A 425 maintenance window on `family` (default clob) for `ms`. */
  maintenance(ms: number, family: RouteFamily = "clob"): void {
    this.failFor(ms, { status: 425, family, retryAfterSeconds: Math.ceil(ms / 1000) });
  }

  /** Clears every fault. */
  reset(): void {
    this.#bursts.length = 0;
    this.latencyMs = 0;
    this.malformedPages = 0;
    this.malformedFrames = 0;
    this.withheldSnapshots = 0;
  }

  /** The fault response for this request, if any (consumes one count of the burst). */
  check(family: RouteFamily): Response | null {
    const now = this.#now();
    for (let i = 0; i < this.#bursts.length; i++) {
      const b = this.#bursts[i];
      if (b.remaining <= 0 || now >= b.untilMs) {
        this.#bursts.splice(i--, 1);
        continue;
      }
      if (b.family !== "all" && b.family !== family) continue;
      b.remaining--;
      return faultResponse(b.status, b.retryAfterSeconds);
    }
    return null;
  }

  /** Consumes one malformed-page credit. */
  takeMalformedPage(): boolean {
    if (this.malformedPages <= 0) return false;
    this.malformedPages--;
    return true;
  }

  /** Consumes one malformed-frame credit. */
  takeMalformedFrame(): boolean {
    if (this.malformedFrames <= 0) return false;
    this.malformedFrames--;
    return true;
  }

  /** Consumes one withheld-snapshot credit. */
  takeWithheldSnapshot(): boolean {
    if (this.withheldSnapshots <= 0) return false;
    this.withheldSnapshots--;
    return true;
  }
}

/** The venue-like response for an injected status. */
export function faultResponse(status: number, retryAfterSeconds: number): Response {
  if (status === 429) {
    return jsonResponse({ error: "Too Many Requests" }, 429, {
      "retry-after": String(retryAfterSeconds),
    });
  }
  if (status === 425) {
    return jsonResponse({ error: "Too Early: matching engine restarting" }, 425, {
      "retry-after": String(retryAfterSeconds),
    });
  }
  return jsonResponse({ error: "simulated upstream failure" }, status);
}
