/**
 * The books collector: every `collectors.books.intervalMs` it snapshots the order book of every
 * active token (the set the markets collector publishes) with CLOB `POST /books` in chunks of
 * `books.chunkSize`, a few requests in flight within the shared rate budget; the tokens listed
 * in `books.fastTokens` are snapshotted separately every `books.fastIntervalMs` (task
 * "books:fast"). Rows keep the full levels best first plus top of book and side totals. A chunk
 * that fails, or tokens the venue has no book for, become one `gaps` row per cycle and cause
 * (scope `cycle:<task>`, the tokens in `gaps.tokens`) and the cycle goes on.
 *
 * @example
 * ```ts ignore
 * import { runBooksCollector } from "./books.ts";
 * await runBooksCollector(deps, controller.signal); // until the signal aborts
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { Book } from "../polymarket/clob_book.ts";
import type { TokenId } from "../polymarket/ids.ts";
import { fetchBooks } from "../polymarket/clob.ts";
import { type BookSnapshotRow, insertBookSnapshots } from "../db/books.ts";
import { type GapRow, recordGaps } from "../db/ops.ts";
import { createCycleRunner, type CycleResult, describeFailure, storeRejects } from "./_cycle.ts";
import { runOnSchedule } from "./_schedule.ts";
import { chunk } from "./_universe.ts";

/**
 * `POST /books` requests in flight at once. The rate budget (250 per 10 s at the default
 * fraction) is reached with a few on loopback or from Frankfurt; more only hold more JSON.
 */
const IN_FLIGHT = 4;
/**
 * Rows buffered before a write, to bound memory on a 100,000-token universe. Each row holds its
 * levels, twice while the insert serialises them; V8 sizes the heap from that peak, and the
 * process keeps the RSS it reaches (500 rows: 5 inserts a second at the full rate budget).
 */
const FLUSH_ROWS = 500;

/** Runs the books collector until `signal` aborts; rethrows `signal.reason`. */
export async function runBooksCollector(deps: CollectorDeps, signal: AbortSignal): Promise<void> {
  const cfg = deps.config.collectors.books;
  await deps.activeTokens.whenReady(signal);
  const fast = new Set(cfg.fastTokens);
  const child = new AbortController();
  const both = AbortSignal.any([signal, child.signal]);
  const schedule = (task: string, intervalMs: number, tokens: () => string[]) => {
    const cycles = createCycleRunner(deps, { task });
    return runOnSchedule({
      task,
      intervalMs,
      now: deps.now,
      log: deps.log,
      immediate: true,
      // Low disk (runtime/shed.ts): only every 4th slot is snapshotted.
      cycle: (slot, s) =>
        deps.shed?.keepBookSlot(slot, intervalMs) === false
          ? Promise.resolve()
          : cycles.run(slot, s, () => snapshotBooks(deps, { task, slot, intervalMs }, tokens(), s)),
    }, both).catch((err) => {
      child.abort(err);
      throw err;
    });
  };
  const runs = [
    schedule(
      "books",
      cfg.intervalMs,
      () => [...deps.activeTokens.current().keys()].filter((t) => !fast.has(t)),
    ),
  ];
  if (fast.size > 0) runs.push(schedule("books:fast", cfg.fastIntervalMs, () => [...fast]));
  const settled = await Promise.allSettled(runs);
  if (signal.aborted) throw signal.reason;
  const failed = settled.find((s) => s.status === "rejected");
  throw failed?.reason ?? new Error("books schedules stopped");
}

/** One cycle of one books schedule. */
interface BooksCycle {
  task: string;
  slot: Date;
  intervalMs: number;
}

/** Snapshots `tokens` in chunks; failed chunks and missing books become the cycle's gaps. */
async function snapshotBooks(
  deps: CollectorDeps,
  cycle: BooksCycle,
  tokens: readonly string[],
  signal: AbortSignal,
): Promise<CycleResult> {
  const { slot } = cycle;
  const queue = chunk(tokens, deps.config.collectors.books.chunkSize);
  let buffer: BookSnapshotRow[] = [];
  const totals = { rows: 0, rejects: 0, errors: 0, missing: 0 };
  const flush = async () => {
    const rows = buffer;
    buffer = [];
    totals.rows += await insertBookSnapshots(deps.sql, rows);
  };
  const worker = async () => {
    for (let ids = queue.shift(); ids !== undefined; ids = queue.shift()) {
      try {
        const batch = await fetchBooks(deps.http, ids as TokenId[], { signal, now: deps.now });
        totals.rejects += await storeRejects(deps, "clob:/books", batch.rejects);
        const got = new Set<string>();
        for (const book of batch.items) {
          got.add(book.tokenId);
          buffer.push(toBookRow(book, slot));
        }
        const missing = ids.filter((id) => !got.has(id));
        totals.missing += missing.length;
        if (batch.rejects.length === 0 && missing.length > 0) {
          await recordGaps(deps.sql, [gapRow(cycle, missing, "no_book")]);
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        totals.errors++;
        const cause = describeFailure(err);
        deps.log.warn("books_chunk_failed", { tokens: ids.length, cause, error: err });
        await recordGaps(deps.sql, [gapRow(cycle, ids, cause)]);
      }
      if (buffer.length >= FLUSH_ROWS) await flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, queue.length) }, worker));
  await flush();
  const status = totals.errors > 0 && totals.rows === 0 && tokens.length > 0 ? "failed" : undefined;
  return {
    rows: totals.rows,
    rejects: totals.rejects,
    errors: totals.errors,
    ...(status === undefined ? {} : { status }),
    detail: { tokens: tokens.length, missing: totals.missing },
  };
}

/**
 * The cycle's gap row for `cause`: every chunk's row has the same key, so the upsert unions
 * their tokens into one row per cycle and cause (a full-universe outage is one row, not
 * 100,000).
 */
function gapRow(cycle: BooksCycle, ids: readonly string[], cause: string): GapRow {
  return {
    collector: "books",
    scope: `cycle:${cycle.task}`,
    startAt: cycle.slot,
    endAt: new Date(cycle.slot.getTime() + cycle.intervalMs),
    cause,
    tokens: [...ids].sort(),
  };
}

/**
 * One `book_snapshots` row: the levels best first (as the Book type keeps them) and the top of
 * book, mid, spread and side totals computed from them.
 *
 * @example
 * ```ts ignore
 * const row = toBookRow(book, new Date("2026-11-25T10:05:00Z"));
 * row.bestBid === row.bids[0]?.price; // true
 * ```
 */
export function toBookRow(book: Book, ts: Date): BookSnapshotRow {
  return {
    ts,
    tokenId: book.tokenId,
    conditionId: book.market,
    exchangeTs: Number.isFinite(book.timestamp) ? new Date(book.timestamp) : null,
    bestBid: book.bestBid,
    bestAsk: book.bestAsk,
    mid: book.mid,
    spread: book.spread,
    bidSize: book.bidSizeTotal,
    askSize: book.askSizeTotal,
    tickSize: book.tickSize,
    hash: book.hash,
    bids: book.bids,
    asks: book.asks,
  };
}
