/**
 * Heap of full books held in memory (the scanner's `L2Books`), per 1,000 tokens: every token of
 * a simulated universe gets its `book`, then the heap is measured after a full collection, with
 * only the books left alive. Also the heap of what the recorder keeps per token instead (one
 * level-change counter in a map keyed by the 77-digit token id), for 100,000 tokens. Run in its
 * own process with `--expose-gc` by the stream bench (`booksHeld`); prints one JSON object.
 *
 * @example
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/_books_memory.ts 4000
 * ```
 */
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { printText } from "../runtime/log.ts";
import { createUniverse } from "../simulator/universe.ts";
import { World } from "../simulator/world.ts";
import { wsBook } from "../simulator/ws_messages.ts";
import { bookEventsOf } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";

/** Books of `tokens` tokens: how many, their mean levels, and the heap they hold. */
export interface BooksMemory {
  readonly tokens: number;
  readonly levels: number;
  readonly bytes: number;
  /** Growth of the process's RSS over the same span (the heap pages V8 took for them). */
  readonly rssBytes: number;
  /** Heap of the recorder's per-token counters, per 1,000 tokens. */
  readonly counterBytesPerThousand: number;
}

/** The heap of a map of 100,000 token ids to a counter, as the recorder keeps (per 1,000). */
function countersHeld(gc: () => void): number {
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const counters = new Map<string, number>();
  for (let k = 0; k < 100_000; k++) counters.set(`${7e75 + k * 1e60}`.padEnd(77, "7"), k);
  gc();
  const bytes = Deno.memoryUsage().heapUsed - before;
  if (counters.size !== 100_000) throw new Error("token ids collided");
  return (bytes / counters.size) * 1000;
}

function measure(tokens: number): BooksMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const start = Date.UTC(2026, 10, 29);
  const universe = createUniverse({ markets: tokens / 2, seed: 15, now: start });
  const world = new World(universe, { seed: 15, now: () => start, tradeCapacity: 1 });
  // One frame per market, as the venue sends them (a frame has a size cap).
  let texts: string[] | null = universe.markets.filter((m) => m.status === "open").map((m) =>
    JSON.stringify(([0, 1] as const).map((o) => wsBook(m, world.book(m), o)))
  );
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const rssBefore = Deno.memoryUsage().rss;
  let seq = 0;
  const books = new L2Books();
  let levels = 0;
  for (const text of texts) {
    const messages = parseWsFrame(text, start).messages;
    for (const e of bookEventsOf(messages, { connection: 0, nextSequence: () => seq++ })) {
      if (e.kind !== "book") continue;
      books.apply(e);
      levels += e.bids.length + e.asks.length;
    }
  }
  texts = null;
  gc();
  const bytes = Deno.memoryUsage().heapUsed - before;
  const rssBytes = Deno.memoryUsage().rss - rssBefore;
  // Read after the measurement, so the books are alive through it.
  const held = books.stats.snapshots;
  if (held === 0) throw new Error("no book was held");
  return {
    tokens: held,
    levels: levels / held,
    bytes,
    rssBytes,
    counterBytesPerThousand: countersHeld(gc),
  };
}

if (import.meta.main) {
  printText("stdout", JSON.stringify(measure(Number(Deno.args[0] ?? 4000))));
}
