/**
 * The subscription side of one market-websocket connection: subscribe messages of at most 20
 * tokens (the venue answers each with one snapshot frame, so none is large), runtime
 * `operation: subscribe|unsubscribe`, and the snapshot watch: a token without a `book` within
 * `snapshotDeadlineMs` of its subscribe is reported overdue to its outages and resubscribed
 * (unsubscribe + subscribe), twice at most, then given up.
 *
 * @example
 * ```ts ignore
 * import { WsSubscriptions } from "./_ws_subscriptions.ts";
 * const subs = new WsSubscriptions({ snapshotDeadlineMs: 30_000, now: Date.now, outages, resubscribed });
 * subs.socket = ws; subs.reset(); subs.subscribe(["123"], "initial");
 * subs.settled("123"); // its book came
 * ```
 */
import type { WsOutages } from "./_ws_outages.ts";

/** Tokens per subscribe message (the venue sends one snapshot frame per message). */
const SUBSCRIBE_CHUNK = 20;

/** Options of {@link WsSubscriptions}. */
export interface WsSubscriptionsOptions {
  readonly snapshotDeadlineMs: number;
  readonly now: () => number;
  readonly outages: WsOutages;
  /** These tokens were (re)subscribed: their local books are stale until the next `book`. */
  readonly resubscribed: (tokenIds: readonly string[]) => void;
}

/** Subscribe/unsubscribe messages and the tokens still waiting for their snapshot. */
export class WsSubscriptions {
  readonly sentOps = { subscribe: 0, unsubscribe: 0 };
  /** The open socket to send on (null between sockets: sends are dropped). */
  socket: WebSocket | null = null;
  readonly #o: WsSubscriptionsOptions;
  /** Subscribed tokens still waiting for their snapshot → when last (re)subscribed. */
  readonly #awaiting = new Map<string, number>();
  /** Resubscribes so far of awaiting tokens that have been retried (absent = none). */
  readonly #attempts = new Map<string, number>();

  constructor(options: WsSubscriptionsOptions) {
    this.#o = options;
  }

  /** A new socket: nothing is awaited on it yet. */
  reset(): void {
    this.#awaiting.clear();
    this.#attempts.clear();
  }

  /** Subscribes tokens ("initial": the first message of a socket carries `type: market`). */
  subscribe(tokenIds: string[], kind: "initial" | "subscribe"): void {
    const now = this.#o.now();
    for (const t of tokenIds) {
      if (this.#awaiting.has(t)) this.#attempts.set(t, (this.#attempts.get(t) ?? 0) + 1);
      this.#awaiting.set(t, now);
    }
    this.#o.resubscribed(tokenIds);
    // The venue answers each subscribe message with one frame holding a book per token; small
    // messages keep those frames (and the socket's receive buffer, which keeps its largest
    // size) small.
    for (let i = 0; i < tokenIds.length; i += SUBSCRIBE_CHUNK) {
      const chunk = tokenIds.slice(i, i + SUBSCRIBE_CHUNK);
      if (kind === "initial" && i === 0) {
        this.socket?.send(JSON.stringify({
          assets_ids: chunk,
          type: "market",
          custom_feature_enabled: true,
        }));
      } else this.send(chunk, "subscribe");
    }
  }

  /** One runtime subscribe/unsubscribe message, if the socket is open. */
  send(tokenIds: string[], operation: "subscribe" | "unsubscribe"): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.sentOps[operation]++;
    this.socket.send(
      JSON.stringify({ assets_ids: tokenIds, operation, custom_feature_enabled: true }),
    );
  }

  /** `tokenId` no longer waits for a snapshot (it came, or was given up or removed). */
  settled(tokenId: string): void {
    this.#awaiting.delete(tokenId);
    this.#attempts.delete(tokenId);
  }

  /** Resubscribes tokens past the snapshot deadline; gives up on a token after two tries. */
  checkSnapshots(now: number): void {
    const retry: string[] = [];
    for (const [t, at] of this.#awaiting) {
      if (now - at < this.#o.snapshotDeadlineMs) continue;
      this.#o.outages.overdue(t, at);
      if ((this.#attempts.get(t) ?? 0) >= 2) {
        this.settled(t);
        this.#o.outages.covered(t, now);
      } else retry.push(t);
    }
    if (retry.length === 0) return;
    this.send(retry, "unsubscribe");
    this.subscribe(retry, "subscribe");
  }
}
