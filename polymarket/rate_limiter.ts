/**
 * Sliding-window rate limiter per endpoint family, with the venue's documented budgets as
 * defaults (per 10 s). A specific family also counts against its host's general budget.
 *
 * @example
 * ```ts
 * import { createRateLimiter } from "./rate_limiter.ts";
 * const limiter = createRateLimiter();
 * await limiter.acquire("gamma:markets", AbortSignal.timeout(10_000));
 * ```
 */
import { sleep as abortableSleep } from "./_sleep.ts";

/** Endpoint families with their own budgets. */
export type EndpointFamily =
  | "gamma"
  | "gamma:markets"
  | "gamma:events"
  | "clob"
  | "clob:book"
  | "clob:books"
  | "clob:price"
  | "clob:midpoint"
  | "clob:prices-history"
  | "data"
  | "data:trades";

/** A budget: at most `limit` requests in any `windowMs`. */
export interface Budget {
  limit: number;
  windowMs: number;
}

const TEN_S = 10_000;

/** Documented Cloudflare budgets (polymarket-api.md section 9). */
export const DEFAULT_BUDGETS: Readonly<Record<EndpointFamily, Budget>> = Object.freeze({
  "gamma": { limit: 4000, windowMs: TEN_S },
  "gamma:markets": { limit: 300, windowMs: TEN_S },
  "gamma:events": { limit: 500, windowMs: TEN_S },
  "clob": { limit: 9000, windowMs: TEN_S },
  "clob:book": { limit: 1500, windowMs: TEN_S },
  "clob:books": { limit: 500, windowMs: TEN_S },
  "clob:price": { limit: 1500, windowMs: TEN_S },
  "clob:midpoint": { limit: 1500, windowMs: TEN_S },
  "clob:prices-history": { limit: 1000, windowMs: TEN_S },
  "data": { limit: 1000, windowMs: TEN_S },
  "data:trades": { limit: 200, windowMs: TEN_S },
});

/** Options: budget overrides and injectable clock/sleep for tests. */
export interface RateLimiterOptions {
  budgets?: Partial<Record<EndpointFamily, Budget>>;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Waits until a request of a family fits its budgets. */
export interface RateLimiter {
  /** Resolves when the request may go; rejects with `signal.reason` on abort. */
  acquire(family: EndpointFamily, signal: AbortSignal): Promise<void>;
}

class SlidingWindow {
  #times: number[] = [];
  #head = 0;
  readonly #budget: Budget;
  constructor(budget: Budget) {
    this.#budget = budget;
  }
  /** Milliseconds until one more request fits (0 = now). */
  waitMs(now: number): number {
    const { limit, windowMs } = this.#budget;
    while (this.#head < this.#times.length && this.#times[this.#head]! <= now - windowMs) {
      this.#head++;
    }
    if (this.#head > 1024) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    const used = this.#times.length - this.#head;
    if (used < limit) return 0;
    return this.#times[this.#head + used - limit]! + windowMs - now;
  }
  record(now: number): void {
    this.#times.push(now);
  }
}

function parentOf(family: EndpointFamily): EndpointFamily | null {
  const i = family.indexOf(":");
  return i < 0 ? null : family.slice(0, i) as EndpointFamily;
}

/** Creates a limiter with the default budgets, overridden by `options.budgets`. */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const windows = new Map<EndpointFamily, SlidingWindow>();
  const windowOf = (f: EndpointFamily) => {
    let w = windows.get(f);
    if (w === undefined) {
      w = new SlidingWindow(options.budgets?.[f] ?? DEFAULT_BUDGETS[f]);
      windows.set(f, w);
    }
    return w;
  };
  return {
    async acquire(family, signal) {
      const chain = [windowOf(family)];
      const parent = parentOf(family);
      if (parent !== null) chain.push(windowOf(parent));
      for (;;) {
        signal.throwIfAborted();
        const t = now();
        const wait = Math.max(...chain.map((w) => w.waitMs(t)));
        if (wait <= 0) {
          for (const w of chain) w.record(t);
          return;
        }
        await sleep(wait, signal);
      }
    },
  };
}

/**
 * The documented budgets scaled to `fraction` of each limit (at least 1 request per window),
 * so the collector leaves headroom for other users of the same IP.
 */
export function scaleBudgets(fraction: number): Record<EndpointFamily, Budget> {
  const entries = Object.entries(DEFAULT_BUDGETS).map(([family, budget]) => [
    family,
    { limit: Math.max(1, Math.floor(budget.limit * fraction)), windowMs: budget.windowMs },
  ]);
  return Object.fromEntries(entries) as Record<EndpointFamily, Budget>;
}
