/**
 * The bounded write queue of the trades collector: trades, quotes and gaps are flushed in
 * batches every `flushMs` or `flushRows`, up to `writers` batches at a time (each on its own
 * pooled connection; every write is idempotent and order-free, so batches may commit in any
 * order). A batch the database refuses with a data error (`classifyDbError`: a NUL byte, a
 * numeric overflow) is bisected until the refused rows are isolated; they go to `rejects` and
 * the rest is written. Any other failed write (database unreachable, a timeout) marks the
 * database down: that batch, any other in-flight batch that fails, and everything after go to
 * the disk spill (`SpillFiles`) until a probe succeeds, then spill files are replayed and
 * removed (a damaged spill line is rejected, not retried). Memory
 * stays bounded: past `maxRows` queued rows the queue spills without waiting for a slow insert,
 * and at most `writers × flushRows` more rows are in flight. When `run`'s signal aborts it
 * waits for the in-flight batches, then flushes or spills, never drops. Spill files left by an
 * earlier process are replayed too.
 *
 * @example
 * ```ts
 * import { TradeQueue } from "./_trade_queue.ts";
 * const queue = new TradeQueue({ sql, spillDir: "./data/spill", flushMs: 500, flushRows: 5000, maxRows: 100_000, log });
 * const done = queue.run(signal);
 * queue.push({ kind: "quote", row: { ts: new Date(), tokenId: "1", bestBid: null, bestAsk: null } });
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Queryable } from "../db/client.ts";
import { classifyDbError } from "../db/error_kind.ts";
import {
  type GapRow,
  recordGaps,
  recordRejects,
  REJECT_RAW_MAX_CHARS,
  type RejectRow,
} from "../db/ops.ts";
import { insertQuotes, insertTrades } from "../db/trades.ts";
import type { Logger } from "../runtime/log.ts";
import { type QueueItem, SpillFiles } from "./_spill_file.ts";

export type { QueueItem } from "./_spill_file.ts";

/** `rejects.source` of rows the database refused and of damaged spill lines. */
const REJECT_SOURCE = "trades:queue";
/** Damaged lines of one spill file stored as rejects (the rest are counted). */
const SPILL_REJECTS_KEPT = 10;

export interface TradeQueueOptions {
  readonly sql: Queryable;
  readonly spillDir: string;
  readonly flushMs: number;
  readonly flushRows: number;
  readonly maxRows: number;
  readonly log: Logger;
  /** Batches written concurrently (default 3; keep below the database pool size). */
  readonly writers?: number;
  /** A write slower than this counts as failed and is spilled (default 10 s). */
  readonly writeTimeoutMs?: number;
  /** Pause between probes while the database is down (default 1 s). */
  readonly probeMs?: number;
}

/** Counters the collector reports. */
export interface QueueStats {
  tradesInserted: number;
  quotesInserted: number;
  spilledRows: number;
  replayedRows: number;
  writeFailures: number;
  /** Rows the database refused and spill lines that were not rows (sent to `rejects`). */
  rejectedRows: number;
}

/** Queue + flusher; call `run(signal)` once. */
export class TradeQueue {
  readonly stats: QueueStats = {
    tradesInserted: 0,
    quotesInserted: 0,
    spilledRows: 0,
    replayedRows: 0,
    writeFailures: 0,
    rejectedRows: 0,
  };
  readonly #o: TradeQueueOptions;
  readonly #spill: SpillFiles;
  #pending: QueueItem[] = [];
  #dbUp = true;
  #wake: (() => void) | null = null;
  #spillBacklogBytes = 0;

  constructor(options: TradeQueueOptions) {
    this.#o = options;
    this.#spill = new SpillFiles(options.spillDir);
  }

  /** Rows waiting in memory. */
  get depth(): number {
    return this.#pending.length;
  }

  /** Bytes in spill files not yet replayed. */
  get spillBytes(): number {
    return this.#spillBacklogBytes + this.#spill.currentBytes;
  }

  /** False while writes fail and rows go to the spill. */
  get databaseUp(): boolean {
    return this.#dbUp;
  }

  /** Queues one row. Never blocks and never drops. */
  push(item: QueueItem): void {
    this.#pending.push(item);
    if (this.#pending.length >= this.#o.maxRows) {
      void this.#toSpill(this.#pending.splice(0)).catch(() => {});
    } else if (this.#pending.length >= this.#o.flushRows) this.#wake?.();
  }

  /** Flushes until `signal` aborts, then flushes or spills what is left. */
  async run(signal: AbortSignal): Promise<void> {
    this.#spillBacklogBytes = (await this.#spill.list()).reduce((n, f) => n + f.bytes, 0);
    while (!signal.aborted) {
      await this.#sleep(this.#dbUp ? this.#o.flushMs : this.#o.probeMs ?? 1000, signal);
      await this.#cycle();
    }
    await this.#cycle(false);
    if (this.#pending.length > 0) await this.#toSpill(this.#pending.splice(0));
    await this.#spill.close();
  }

  async #cycle(replay = true): Promise<void> {
    if (!this.#dbUp) {
      if (!(await this.#probe())) {
        await this.#toSpill(this.#pending.splice(0));
        return;
      }
      this.#dbUp = true;
      await this.#rotate();
      this.#o.log.info("trades_db_back", { spillBytes: this.spillBytes });
    }
    const writers = Math.max(1, this.#o.writers ?? 3);
    await Promise.all(Array.from({ length: writers }, () => this.#drain()));
    if (!this.#dbUp || !replay) return;
    // Rows spilled while the database was up (a slow write past maxRows) are replayed too.
    if (this.#spill.currentBytes > 0) await this.#rotate();
    await this.#replay();
  }

  /** One writer: takes batches until the queue is empty or a write fails. */
  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && this.#dbUp) {
      const batch = this.#pending.splice(0, this.#o.flushRows);
      if (!(await this.#write(batch))) await this.#toSpill(batch);
    }
  }

  async #rotate(): Promise<void> {
    this.#spillBacklogBytes += this.#spill.currentBytes;
    await this.#spill.rotate();
  }

  /**
   * Writes one batch. A data error (the server refused some rows) is bisected down to the rows
   * that cannot be stored, which go to `rejects`; the rest is written. Any other failure marks
   * the database down and returns false (the caller spills the whole batch: writes are
   * idempotent, so rows already written by the bisection are harmless to write again).
   */
  async #write(batch: QueueItem[]): Promise<boolean> {
    const err = await this.#insert(batch);
    if (err === null) return true;
    return await this.#isolate(batch, err);
  }

  async #isolate(batch: QueueItem[], err: unknown): Promise<boolean> {
    if (classifyDbError(err) !== "data") {
      this.#markDown(err);
      return false;
    }
    if (batch.length === 1) {
      await this.#reject(batch[0]!, err);
      return true;
    }
    const mid = batch.length >>> 1;
    for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
      const e = await this.#insert(half);
      if (e !== null && !(await this.#isolate(half, e))) return false;
    }
    return true;
  }

  /** One insert of `batch` (trades, quotes, gaps) within the write timeout; the error or null. */
  async #insert(batch: QueueItem[]): Promise<unknown> {
    const trades = [], quotes = [], gaps = [];
    for (const i of batch) {
      if (i.kind === "trade") trades.push(i.row);
      else if (i.kind === "quote") quotes.push(i.row);
      else gaps.push(i.row);
    }
    const ms = this.#o.writeTimeoutMs ?? 10_000;
    const timeout = new AbortController();
    try {
      const write = (async () => {
        const t = trades.length > 0 ? await insertTrades(this.#o.sql, trades) : 0;
        const q = quotes.length > 0 ? await insertQuotes(this.#o.sql, quotes) : 0;
        if (gaps.length > 0) await recordGaps(this.#o.sql, gaps);
        return [t, q];
      })();
      const [t, q] = await Promise.race([
        write,
        sleep(ms, undefined, { signal: timeout.signal }).then(() => {
          throw new Error(`Cannot write trades: no answer within ${ms} ms`);
        }),
      ]);
      this.stats.tradesInserted += t;
      this.stats.quotesInserted += q;
      return null;
    } catch (err) {
      this.stats.writeFailures++;
      return err;
    } finally {
      timeout.abort();
    }
  }

  #markDown(err: unknown): void {
    if (this.#dbUp) {
      this.#o.log.warn("trades_db_down", {
        connection: classifyDbError(err) === "connection",
        error: err instanceof Error ? err.message : String(err),
      });
    }
    this.#dbUp = false;
  }

  /** Stores a row the database refused as a reject (it is never retried). */
  async #reject(item: QueueItem, err: unknown): Promise<void> {
    this.stats.rejectedRows++;
    const reason = `${item.kind} not stored: ${err instanceof Error ? err.message : String(err)}`;
    await this.#recordRejects([{
      source: REJECT_SOURCE,
      reason,
      path: item.kind,
      raw: excerpt(item),
    }]);
  }

  /** Stores rejects; losing them (database gone meanwhile) is logged, never fatal. */
  async #recordRejects(rows: RejectRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.#o.log.warn("trades_rows_rejected", { count: rows.length, first: rows[0]!.reason });
    try {
      await recordRejects(this.#o.sql, rows);
    } catch (err) {
      this.#o.log.warn("trades_rejects_not_recorded", {
        count: rows.length,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async #probe(): Promise<boolean> {
    try {
      await Promise.race([this.#o.sql`select 1`, sleep(5000).then(() => Promise.reject())]);
      return true;
    } catch {
      return false;
    }
  }

  async #replay(): Promise<void> {
    for (const file of await this.#spill.list()) {
      try {
        const bad: RejectRow[] = [];
        const r = await this.#spill.replay(file.path, {
          chunkRows: this.#o.flushRows,
          accept: async (items) => {
            if (!(await this.#write(items))) throw new Error("database down during replay");
          },
          reject: (line, reason) => {
            this.stats.rejectedRows++;
            if (bad.length < SPILL_REJECTS_KEPT) {
              bad.push({
                source: REJECT_SOURCE,
                reason: `spill line: ${reason}`,
                path: "spill",
                raw: line,
              });
            }
          },
        });
        await this.#recordRejects(bad);
        this.stats.replayedRows += r.rows;
        this.#spillBacklogBytes = Math.max(0, this.#spillBacklogBytes - file.bytes);
        this.#o.log.info("trades_spill_replayed", { file: file.path, ...r });
      } catch (err) {
        if (this.#dbUp) throw err;
        return;
      }
    }
  }

  async #toSpill(items: QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.#spill.append(items);
      this.stats.spilledRows += items.length;
    } catch (err) {
      // The rows are lost: record the loss as gaps (kept in memory until written).
      this.#o.log.error("trades_spill_failed", {
        rows: items.length,
        error: err instanceof Error ? err.message : String(err),
      });
      for (const g of spillFailureGaps(items)) this.#pending.push({ kind: "gap", row: g });
    }
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    this.#wake = () => wake.abort();
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([signal, wake.signal]) });
    } catch {
      // woken early (rows due or shutdown): both just mean "flush now"
    } finally {
      this.#wake = null;
    }
  }
}

/** The start of a refused row as JSON, short enough to store. */
function excerpt(item: QueueItem): string {
  const text = JSON.stringify(item);
  return text.length > REJECT_RAW_MAX_CHARS ? text.slice(0, REJECT_RAW_MAX_CHARS) : text;
}

/**
 * The lost trades as one "spill_failed" gap row: scope `spill`, the tokens they belong to in
 * `tokens`, spanning the first to the last lost trade (backfill refetches that span for each
 * listed token; a lost batch of 10,000 trades is one row, not one per token).
 */
export function spillFailureGaps(items: readonly QueueItem[]): GapRow[] {
  const tokens = new Set<string>();
  let start = Infinity;
  let end = -Infinity;
  for (const i of items) {
    if (i.kind !== "trade") continue;
    const t = i.row.ts.getTime();
    tokens.add(i.row.tokenId);
    start = Math.min(start, t);
    end = Math.max(end, t);
  }
  if (tokens.size === 0) return [];
  return [{
    collector: "trades",
    scope: "spill",
    startAt: new Date(start),
    endAt: new Date(end),
    cause: "spill_failed",
    tokens: [...tokens].sort(),
  }];
}
