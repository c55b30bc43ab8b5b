/**
 * Which table stores the rows of a public view? Since storage v2 (migration 0008)
 * `price_snapshots`, `book_snapshots` and `quotes` are views over `price_snapshot_data`,
 * `book_snapshot_data` and `quote_data`: one view row per stored row, the token key turned
 * back into its token id and the integer millionths into decimals. The export writes the view
 * (readable without this program); retention verifies a day against that export and frees the
 * day in the table behind it, after checking that the table holds exactly the rows the view
 * showed for that day.
 *
 * @example
 * ```ts
 * import { storedIn, viewOf } from "./view_storage.ts";
 * storedIn("quotes"); // "quote_data"
 * viewOf("quote_data"); // "quotes"
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { quoteRelation } from "./partition.ts";

/** Public view → the table that stores its rows, one stored row per view row. */
const STORED_IN: Readonly<Record<string, string>> = {
  price_snapshots: "price_snapshot_data",
  book_snapshots: "book_snapshot_data",
  quotes: "quote_data",
};

/** The table behind a public view (names without schema), or undefined. */
export function storedIn(view: string): string | undefined {
  return STORED_IN[view];
}

/** The public view that shows a storage table's rows, or undefined. */
export function viewOf(table: string): string | undefined {
  return Object.entries(STORED_IN).find(([, stored]) => stored === table)?.[0];
}

/** Rows of `table` whose `timeColumn` falls in the UTC day `day`. */
export async function rowsOfDay(
  tx: Queryable,
  table: string,
  timeColumn: string,
  day: string,
): Promise<number> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const col = quoteRelation(timeColumn);
  const [row] = await tx.unsafe<{ n: string }[]>(
    `select count(*)::text as n from ${quoteRelation(table)} where ${col} >= $1 and ${col} < $2`,
    [from, to],
  );
  return Number(row?.n ?? 0);
}

/** Why a view's day is not freed although its export verifies. */
export function storedMismatch(stored: string, held: number, view: string, shown: number): string {
  return `${stored} holds ${held} rows of the day, the view ${view} shows ${shown}: not dropped`;
}
