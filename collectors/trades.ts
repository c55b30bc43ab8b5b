/**
 * `runTradesCollector`: the websocket trade listener. Follows the active token set over a pool
 * of market-websocket connections and writes every `last_trade_price` as a trade row, best
 * bid/ask changes as quote rows (at most one per token per `quotesIntervalMs`, 0 = off) and
 * uncovered intervals as gaps, through a bounded queue that spills to disk while the database
 * is away. A clean stop writes the interval it leaves uncovered (`recordTradesStop`) once the
 * queue is flushed; the next start closes it. `market_resolved` messages go to `onMarketResolved` (for the resolution tracker);
 * `new_market` messages are stored as market metadata (fee schedule, tick, rules), once per
 * listing: the copies the other connections receive are counted (`new_market_copies_total`).
 *
 * Start-up: waits up to `readyWaitMs` (default 10 s) for the markets collector to publish the
 * active set; if nothing is published by then, subscribes the active tokens stored in the
 * database (`listActiveTokenIds`), and from then on follows every published change.
 *
 * @example
 * ```ts
 * import { runTradesCollector } from "./trades.ts";
 * await runTradesCollector({ ...deps, onMarketResolved: (m) => tracker.offer(m) }, signal);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { listActiveTokenIds } from "../db/catalog.ts";
import { recordRejects, REJECT_RAW_MAX_CHARS } from "../db/ops.ts";
import { serverTakesCopy } from "../db/_copy.ts";
import type { TradeRow } from "../db/trades.ts";
import type { TradeEvent, WsMarketResolvedMessage, WsMessage } from "../polymarket/ws_schema.ts";
import type { CollectorDeps } from "./_deps.ts";
import { TopOfBook } from "./_top_of_book.ts";
import type { TradeKeyer } from "../db/trade_identity.ts";
import { TradeQueue } from "./_trade_queue.ts";
import { recordTradesStop } from "./_downtime_gap.ts";
import { WsPool } from "./_ws_pool.ts";
import { recordMarketMetadata } from "../db/market_metadata.ts";
import { metadataFromNewMarket } from "./market_metadata.ts";
import { type BookEvent, bookEventsOf } from "../stream/book_event.ts";
import { ListingCopies } from "../stream/_recent_keys.ts";

/** Where the listener forwards book events, and which tokens it wants. */
export interface BookFeed {
  watches(tokenId: string): boolean;
  push(events: BookEvent[]): void;
  /** These tokens were (re)subscribed: their books wait for the next snapshot. */
  resubscribed(tokenIds: readonly string[]): void;
  /** The listener hands over how to ask for fresh snapshots of tokens it owns. */
  bindResync(resync: ((tokenIds: readonly string[]) => void) | null): void;
}
import { StreamRecorder } from "../stream/recorder.ts";

export interface TradesCollectorDeps extends CollectorDeps {
  /** Called for every `market_resolved` message (custom feature); must not throw. */
  readonly onMarketResolved?: (message: WsMarketResolvedMessage) => void;
  /** How long to wait for the first published active set before reading the DB. */
  readonly readyWaitMs?: number;
  /**
   * Book events (`book`, `price_change`, `tick_size_change`) of the tokens it `watches`, in
   * arrival order, for an in-process consumer (the scanner); must be cheap and not throw.
   */
  readonly bookFeed?: BookFeed;
  /** Called once the pool is built (tests and the bench inspect connections). */
  readonly onPool?: (pool: WsPool, queue: TradeQueue) => void;
  /** Called once the stream recorder is built (when recording is on). */
  readonly onRecorder?: (recorder: StreamRecorder) => void;
}

const REJECT_SOURCE = "ws:market";
/** `market_metadata_history.source` of websocket `new_market` observations. */
const NEW_MARKET = "ws:new_market";

/** Runs until `signal` aborts; then flushes (or spills) everything queued. */
export async function runTradesCollector(
  deps: TradesCollectorDeps,
  signal: AbortSignal,
): Promise<void> {
  const { config, log, now } = deps;
  const startedAt = new Date(now());
  const o = config.collectors.trades;
  const queue = new TradeQueue({
    sql: deps.sql,
    spillDir: `${config.dataDir}/spill`,
    flushMs: o.flushMs,
    flushRows: o.flushRows,
    maxRows: o.queueMaxRows,
    log,
  });
  const queueDone = queue.run(signal);
  // Every market-channel event into book_events (issue 15), beside trades and quotes.
  const recorder = o.streamRecord
    ? new StreamRecorder({
      sql: deps.sql,
      method: config.database.url !== undefined && await serverTakesCopy(deps.sql)
        ? "copy"
        : "unnest",
      log,
      spillDir: `${config.dataDir}/spill_stream`,
      session: now(),
      flushMs: o.flushMs,
      checkpointEvery: o.streamCheckpointEvery,
      now,
      ...(o.streamPackAfterMs > 0 ? { pack: { sql: deps.sql, afterMs: o.streamPackAfterMs } } : {}),
    })
    : null;
  if (recorder !== null) deps.onRecorder?.(recorder);
  const recorderDone = recorder?.run(signal);
  const books = new TopOfBook();
  let trades = 0;
  let rejects = 0;
  // Rejects past the per-frame cap: counted, logged once per interval, never stored.
  let rejectsOmitted = 0;
  let lastOmitted = 0;
  const feed = deps.bookFeed;
  let sequence = 0;
  const nextSequence = () => sequence++;
  const listings = new ListingCopies();
  const onMessages = (messages: WsMessage[], keyer: TradeKeyer, connection: number) => {
    if (feed !== undefined) {
      const events = bookEventsOf(messages, {
        connection,
        nextSequence,
        accept: (t) => feed.watches(t),
      });
      if (events.length > 0) feed.push(events);
    }
    recorder?.record(messages, connection);
    for (const m of messages) {
      if (m.kind === "trade") {
        trades++;
        queue.push({ kind: "trade", row: tradeRowOf(m, keyer) });
      } else if (m.kind === "new_market") {
        // Every connection gets the broadcast: the first copy is recorded, the rest counted.
        if (!listings.first(m)) {
          deps.context?.counter("new_market_copies_total");
          continue;
        }
        const at = new Date(m.timestamp);
        recordMarketMetadata(deps.sql, [metadataFromNewMarket(m)], { at, source: NEW_MARKET })
          .catch((err) =>
            log.warn("new_market_metadata_not_recorded", {
              marketId: m.marketId,
              error: String(err),
            })
          );
      } else if (m.kind === "market_resolved") {
        // A resolved market sends nothing more: unsubscribe its tokens, or a connection left
        // with only them would be taken for stalled and reconnect, recording a false gap.
        pool.remove(m.tokenIds);
        try {
          deps.onMarketResolved?.(m);
        } catch (err) {
          log.warn("market_resolved_listener_failed", { error: String(err) });
        }
      } else if (o.quotesIntervalMs > 0) books.apply(m);
    }
  };
  const pool = new WsPool({
    url: config.api.wsMarketUrl,
    tokensPerConnection: o.tokensPerConnection,
    connectStaggerMs: o.connectStaggerMs,
    maxFrameBytes: o.maxFrameBytes,
    pingMs: o.pingMs,
    silenceMs: o.silenceMs,
    snapshotDeadlineMs: o.snapshotDeadlineMs,
    now,
    log,
    ...(deps.reachability === undefined ? {} : { reachability: deps.reachability }),
    handler: {
      messages: onMessages,
      rejects: (list, omitted) => {
        rejects += list.length + omitted;
        rejectsOmitted += omitted;
        const rows = list.map((r) => ({
          source: REJECT_SOURCE,
          reason: r.reason,
          path: r.path,
          raw: rawExcerpt(r.raw),
        }));
        recordRejects(deps.sql, rows).catch((err) =>
          log.warn("ws_rejects_not_recorded", { count: rows.length, error: String(err) })
        );
      },
      gap: (row) => queue.push({ kind: "gap", row }),
      resubscribed: (ids) => {
        feed?.resubscribed(ids);
        if (o.quotesIntervalMs > 0) { for (const id of ids) books.unseed(id); }
      },
    },
  });
  deps.onPool?.(pool, queue);
  feed?.bindResync((ids) => pool.resync(ids));
  const stopFollowing = deps.activeTokens.subscribe((change) => {
    pool.add(change.added.map((t) => t.tokenId));
    pool.remove(change.removed);
    for (const id of change.removed) books.forget(id);
    recorder?.forget(change.removed);
  });
  try {
    pool.add(await initialTokens(deps, signal));
    const poolDone = pool.run(signal);
    let lastQuotes = now();
    let lastMessages = 0;
    let lastTrades = 0;
    while (!signal.aborted) {
      await sleep(Math.min(1000, o.quotesIntervalMs || 1000), undefined, { signal })
        .catch(() => {});
      if (o.quotesIntervalMs > 0 && now() - lastQuotes >= o.quotesIntervalMs) {
        lastQuotes = now();
        // At most two batches per interval: the startup burst (a changed top for every token)
        // is written over several intervals instead of being held (or spilled) all at once.
        const room = Math.max(0, 2 * o.flushRows - queue.depth);
        // The disk guard sheds quotes first: drained tops are then dropped, not written.
        const shed = deps.shed?.quotesEnabled() === false;
        for (const row of books.drain(shed ? Number.MAX_SAFE_INTEGER : room)) {
          if (!shed) queue.push({ kind: "quote", row });
        }
      }
      const connections = pool.health(now());
      const messages = connections.reduce((n, c) => n + c.messages, 0);
      const ctx = deps.context;
      ctx?.counter("messages_total", messages - lastMessages);
      ctx?.counter("trades_total", trades - lastTrades);
      if (rejectsOmitted > lastOmitted) {
        log.warn("ws_rejects_omitted", {
          count: rejectsOmitted - lastOmitted,
          total: rejectsOmitted,
        });
        ctx?.counter("rejects_omitted_total", rejectsOmitted - lastOmitted);
        lastOmitted = rejectsOmitted;
      }
      lastMessages = messages;
      lastTrades = trades;
      ctx?.gauge("reconnects_total", connections.reduce((n, c) => n + c.reconnects, 0));
      ctx?.gauge("queue_depth", queue.depth);
      ctx?.gauge("spill_bytes", queue.spillBytes);
      const down = connections.filter((c) => c.tokens > 0 && c.state !== "open").length;
      ctx?.report({
        connections,
        tokens: pool.tokenCount,
        trades,
        rejects,
        rejectsOmitted,
        queueDepth: queue.depth,
        spillBytes: queue.spillBytes,
        databaseUp: queue.databaseUp,
        stream: recorder === null ? null : {
          ...recorder.stats,
          depth: recorder.depth,
          tokensCounted: recorder.tokensCounted,
          databaseUp: recorder.databaseUp,
        },
        ...queue.stats,
        unhealthy: !queue.databaseUp
          ? "database unreachable: trades are spilling to disk"
          : down > 0 && down === connections.length
          ? "no websocket connection is open"
          : null,
      });
    }
    await poolDone;
  } finally {
    const stoppedAt = new Date(now());
    feed?.bindResync(null);
    stopFollowing();
    await queueDone;
    await recorderDone;
    // A clean stop: everything heard is written; the interval from here on is not listened to.
    if (signal.aborted) await recordTradesStop(deps, { stoppedAt, startedAt });
  }
  signal.throwIfAborted();
}

/** A reject's raw value as text, cut to the excerpt `rejects` keeps. */
function rawExcerpt(raw: unknown): string {
  const text = typeof raw === "string" ? raw : JSON.stringify(raw) ?? "";
  return text.length > REJECT_RAW_MAX_CHARS ? text.slice(0, REJECT_RAW_MAX_CHARS) : text;
}

/** The published active set, or (if none within `readyWaitMs`) the one stored in the DB. */
async function initialTokens(deps: TradesCollectorDeps, signal: AbortSignal): Promise<string[]> {
  const wait = AbortSignal.any([signal, AbortSignal.timeout(deps.readyWaitMs ?? 10_000)]);
  try {
    await deps.activeTokens.whenReady(wait);
    return [...deps.activeTokens.current().keys()];
  } catch (err) {
    if (signal.aborted) throw err;
  }
  deps.log.info("trades_tokens_from_db", { reason: "no active set published yet" });
  for (let delay = 1000;; delay = Math.min(delay * 2, 30_000)) {
    try {
      return deps.activeTokens.ready
        ? [...deps.activeTokens.current().keys()]
        : await listActiveTokenIds(deps.sql);
    } catch (err) {
      deps.log.warn("trades_tokens_from_db_failed", { error: String(err) });
      await sleep(delay, undefined, { signal });
    }
  }
}

/** The `trades` row of a websocket fill; `keyer` numbers identical fills of its batch. */
export function tradeRowOf(m: TradeEvent, keyer: TradeKeyer): TradeRow {
  return {
    ts: new Date(m.timestamp),
    tokenId: m.tokenId,
    tradeKey: keyer.key(m),
    conditionId: m.market,
    receivedAt: new Date(m.receivedAt),
    price: m.price,
    size: m.size,
    side: m.side,
    feeRateBps: m.feeRateBps,
    txHash: m.transactionHash,
    source: "ws",
  };
}
