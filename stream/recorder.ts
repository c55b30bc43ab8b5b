/**
 * `StreamRecorder`: records every market-channel event the listener receives into
 * `book_events` (migration 0010), in arrival order. The listener's hot path only appends
 * plain rows to an in-memory batch (`record`); `run` flushes it every `flushMs` or
 * `flushRows` rows, by COPY where the server allows. While the database is away batches wait
 * in memory up to `maxRows`, then go to NDJSON spill files that are written back (idempotently:
 * the key is (session, seq)) once it answers again.
 *
 * What is recorded: each `book` (a header row and one row per level), each `price_change`
 * level, `tick_size_change`, `best_bid_ask`, a marker for each `last_trade_price` (the trade
 * is in `trades`), one row per token of `new_market` and `market_resolved`; and, every
 * `checkpointEvery` level changes of a token, a checkpoint of its full book so that a
 * reconstruction replays only from there (stream/book_at.ts).
 *
 * @example
 * ```ts
 * import { StreamRecorder } from "./recorder.ts";
 * const recorder = new StreamRecorder({ sql, method: "copy", log, spillDir: "./data/spill" });
 * const done = recorder.run(signal);
 * recorder.record(messages, connection); // from the listener, for every frame
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type BookEventRow, insertBookEvents, KIND, type WriteMethod } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import type { Logger } from "../runtime/log.ts";
import { recordGaps } from "../db/ops.ts";
import { CheckpointBooks } from "./_checkpoint_books.ts";
import { StreamSpill } from "./_spill.ts";

export interface RecorderOptions {
  readonly sql: Queryable;
  readonly method: WriteMethod;
  readonly log: Logger;
  /** Where batches go while the database is away; null = hold in memory only. */
  readonly spillDir: string | null;
  /** This recording's id (default: the time it starts, unix ms). */
  readonly session?: number;
  readonly flushMs?: number;
  readonly flushRows?: number;
  /** Rows held in memory while the database is away before they spill. */
  readonly maxRows?: number;
  /** Level changes of one token between two checkpoints of its book. */
  readonly checkpointEvery?: number;
}

/** Counters for the health report. */
export interface RecorderStats {
  rowsRecorded: number;
  rowsWritten: number;
  rowsSpilled: number;
  checkpoints: number;
}

export class StreamRecorder {
  readonly session: number;
  readonly stats: RecorderStats = {
    rowsRecorded: 0,
    rowsWritten: 0,
    rowsSpilled: 0,
    checkpoints: 0,
  };
  readonly #o: Required<Omit<RecorderOptions, "spillDir">>;
  readonly #spill: StreamSpill | null;
  readonly #books: CheckpointBooks;
  #batch: BookEventRow[] = [];
  /** Batches a failed flush left behind, oldest first. */
  #pending: BookEventRow[][] = [];
  #pendingRows = 0;
  #seq = 0;
  #wake: (() => void) | null = null;
  #databaseUp = true;

  constructor(options: RecorderOptions) {
    this.session = options.session ?? Date.now();
    this.#o = {
      sql: options.sql,
      method: options.method,
      log: options.log,
      session: this.session,
      flushMs: options.flushMs ?? 500,
      flushRows: options.flushRows ?? 20_000,
      maxRows: options.maxRows ?? 1_000_000,
      checkpointEvery: options.checkpointEvery ?? 2000,
    };
    this.#spill = options.spillDir === null ? null : new StreamSpill(options.spillDir);
    this.#books = new CheckpointBooks(this.#o.checkpointEvery);
  }

  /** Rows waiting to be written (batch plus held batches). */
  get depth(): number {
    return this.#batch.length + this.#pendingRows;
  }

  get databaseUp(): boolean {
    return this.#databaseUp;
  }

  /** Tokens whose full book the recorder holds (for checkpoints). */
  get booksHeld(): number {
    return this.#books.size;
  }

  /** Appends the rows of one frame's messages; cheap, never throws. */
  record(messages: readonly WsMessage[], conn: number): void {
    for (const m of messages) {
      switch (m.kind) {
        case "book": {
          const b = m.book;
          const at = { conn, tokenId: b.tokenId, ts: b.timestamp, receivedAt: b.receivedAt };
          this.#row(at, KIND.book, null, b.tickSize, null);
          const bids = b.bids.map((l) => [l.price, l.size] as const);
          const asks = b.asks.map((l) => [l.price, l.size] as const);
          for (const [p, s] of bids) this.#row(at, KIND.bookLevel, 0, p, s);
          for (const [p, s] of asks) this.#row(at, KIND.bookLevel, 1, p, s);
          this.#books.replace(b.tokenId, bids, asks);
          break;
        }
        case "price_change":
          for (const c of m.changes) {
            const side = c.side === "BUY" ? 0 : 1;
            const at = { conn, tokenId: c.tokenId, ts: m.timestamp, receivedAt: m.receivedAt };
            this.#row(at, KIND.priceChange, side, c.price, c.size);
            if (this.#books.set(c.tokenId, side, c.price, c.size)) this.#checkpoint(at);
          }
          break;
        case "tick_size_change":
          this.#row(
            { conn, tokenId: m.tokenId, ts: m.timestamp, receivedAt: m.receivedAt },
            KIND.tickSizeChange,
            null,
            m.newTickSize,
            null,
          );
          this.#books.forget(m.tokenId);
          break;
        case "best_bid_ask":
          this.#row(
            { conn, tokenId: m.tokenId, ts: m.timestamp, receivedAt: m.receivedAt },
            KIND.bestBidAsk,
            null,
            m.bestBid,
            m.bestAsk,
          );
          break;
        case "trade":
          this.#row(
            { conn, tokenId: m.tokenId, ts: m.timestamp, receivedAt: m.receivedAt },
            KIND.trade,
            m.side === "BUY" ? 0 : 1,
            null,
            null,
          );
          break;
        case "new_market":
          for (const tokenId of m.tokenIds) {
            const at = { conn, tokenId, ts: m.timestamp, receivedAt: m.receivedAt };
            this.#row(at, KIND.newMarket, null, m.tickSize, null);
          }
          break;
        case "market_resolved":
          for (const tokenId of m.tokenIds) {
            const at = { conn, tokenId, ts: m.timestamp, receivedAt: m.receivedAt };
            this.#row(
              at,
              KIND.marketResolved,
              null,
              tokenId === m.winningTokenId ? "1" : "0",
              null,
            );
          }
          break;
      }
    }
    if (this.#batch.length >= this.#o.flushRows) this.#wake?.();
  }

  /** The tokens are no longer subscribed on this process: their books are dropped. */
  forget(tokenIds: readonly string[]): void {
    for (const t of tokenIds) this.#books.forget(t);
  }

  /** Flushes every `flushMs` until `signal` aborts, then writes (or spills) what is left. */
  async run(signal: AbortSignal): Promise<void> {
    // In the background: a database that is down at start must not hold the first flushes.
    const downtime = this.#recordDowntime();
    await this.#replaySpill();
    while (!signal.aborted) {
      const woken = new Promise<void>((resolve) => this.#wake = resolve);
      await Promise.race([woken, sleep(this.#o.flushMs, undefined, { signal }).catch(() => {})]);
      this.#wake = null;
      await this.flush();
    }
    await this.flush();
    if (this.#pendingRows > 0) await this.#spillPending();
    await downtime;
  }

  /** Writes the batch and anything held; on a database error holds (or spills) them. */
  async flush(): Promise<void> {
    if (this.#batch.length > 0) {
      this.#pending.push(this.#batch);
      this.#pendingRows += this.#batch.length;
      this.#batch = [];
    }
    while (this.#pending.length > 0) {
      const batch = this.#pending[0]!;
      try {
        await insertBookEvents(this.#o.sql, batch, { method: this.#o.method });
      } catch (err) {
        if (this.#databaseUp) {
          this.#o.log.warn("stream_write_failed", { rows: batch.length, error: String(err) });
        }
        this.#databaseUp = false;
        if (this.#pendingRows > this.#o.maxRows) await this.#spillPending();
        return;
      }
      this.#pending.shift();
      this.#pendingRows -= batch.length;
      this.stats.rowsWritten += batch.length;
      if (!this.#databaseUp) {
        this.#databaseUp = true;
        this.#o.log.info("stream_write_resumed", {});
        await this.#replaySpill();
      }
    }
  }

  #row(
    at: { conn: number; tokenId: string; ts: number; receivedAt: number },
    kind: number,
    side: 0 | 1 | null,
    price: string | null,
    size: string | null,
  ): void {
    this.#batch.push({
      session: this.session,
      seq: this.#seq++,
      conn: at.conn,
      tokenId: at.tokenId,
      kind,
      side,
      price,
      size,
      ts: at.ts,
      receivedAt: at.receivedAt,
    });
    this.stats.rowsRecorded++;
  }

  #checkpoint(at: { conn: number; tokenId: string; ts: number; receivedAt: number }): void {
    const book = this.#books.take(at.tokenId);
    if (book === undefined) return;
    this.#row(at, KIND.checkpoint, null, null, null);
    for (const [p, s] of book.bids) this.#row(at, KIND.checkpointLevel, 0, p, s);
    for (const [p, s] of book.asks) this.#row(at, KIND.checkpointLevel, 1, p, s);
    this.stats.checkpoints++;
  }

  /**
   * The stream is not recorded between the last row of the previous session and this one's
   * start (a crash or kill -9 loses what was still in memory): one `gaps` row (collector
   * "stream", scope "*", cause "downtime"), so that no reconstruction carries a book across.
   */
  async #recordDowntime(): Promise<void> {
    try {
      const sql = this.#o.sql;
      const [last] = await sql<{ at: Date }[]>`
        select received_at as at from book_events
        where session = (select max(session) from book_events where session < ${this.session})
        order by seq desc limit 1`;
      if (last === undefined) return;
      const endAt = new Date(Math.max(this.session, last.at.getTime()));
      await recordGaps(sql, [{
        collector: "stream",
        scope: "*",
        startAt: last.at,
        endAt,
        cause: "downtime",
      }]);
    } catch (err) {
      this.#o.log.warn("stream_downtime_not_recorded", { error: String(err) });
    }
  }

  async #spillPending(): Promise<void> {
    if (this.#spill === null) return;
    const batches = this.#pending;
    this.#pending = [];
    const rows = this.#pendingRows;
    this.#pendingRows = 0;
    try {
      await this.#spill.write(batches.flat());
      this.stats.rowsSpilled += rows;
    } catch (err) {
      this.#o.log.error("stream_spill_failed", { rows, error: String(err) });
      this.#pending = batches;
      this.#pendingRows = rows;
    }
  }

  async #replaySpill(): Promise<void> {
    if (this.#spill === null) return;
    try {
      await this.#spill.replay((rows) => insertBookEvents(this.#o.sql, rows, this.#o));
    } catch (err) {
      this.#o.log.warn("stream_spill_replay_failed", { error: String(err) });
    }
  }
}
