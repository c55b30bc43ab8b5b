/**
 * The hand-off of websocket `market_resolved` messages from the trades listener to the
 * resolution tracker: a small bounded in-process queue, one pending message per market (a
 * newer one replaces it). When full, the oldest market's message is dropped and counted; the
 * tracker's Gamma/CLOB polling still finds that resolution, only later and weaker.
 *
 * @example
 * ```ts
 * import { createResolutionInbox } from "./resolution_inbox.ts";
 * const inbox = createResolutionInbox();
 * // in the websocket listener: if (msg.kind === "market_resolved") inbox.push(msg);
 * // in the tracker: const woke = await inbox.wait(60_000, signal); inbox.drain();
 * inbox.size; // 0
 * ```
 */
import type { WsMarketResolvedMessage } from "../polymarket/ws_schema.ts";

/** Default number of markets with a pending message. */
export const RESOLUTION_INBOX_CAPACITY = 10_000;

/** A bounded queue of `market_resolved` messages keyed by condition id. */
export interface ResolutionInbox {
  /** Queues a message (never blocks); returns false when an older message had to be dropped. */
  push(message: WsMarketResolvedMessage): boolean;
  /** Takes every pending message, oldest first. */
  drain(): WsMarketResolvedMessage[];
  /** Markets with a pending message. */
  readonly size: number;
  /** Messages dropped because the inbox was full. */
  readonly dropped: number;
  /**
   * Waits up to `ms` for a pending message: resolves true as soon as one is pending, false on
   * timeout; rejects with `signal.reason` when `signal` aborts.
   */
  wait(ms: number, signal: AbortSignal): Promise<boolean>;
}

/** Creates an empty inbox holding at most `capacity` markets. */
export function createResolutionInbox(
  options: { capacity?: number } = {},
): ResolutionInbox {
  const capacity = Math.max(1, options.capacity ?? RESOLUTION_INBOX_CAPACITY);
  const pending = new Map<string, WsMarketResolvedMessage>();
  const waiters = new Set<() => void>();
  let dropped = 0;
  return {
    push(message) {
      pending.delete(message.market);
      let kept = true;
      if (pending.size >= capacity) {
        const oldest = pending.keys().next().value;
        if (oldest !== undefined) pending.delete(oldest);
        dropped++;
        kept = false;
      }
      pending.set(message.market, message);
      for (const wake of waiters) wake();
      waiters.clear();
      return kept;
    },
    drain() {
      const all = [...pending.values()];
      pending.clear();
      return all;
    },
    get size() {
      return pending.size;
    },
    get dropped() {
      return dropped;
    },
    wait(ms, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (pending.size > 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve, reject) => {
        const finish = (result: boolean | null) => {
          clearTimeout(timer);
          waiters.delete(wake);
          signal.removeEventListener("abort", onAbort);
          if (result === null) reject(signal.reason);
          else resolve(result);
        };
        const wake = () => finish(true);
        const onAbort = () => finish(null);
        const timer = setTimeout(() => finish(false), Math.max(0, ms));
        waiters.add(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
