/**
 * Reads what `pmcollect edge` prices: markets and tokens, the latest stored book of each token
 * at or before an instant, and each market's taker fee schedule in force at that instant (from
 * the metadata history: fee changes are historical). Which groups are complete and which pairs
 * imply each other comes from the relation registry (`_edge_relations.ts`).
 *
 * @example
 * ```ts ignore
 * import { readMarketInputs } from "./_edge_inputs.ts";
 * const read = await readMarketInputs(db.sql, ["500001", "500002"], new Date());
 * read.inputs.get("500001")?.fee; // { rate: "0.04", exponent: 1, takerOnly: true }
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { type MarketMetadata, marketMetadataAsOf } from "../db/market_metadata.ts";
import type { BookInput, FeeSchedule, MarketInput } from "../edge/market.ts";

/** A stored market row, as completeness and the inputs read it. */
export interface MarketRow {
  market_id: string;
  event_id: string | null;
  condition_id: string | null;
  neg_risk: boolean;
  neg_risk_market_id: string | null;
  tick_size: string | null;
  min_order_size: string | null;
  end_date: Date | null;
  active: boolean | null;
  closed: boolean | null;
}

interface BookRow {
  token_id: string;
  ts: Date;
  tick_size: string | null;
  bids: { price: string; size: string }[];
  asks: { price: string; size: string }[];
}

/** The stored markets, their metadata as of the instant, and the engine's inputs. */
export interface MarketRead {
  readonly rows: readonly MarketRow[];
  /** Only markets with both tokens and a stored YES book. */
  readonly inputs: ReadonlyMap<string, MarketInput>;
  /** The metadata version in force at the instant (null: never observed by then). */
  readonly metadata: ReadonlyMap<string, MarketMetadata | null>;
  /** Oldest and newest book used, or null when none. */
  readonly booksFrom: Date | null;
  readonly booksTo: Date | null;
}

/** Reads `marketIds` (in that order) as of `at`. */
export async function readMarketInputs(
  sql: Queryable,
  marketIds: readonly string[],
  at: Date,
): Promise<MarketRead> {
  const ids = [...marketIds];
  const found = await sql<MarketRow[]>`
    select market_id, event_id, condition_id, neg_risk, neg_risk_market_id, tick_size::text,
           min_order_size::text, end_date, active, closed
    from markets where market_id = any(${ids})`;
  const byId = new Map(found.map((row) => [row.market_id, row]));
  const rows = ids.flatMap((id) => byId.get(id) ?? []);
  const tokens = await sql<{ token_id: string; market_id: string; outcome_index: number }[]>`
    select token_id, market_id, outcome_index from tokens where market_id = any(${ids})`;
  const books = await sql<BookRow[]>`
    select distinct on (token_id) token_id, ts, tick_size::text, bids, asks
    from book_snapshots
    where token_id = any(${tokens.map((t) => t.token_id)}) and ts <= ${at}
    order by token_id, ts desc`;
  const bookOf = new Map(books.map((book) => [book.token_id, book]));
  const metadata = new Map<string, MarketMetadata | null>();
  for (const row of rows) {
    metadata.set(
      row.market_id,
      (await marketMetadataAsOf(sql, row.market_id, at))?.metadata ?? null,
    );
  }
  const inputs = new Map<string, MarketInput>();
  const used: number[] = [];
  for (const row of rows) {
    const token = (index: number) =>
      tokens.find((t) => t.market_id === row.market_id && t.outcome_index === index)?.token_id;
    const [yes, no] = [token(0), token(1)];
    const yesBook = yes === undefined ? undefined : bookOf.get(yes);
    if (yes === undefined || no === undefined || yesBook === undefined) continue;
    const noBook = bookOf.get(no);
    used.push(yesBook.ts.getTime(), ...(noBook === undefined ? [] : [noBook.ts.getTime()]));
    const meta = metadata.get(row.market_id) ?? null;
    const index = meta?.questionIndex ?? null;
    inputs.set(row.market_id, {
      marketId: row.market_id,
      conditionId: row.condition_id ?? "",
      yesTokenId: yes,
      noTokenId: no,
      book: bookInput(yesBook),
      ...(noBook === undefined ? {} : { noBook: bookInput(noBook) }),
      fee: feeSchedule(meta),
      tickSize: yesBook.tick_size ?? row.tick_size ?? "",
      minOrderSize: meta?.minOrderSize ?? row.min_order_size ?? "",
      endDate: row.end_date?.toISOString() ?? null,
      ...(index === null ? {} : { questionIndex: index }),
    });
  }
  return {
    rows,
    inputs,
    metadata,
    booksFrom: used.length === 0 ? null : new Date(Math.min(...used)),
    booksTo: used.length === 0 ? null : new Date(Math.max(...used)),
  };
}

function bookInput(row: BookRow): BookInput {
  return {
    bids: row.bids.map((level) => [level.price, level.size] as const),
    asks: row.asks.map((level) => [level.price, level.size] as const),
  };
}

/**
 * The taker fee schedule a market's metadata version states (`feeSchedule` rate and exponent,
 * as of the instant read). `feesEnabled: false` without a schedule is the venue's fee-free
 * market: rate 0. Anything else without a rate (metadata never observed, fees enabled but no
 * schedule) is unknown, and no plan uses the market. Never a default rate.
 */
export function feeSchedule(meta: MarketMetadata | null): FeeSchedule | null {
  if (meta === null) return null;
  if (meta.feeRate !== null && meta.feeExponent !== null) {
    const exponent = Number(meta.feeExponent);
    return { rate: meta.feeRate, exponent, takerOnly: meta.feeTakerOnly ?? true };
  }
  if (meta.feesEnabled === false && meta.feeRate === null) {
    return { rate: "0", exponent: 1, takerOnly: true };
  }
  return null;
}
