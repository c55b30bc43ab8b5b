/**
 * The set of tokens being collected, published by the markets collector after each universe
 * walk and followed by the websocket listener (which subscribes and unsubscribes as markets
 * open and close). In-process only: collectors otherwise share nothing but the database.
 *
 * @example
 * ```ts
 * const active = createActiveTokens();
 * const stop = active.subscribe((change) => console.log(change.added, change.removed));
 * active.publish([{ tokenId: "1", conditionId: "0x..", marketId: "5" }]);
 * stop();
 * ```
 */

export interface ActiveToken {
  readonly tokenId: string;
  readonly conditionId: string | null;
  readonly marketId: string;
}

export interface ActiveTokensChange {
  readonly added: readonly ActiveToken[];
  readonly removed: readonly string[];
  /** Every active token after the change. */
  readonly current: ReadonlyMap<string, ActiveToken>;
}

export interface ActiveTokens {
  /** Replaces the whole set; listeners hear the difference (if any). */
  publish(tokens: readonly ActiveToken[]): ActiveTokensChange;
  current(): ReadonlyMap<string, ActiveToken>;
  /** True once the first set has been published. */
  readonly ready: boolean;
  /** Resolves when the first set is published, or rejects when `signal` aborts. */
  whenReady(signal: AbortSignal): Promise<void>;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (change: ActiveTokensChange) => void): () => void;
}

/** Creates an empty, not-yet-ready set. */
export function createActiveTokens(): ActiveTokens {
  let current = new Map<string, ActiveToken>();
  let ready = false;
  const listeners = new Set<(change: ActiveTokensChange) => void>();
  const waiters = new Set<() => void>();
  return {
    get ready() {
      return ready;
    },
    current: () => current,
    publish(tokens) {
      const next = new Map(tokens.map((t) => [t.tokenId, t] as const));
      const added = tokens.filter((t) => !current.has(t.tokenId));
      const removed = [...current.keys()].filter((id) => !next.has(id));
      current = next;
      const change = { added, removed, current };
      if (!ready) {
        ready = true;
        for (const w of waiters) w();
        waiters.clear();
      }
      if (added.length > 0 || removed.length > 0) { for (const l of listeners) l(change); }
      return change;
    },
    whenReady(signal) {
      if (ready) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          waiters.delete(done);
          reject(signal.reason);
        };
        const done = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        if (signal.aborted) return reject(signal.reason);
        waiters.add(done);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
