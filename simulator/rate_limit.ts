/**
 * Sliding 10-second request budgets like the venue's Cloudflare rules (API reference §9);
 * over budget ⇒ 429 with `Retry-After` (seconds until the oldest counted request expires).
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limit.ts";
 * const limiter = new RateLimiter(Date.now);
 * limiter.check("/book", "clob"); // null while under budget
 * ```
 */
import { faultResponse, type RouteFamily } from "./faults.ts";

const WINDOW_MS = 10_000;

/** Budgets per 10 s by rule name. */
export const BUDGETS: Readonly<Record<string, number>> = {
  global: 15_000,
  "gamma": 4000,
  "gamma:/events": 500,
  "gamma:/markets": 300,
  "gamma:listing": 900,
  "data": 1000,
  "data:/trades": 200,
  "clob": 9000,
  "clob:/book": 1500,
  "clob:/books": 500,
  "clob:/price": 1500,
  "clob:/prices": 500,
  "clob:/midpoint": 1500,
  "clob:/midpoints": 500,
  "clob:/prices-history": 1000,
  "clob:/tick-size": 200,
  "clob:/ok": 100,
};

/** Per-rule sliding windows of request times. */
export class RateLimiter {
  readonly #windows = new Map<string, number[]>();
  readonly #now: () => number;

  /** Starts with empty windows. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Counts the request; returns a 429 response when any of its rules is over budget. */
  check(path: string, family: RouteFamily): Response | null {
    const rules = rulesFor(path, family);
    const now = this.#now();
    let retryAfterMs = 0;
    for (const rule of rules) {
      const times = this.#prune(rule, now);
      if (times.length >= BUDGETS[rule]) {
        retryAfterMs = Math.max(retryAfterMs, times[0] + WINDOW_MS - now);
      }
    }
    if (retryAfterMs > 0) return faultResponse(429, Math.max(1, Math.ceil(retryAfterMs / 1000)));
    for (const rule of rules) this.#windows.get(rule)?.push(now);
    return null;
  }

  #prune(rule: string, now: number): number[] {
    let times = this.#windows.get(rule);
    if (times === undefined) {
      times = [];
      this.#windows.set(rule, times);
    }
    let drop = 0;
    while (drop < times.length && times[drop] <= now - WINDOW_MS) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}

function rulesFor(path: string, family: RouteFamily): string[] {
  const rules = ["global"];
  if (family === "ws" || family === "all") return rules;
  rules.push(family);
  if (family === "gamma") {
    if (path.startsWith("/markets")) rules.push("gamma:/markets", "gamma:listing");
    else if (path.startsWith("/events")) rules.push("gamma:/events", "gamma:listing");
  } else if (family === "data" && path.endsWith("/trades")) {
    rules.push("data:/trades");
  } else if (`${family}:${path}` in BUDGETS) {
    rules.push(`${family}:${path}`);
  }
  return rules;
}
