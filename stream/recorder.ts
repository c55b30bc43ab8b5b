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
 * is in `trades`), one row per token of `market_resolved`, and one row per token of each
 * `new_market` listing: the venue broadcasts `new_market` on every connection (424 copies of
 * one listing at venue size, 31% of all rows before this was deduplicated), and the copies
 * share the market id and the venue timestamp, so only the first copy of a (market,
 * timestamp) seen in the last ten minutes is stored (`ListingCopies`, bounded memory; a
 * re-listing with a new timestamp is stored again). Every
 * `checkpointEvery` level changes of a token, once they are stored, its full book is rebuilt
 * from storage and stored as a checkpoint (`book_checkpoints`), so that a reconstruction
 * replays only from there (stream/book_at.ts). The recorder holds no book: a counter per token.
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
import {
  type BookEventRow,
  insertBookCheckpoints,
  insertBookEvents,
  KIND,
  MICRO_ONE,
  PRICE_UNIT,
  storedPrice,
  storedSize,
  type WriteMethod,
} from "../db/book_events.ts";
import { tokenKeys } from "../db/_keys.ts";
import { rebuild } from "./book_at.ts";
import type { Queryable, Sql } from "../db/client.ts";
import type { PriceLevelChange, WsMessage } from "../polymarket/ws_schema.ts";
import type { Logger } from "../runtime/log.ts";
import { recordGaps } from "../db/ops.ts";
import { StreamSpill } from "./_spill.ts";
import { ListingCopies } from "./_recent_keys.ts";
import { firstUnpackedWindow, PACK_WINDOW_MS, packWindow, windowOf } from "./packer.ts";

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
  /** Wall clock, unix ms (for segment ends; tests inject one). */
  readonly now?: () => number;
  /**
   * Store a level and its mirror on the market's other token (same message) as one row
   * (default true). Off, every level is its own row; `book_events` reads the same either way.
   */
  readonly pairs?: boolean;
  /**
   * Pack each 6-hour window of level rows `afterMs` after it ends (stream/packer.ts), at most
   * one window a minute, between flushes; absent = never (the rows stay as they are).
   */
  readonly pack?: { readonly sql: Sql; readonly afterMs: number };
}

/** Counters for the health report. */
export interface RecorderStats {
  /** Rows of `book_events` recorded (a paired row counts for its two). */
  rowsRecorded: number;
  /** Rows stored in `book_event_rows`. */
  rowsWritten: number;
  rowsSpilled: number;
  checkpoints: number;
  /** Level rows moved into packs (stream/packer.ts). */
  rowsPacked: number;
  /** The end of the last window packed (ISO), null before the first. */
  packedThrough: string | null;
}

/** Checkpoints waiting while the database is away, at most (older ones are dropped). */
const MAX_DUE = 100_000;

export class StreamRecorder {
  readonly session: number;
  readonly stats: RecorderStats = {
    rowsRecorded: 0,
    rowsWritten: 0,
    rowsSpilled: 0,
    checkpoints: 0,
    rowsPacked: 0,
    packedThrough: null,
  };
  readonly #o: Required<Omit<RecorderOptions, "spillDir" | "pack">>;
  readonly #pack: RecorderOptions["pack"];
  /** The next window to pack (unix ms), once known; lowered when older rows are written. */
  #packNext: number | null = null;
  /** The window of the oldest row written since the last packing (unix ms). */
  #packLow = Infinity;
  #packCheckedAt = -Infinity;
  readonly #spill: StreamSpill | null;
  /** Level changes of each token since its snapshot or last checkpoint (none: no snapshot). */
  readonly #changes = new Map<string, number>();
  /** Rows after which a token's checkpoint is due, once stored. */
  #due: { tokenId: string; seq: number; receivedAt: number }[] = [];
  #batch: BookEventRow[] = [];
  /** Batches a failed flush left behind, oldest first. */
  #pending: BookEventRow[][] = [];
  #pendingRows = 0;
  #seq = 0;
  #wake: (() => void) | null = null;
  #databaseUp = true;
  /** `new_market` broadcasts already stored, by market and venue timestamp. */
  readonly #listings = new ListingCopies();

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
      now: options.now ?? Date.now,
      pairs: options.pairs ?? true,
    };
    this.#spill = options.spillDir === null ? null : new StreamSpill(options.spillDir);
    this.#pack = options.pack;
  }

  /** Rows waiting to be written (batch plus held batches). */
  get depth(): number {
    return this.#batch.length + this.#pendingRows;
  }

  get databaseUp(): boolean {
    return this.#databaseUp;
  }

  /** Tokens with a level-change counter (those with a snapshot this session). */
  get tokensCounted(): number {
    return this.#changes.size;
  }

  /** Appends the rows of one frame's messages; cheap, never throws. */
  record(messages: readonly WsMessage[], conn: number): void {
    for (const m of messages) {
      switch (m.kind) {
        case "book": {
          const b = m.book;
          const at = { conn, tokenId: b.tokenId, ts: b.timestamp, receivedAt: b.receivedAt };
          this.#row(at, KIND.book, null, b.tickSize, null);
          for (const l of b.bids) this.#row(at, KIND.bookLevel, 0, l.price, l.size);
          for (const l of b.asks) this.#row(at, KIND.bookLevel, 1, l.price, l.size);
          this.#changes.set(b.tokenId, 0);
          break;
        }
        case "price_change": {
          const changes = m.changes;
          for (let i = 0; i < changes.length; i++) {
            const c = changes[i]!;
            const side = c.side === "BUY" ? 0 : 1;
            const at = { conn, tokenId: c.tokenId, ts: m.timestamp, receivedAt: m.receivedAt };
            const next = changes[i + 1];
            if (this.#o.pairs && next !== undefined && isMirror(c, next)) {
              this.#row(at, KIND.pairedChange, side, c.price, c.size, next.tokenId);
              this.#counted(c.tokenId, this.#seq - 1, at.receivedAt);
              this.#seq++; // the mirror's row: `book_events` gives it back from this one
              this.stats.rowsRecorded++;
              this.#counted(next.tokenId, this.#seq - 1, at.receivedAt);
              i++;
              continue;
            }
            this.#row(at, KIND.priceChange, side, c.price, c.size);
            this.#counted(c.tokenId, this.#seq - 1, at.receivedAt);
          }
          break;
        }
        case "tick_size_change":
          this.#row(
            { conn, tokenId: m.tokenId, ts: m.timestamp, receivedAt: m.receivedAt },
            KIND.tickSizeChange,
            null,
            m.newTickSize,
            null,
          );
          this.#changes.delete(m.tokenId);
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
          // One row per listing: the other connections' copies share its key.
          if (!this.#listings.first(m)) break;
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

  /**
   * The tokens are no longer subscribed on this process: their segments end here (a row of
   * kind `segmentEnd` each), so that no reconstruction carries their last book forward.
   */
  forget(tokenIds: readonly string[]): void {
    const at = this.#o.now();
    for (const tokenId of tokenIds) {
      if (!this.#changes.delete(tokenId)) continue;
      this.#row({ conn: -1, tokenId, ts: at, receivedAt: at }, KIND.segmentEnd, null, null, null);
    }
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
      if (this.#databaseUp) await this.#packDue();
    }
    // A clean stop ends every open segment (a crash leaves that to the next session's downtime gap).
    this.forget([...this.#changes.keys()]);
    await this.flush();
    if (this.#pendingRows > 0) await this.#spillPending();
    await downtime;
  }

  /**
   * Writes the batch and anything held; on a database error holds (or spills) them. Then the
   * checkpoints that were due when it began: their rows are in what it wrote. Rows recorded
   * while it writes go to the next batch, so a checkpoint they make due waits for the next flush
   * (built now, it would miss those rows and stand after them, and every book rebuilt from it
   * would lack them until the token's next snapshot).
   */
  async flush(): Promise<void> {
    if (this.#due.length > MAX_DUE) this.#due = this.#due.slice(-MAX_DUE);
    const due = this.#due.length;
    if (this.#batch.length > 0) {
      this.#pending.push(this.#batch);
      this.#pendingRows += this.#batch.length;
      this.#batch = [];
    }
    while (this.#pending.length > 0) {
      const batch = this.#pending[0]!;
      try {
        await this.#write(batch);
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
    await this.#writeCheckpoints(due);
  }

  /** Counts one level change of `tokenId` (row `seq`); a checkpoint is due every so many. */
  #counted(tokenId: string, seq: number, receivedAt: number): void {
    const n = this.#changes.get(tokenId);
    if (n === undefined) return;
    if (n + 1 < this.#o.checkpointEvery) this.#changes.set(tokenId, n + 1);
    else {
      this.#changes.set(tokenId, 0);
      this.#due.push({ tokenId, seq, receivedAt });
    }
  }

  #row(
    at: { conn: number; tokenId: string; ts: number; receivedAt: number },
    kind: number,
    side: 0 | 1 | null,
    price: string | null,
    size: string | null,
    mirrorTokenId: string | null = null,
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
      mirrorTokenId,
    });
    this.stats.rowsRecorded++;
  }

  /** Rebuilds and stores the first `count` due checkpoints (their rows are stored by now). */
  async #writeCheckpoints(count: number): Promise<void> {
    const due = this.#due.splice(0, count);
    if (due.length === 0) return;
    try {
      const keys = await tokenKeys(this.#o.sql, due.map((d) => d.tokenId));
      for (let i = 0; i < due.length; i++) {
        const d = due[i]!;
        const r = await rebuild(this.#o.sql, keys[i]!, {
          at: new Date(d.receivedAt),
          upTo: { session: this.session, seq: d.seq },
        });
        if (!r.covered) continue;
        await insertBookCheckpoints(this.#o.sql, [{
          tokenKey: keys[i]!,
          session: this.session,
          seq: d.seq,
          receivedAt: new Date(d.receivedAt),
          since: r.since,
          bids: r.book.bids,
          asks: r.book.asks,
        }]);
        this.stats.checkpoints++;
      }
    } catch (err) {
      this.#o.log.warn("stream_checkpoints_failed", { count: due.length, error: String(err) });
    }
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
        select received_at as at from book_event_rows
        where session = (select max(session) from book_event_rows where session < ${this.session})
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

  /** Stores rows; rows of a window already packed have that window packed again. */
  async #write(rows: readonly BookEventRow[]): Promise<void> {
    await insertBookEvents(this.#o.sql, rows, { method: this.#o.method });
    const first = rows[0];
    if (first !== undefined) {
      this.#packLow = Math.min(this.#packLow, windowOf(first.receivedAt).getTime());
    }
  }

  /** Packs the next closed window when it is due (stream/packer.ts); a failure is retried later. */
  async #packDue(): Promise<void> {
    const pack = this.#pack;
    const now = this.#o.now();
    if (pack === undefined || now - this.#packCheckedAt < 60_000) return;
    this.#packCheckedAt = now;
    try {
      this.#packNext ??= (await firstUnpackedWindow(pack.sql, now)).getTime();
      this.#packNext = Math.min(this.#packNext, this.#packLow);
      this.#packLow = Infinity;
      const window = this.#packNext;
      if (window + PACK_WINDOW_MS + pack.afterMs > now) return;
      const started = performance.now();
      const r = await packWindow(pack.sql, new Date(window));
      this.#packNext = Math.max(this.#packNext, window + PACK_WINDOW_MS);
      this.stats.rowsPacked += r.rows;
      this.stats.packedThrough = new Date(window + PACK_WINDOW_MS).toISOString();
      this.#o.log.info("stream_window_packed", {
        from: new Date(window).toISOString(),
        rows: r.rows,
        packs: r.packs,
        ms: Math.round(performance.now() - started),
      });
    } catch (err) {
      this.#o.log.warn("stream_pack_failed", { error: String(err) });
    }
  }

  async #replaySpill(): Promise<void> {
    if (this.#spill === null) return;
    try {
      await this.#spill.replay((rows) => this.#write(rows));
    } catch (err) {
      this.#o.log.warn("stream_spill_replay_failed", { error: String(err) });
    }
  }
}

/**
 * True when `b` is the mirror of `a` on the market's other token: the other side, price
 * 1 − p, the same size, and both stored exactly in the integer columns (so that the mirror
 * rebuilt from `a`'s row is exactly the row `b` would have been).
 */
function isMirror(a: PriceLevelChange, b: PriceLevelChange): boolean {
  if (a.tokenId === b.tokenId || a.side === b.side || a.size !== b.size) return false;
  const pa = storedPrice(a.price);
  const pb = storedPrice(b.price);
  return pa !== null && pb !== null && pa + pb === MICRO_ONE / PRICE_UNIT &&
    storedSize(a.size) !== null;
}
