/**
 * The books collector's rows for a simulated cycle, for the storage benches: every token's REST
 * book from the simulator, parsed and turned into rows by the collector's own code.
 */
import { type BookSnapshotRow } from "../db/books.ts";
import { toBookRow } from "../collectors/books.ts";
import { parseBook } from "../polymarket/clob_book.ts";
import type { SimMarket } from "../simulator/universe.ts";
import type { World } from "../simulator/world.ts";
import { restBook } from "../simulator/ws_messages.ts";

/** One books cycle: every token's REST book, parsed and turned into rows as the collector does. */
export function bookRows(
  world: World,
  markets: readonly SimMarket[],
  ms: number,
): BookSnapshotRow[] {
  const rows: BookSnapshotRow[] = [];
  for (const m of markets) {
    const book = world.book(m);
    for (const outcome of [0, 1] as const) {
      rows.push(toBookRow(parseBook(restBook(m, book, outcome), ms), new Date(ms)));
    }
  }
  return rows;
}
