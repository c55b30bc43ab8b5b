/**
 * Reads what `pmcollect edge` prices: an event's markets and tokens, the latest stored book of
 * each token (at or before an instant), and each market's taker fee schedule. Decides, being
 * conservative, whether the event's neg-risk group is complete.
 *
 * @example
 * ```ts
 * import { readEdgeInputs } from "./_edge_inputs.ts";
 * const inputs = await readEdgeInputs(db.sql, { eventId: "903193", at: new Date(), convertFeeBips: 0 });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { BookInput, FeeSchedule, MarketInput, NegRiskGroupInput } from "../edge/market.ts";

interface MarketRow {
  market_id: string;
  condition_id: string | null;
  question_id: string | null;
  question: string | null;
  group_item_title: string | null;
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

export interface EdgeInputs {
  readonly found: boolean;
  readonly markets: readonly MarketInput[];
  readonly group: NegRiskGroupInput | null;
  /** Oldest and newest book used, or null when none. */
  readonly booksFrom: Date | null;
  readonly booksTo: Date | null;
}

/** Unnamed outcomes of augmented groups, waiting to be clarified into names. */
const PLACEHOLDER = /placeholder|^(person|player|team|candidate|option|outcome)\s*[a-z0-9]{0,3}$/i;

export async function readEdgeInputs(
  sql: Queryable,
  query: { readonly eventId: string; readonly at: Date; readonly convertFeeBips: number | null },
): Promise<EdgeInputs> {
  const [event] = await sql<{ neg_risk: boolean; neg_risk_market_id: string | null }[]>`
    select neg_risk, neg_risk_market_id from events where event_id = ${query.eventId}`;
  const rows = await sql<MarketRow[]>`
    select market_id, condition_id, question_id, question, group_item_title, neg_risk,
           neg_risk_market_id, tick_size::text, min_order_size::text, end_date, active, closed
    from markets where event_id = ${query.eventId} order by market_id`;
  if (event === undefined && rows.length === 0) {
    return { found: false, markets: [], group: null, booksFrom: null, booksTo: null };
  }
  const ids = rows.map((row) => row.market_id);
  const tokens = await sql<{ token_id: string; market_id: string; outcome_index: number }[]>`
    select token_id, market_id, outcome_index from tokens where market_id = any(${ids})`;
  const books = await sql<BookRow[]>`
    select distinct on (token_id) token_id, ts, tick_size::text, bids, asks
    from book_snapshots
    where token_id = any(${tokens.map((t) => t.token_id)}) and ts <= ${query.at}
    order by token_id, ts desc`;
  const bookOf = new Map(books.map((book) => [book.token_id, book]));
  const fees = await readFeeSchedules(sql, ids);
  const markets: MarketInput[] = [];
  const usable = new Set<string>();
  for (const row of rows) {
    const token = (index: number) =>
      tokens.find((t) => t.market_id === row.market_id && t.outcome_index === index)?.token_id;
    const [yes, no] = [token(0), token(1)];
    const yesBook = yes === undefined ? undefined : bookOf.get(yes);
    if (yes === undefined || no === undefined || yesBook === undefined) continue;
    const noBook = bookOf.get(no);
    const index = questionIndex(row.question_id);
    markets.push({
      marketId: row.market_id,
      conditionId: row.condition_id ?? "",
      yesTokenId: yes,
      noTokenId: no,
      book: bookInput(yesBook),
      ...(noBook === undefined ? {} : { noBook: bookInput(noBook) }),
      fee: fees.get(row.market_id) ?? null,
      tickSize: yesBook.tick_size ?? row.tick_size ?? "",
      minOrderSize: row.min_order_size ?? "",
      endDate: row.end_date?.toISOString() ?? null,
      ...(index === undefined ? {} : { questionIndex: index }),
    });
    usable.add(row.market_id);
  }
  const used = books.map((book) => book.ts.getTime());
  const negRisk = event?.neg_risk === true && event.neg_risk_market_id !== null;
  return {
    found: true,
    markets,
    group: negRisk
      ? {
        groupId: event.neg_risk_market_id!,
        complete: isComplete(rows, usable, event.neg_risk_market_id!),
        convertFeeBips: query.convertFeeBips,
        markets,
      }
      : null,
    booksFrom: used.length === 0 ? null : new Date(Math.min(...used)),
    booksTo: used.length === 0 ? null : new Date(Math.max(...used)),
  };
}

/**
 * Complete only if every market of the event is in the group, open, not a placeholder, has a
 * stored book, and the question indices are exactly 0…n−1 (no question missing from storage).
 */
function isComplete(rows: readonly MarketRow[], usable: Set<string>, groupId: string): boolean {
  const indices = rows.map((row) => questionIndex(row.question_id));
  return rows.length >= 2 &&
    rows.every((row) =>
      row.neg_risk && row.neg_risk_market_id === groupId && row.active === true &&
      row.closed !== true && usable.has(row.market_id) &&
      !PLACEHOLDER.test((row.group_item_title ?? "").trim()) &&
      !PLACEHOLDER.test((row.question ?? "").trim())
    ) &&
    indices.every((i) => i !== undefined) &&
    new Set(indices).size === rows.length &&
    indices.every((i) => i! < rows.length);
}

/** The adapter's question index: the low byte of the questionID. */
function questionIndex(questionId: string | null): number | undefined {
  if (questionId === null || !/^0x[0-9a-fA-F]{64}$/.test(questionId)) return undefined;
  return parseInt(questionId.slice(-2), 16);
}

function bookInput(row: BookRow): BookInput {
  return {
    bids: row.bids.map((level) => [level.price, level.size] as const),
    asks: row.asks.map((level) => [level.price, level.size] as const),
  };
}

/**
 * Each market's taker fee schedule, from the `markets` fee columns (`fee_rate`, `fee_exponent`,
 * `fee_taker_only`) once a migration adds them. A market without a rate, or a schema without
 * the columns, gets no entry: fee unknown, so no plan uses it. Never a default rate.
 */
export async function readFeeSchedules(
  sql: Queryable,
  marketIds: readonly string[],
): Promise<Map<string, FeeSchedule>> {
  const columns = await sql<{ column_name: string }[]>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = 'markets'
      and column_name in ('fee_rate', 'fee_exponent', 'fee_taker_only')`;
  const have = new Set(columns.map((c) => c.column_name));
  if (!have.has("fee_rate") || !have.has("fee_exponent")) return new Map();
  const rows = await sql<{ market_id: string; rate: string | null; exponent: string | null }[]>`
    select market_id, fee_rate::text as rate, fee_exponent::text as exponent
    from markets where market_id = any(${marketIds as string[]})`;
  const out = new Map<string, FeeSchedule>();
  for (const row of rows) {
    if (row.rate === null || row.exponent === null) continue;
    out.set(row.market_id, { rate: row.rate, exponent: Number(row.exponent), takerOnly: true });
  }
  return out;
}
