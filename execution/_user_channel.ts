/**
 * The authenticated user channel (`/ws/user`, polymarket-api.md §7) kept open until the signal
 * aborts: subscribe with the API credentials (all markets), text `PING` every `pingMs` (the
 * venue drops a quiet socket after ~10 s), every other text frame parsed
 * (`parseUserChannelMessage`) and handed on; a bad frame is counted and logged, never fatal.
 * A socket that closes or stops answering PONG within `pongTimeoutMs` is replaced after a
 * jittered doubling backoff (250 ms → 5 s), and `onReconnect` is called once the new one is
 * subscribed, so that the caller can ask REST for what the gap hid.
 *
 * `ready` resolves once the first subscription is in force: the PONG to a PING sent after the
 * subscribe message proves the venue has read it.
 *
 * @example
 * ```ts ignore
 * const channel = runUserChannel(url, credentials, { onMessage, onReconnect, log, signal });
 * await channel.ready;
 * await channel.done; // after signal aborts
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import {
  parseUserChannelMessage,
  type UserChannelOrder,
  type UserChannelTrade,
} from "../polymarket/trading_schema.ts";
import { sleep } from "../polymarket/_sleep.ts";
import type { ApiCredentials } from "./l2_headers.ts";

export interface UserChannelOptions {
  readonly onMessage: (message: UserChannelOrder | UserChannelTrade) => void;
  /** Called after a reconnect is subscribed (not after the first connect). */
  readonly onReconnect?: (downSinceMs: number) => void;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly pingMs?: number;
  readonly pongTimeoutMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface UserChannel {
  /** Resolves when the first subscription is in force; rejects if the signal aborts first. */
  readonly ready: Promise<void>;
  /** Settles after the signal aborted and the socket closed. */
  readonly done: Promise<void>;
}

/** Opens the channel and keeps it open until `options.signal` aborts. */
export function runUserChannel(
  url: string,
  credentials: ApiCredentials,
  options: UserChannelOptions,
): UserChannel {
  let markReady!: () => void;
  let failReady!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
  const done = (async () => {
    const { signal, log } = options;
    const now = options.now ?? Date.now;
    const random = options.random ?? Math.random;
    let delay = 250;
    let downSince: number | null = null;
    while (!signal.aborted) {
      const outcome = await connectOnce(url, credentials, options, () => {
        delay = 250;
        if (downSince === null) markReady();
        else options.onReconnect?.(downSince);
        downSince = null;
      });
      if (signal.aborted) break;
      downSince ??= now();
      log.warn("user_channel_lost", { reason: outcome, retryInMs: delay });
      try {
        await sleep(delay * (0.5 + random() / 2), signal);
      } catch {
        break;
      }
      delay = Math.min(delay * 2, 5_000);
    }
    failReady(signal.reason);
  })();
  return { ready, done };
}

/** One socket's life; resolves with why it ended. */
function connectOnce(
  url: string,
  credentials: ApiCredentials,
  options: UserChannelOptions,
  onSubscribed: () => void,
): Promise<string> {
  const { signal, log } = options;
  const pingMs = options.pingMs ?? 5_000;
  const pongTimeoutMs = options.pongTimeoutMs ?? 15_000;
  const now = options.now ?? Date.now;
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      resolve(err instanceof Error ? err.message : String(err));
      return;
    }
    let subscribed = false;
    let lastPong = now();
    let bad = 0;
    const timer = setInterval(() => {
      if (now() - lastPong > pongTimeoutMs) {
        closeQuietly(socket, 4000, "no PONG");
        return;
      }
      if (socket.readyState === WebSocket.OPEN) socket.send("PING");
    }, pingMs);
    const onAbort = () => closeQuietly(socket, 1000, "stopping");
    signal.addEventListener("abort", onAbort, { once: true });
    socket.onopen = () => {
      socket.send(JSON.stringify({
        auth: {
          apiKey: credentials.apiKey,
          secret: credentials.secret.reveal(),
          passphrase: credentials.passphrase.reveal(),
        },
        markets: [],
        type: "user",
      }));
      socket.send("PING");
    };
    socket.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      if (e.data === "PONG") {
        lastPong = now();
        if (!subscribed) {
          subscribed = true;
          onSubscribed();
        }
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(e.data);
      } catch {
        value = e.data;
      }
      for (const item of Array.isArray(value) ? value : [value]) {
        const parsed = parseUserChannelMessage(item);
        if (parsed.success) options.onMessage(parsed.data);
        else if (bad++ < 5) {
          log.warn("user_channel_bad_message", { error: parsed.error.issues[0]?.message });
        }
      }
    };
    socket.onerror = () => {};
    socket.onclose = (e) => {
      clearInterval(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(`closed ${e.code} ${e.reason}`);
    };
  });
}

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closing
  }
}
