/**
 * What the ledger holds, for people (`pmcollect orders`, `pmcollect positions`): the orders
 * with their fills, and each position marked at the current best bid. The best bid comes from
 * the recorded stream's latest book of the token (stream/book_at.ts, the same book `pmcollect
 * book` prints), else from the newest stored quote (`quotes`, the collector's best bid/ask),
 * else there is none and the position is unmarked. `markSource` says which.
 *
 * P&L per token, fees apart then in: unrealized = size × best bid − cost basis; total =
 * realized + unrealized − fees.
 *
 * @example
 * ```ts ignore
 * import { listLedgerOrders, listPositions } from "./ledger_report.ts";
 * const open = await listLedgerOrders(sql, { openOnly: true });
 * const held = await listPositions(sql);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { formatDec, mulDec, parseDec } from "../edge/decimal.ts";
import { bookAt } from "../stream/book_at.ts";

export interface LedgerOrder {
  readonly orderId: string | null;
  readonly clientOrderId: string;
  readonly tokenId: string;
  readonly side: string;
  readonly orderType: string;
  readonly price: string;
  readonly size: string;
  /** Broker status, or the intent's state when the broker never acknowledged it. */
  readonly status: string;
  readonly sizeMatched: string;
  /** Sum of the booked fills. */
  readonly filled: string;
  readonly fees: string;
  readonly createdAt: string;
  readonly error: string | null;
}

/**
 * Every intent with its order, newest first; `openOnly` keeps LIVE orders and intents whose
 * outcome is unknown (pending).
 */
export async function listLedgerOrders(
  sql: Queryable,
  options: { readonly openOnly?: boolean } = {},
): Promise<LedgerOrder[]> {
  const openOnly = options.openOnly === true;
  const rows = await sql<Record<string, string | null>[]>`
    select o.order_id, i.client_order_id, i.token_id, i.side, i.order_type, i.price::text,
      i.size::text, coalesce(o.status, upper(i.state)) as status,
      coalesce(o.size_matched, 0)::text as size_matched,
      coalesce(f.filled, 0)::text as filled, coalesce(f.fees, 0)::text as fees,
      to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
      i.error
    from intents i
    left join orders o using (client_order_id)
    left join (select order_id, sum(size) as filled, sum(fee) as fees from fills group by order_id) f
      on f.order_id = o.order_id
    where not ${openOnly} or o.status = 'LIVE' or (o.order_id is null and i.state = 'pending')
    order by i.created_at desc, i.client_order_id`;
  return rows.map((r) => ({
    orderId: r.order_id,
    clientOrderId: r.client_order_id!,
    tokenId: r.token_id!,
    side: r.side!,
    orderType: r.order_type!,
    price: canonical(r.price!),
    size: canonical(r.size!),
    status: r.status!,
    sizeMatched: canonical(r.size_matched!),
    filled: canonical(r.filled!),
    fees: canonical(r.fees!),
    createdAt: r.created_at!,
    error: r.error,
  }));
}

export interface MarkedPosition {
  readonly tokenId: string;
  readonly size: string;
  readonly cost: string;
  readonly realized: string;
  readonly fees: string;
  readonly bestBid: string | null;
  readonly markSource: "stream" | "quote" | null;
  /** size × best bid − cost; null without a best bid. */
  readonly unrealized: string | null;
  /** realized + unrealized − fees; null without a best bid. */
  readonly pnl: string | null;
}

export interface PositionsReport {
  readonly positions: readonly MarkedPosition[];
  /** Sum of `cash`: deposits, fills, fees, conversions. */
  readonly cash: string;
}

/** Every token ever held (flat ones too, for their realized P&L), marked at the best bid. */
export async function listPositions(sql: Queryable): Promise<PositionsReport> {
  const rows = await sql<
    { token_id: string; size: string; cost: string; realized: string; fees: string }[]
  >`
    select token_id, size::text, cost::text, realized::text, fees::text
    from positions order by token_id`;
  const positions: MarkedPosition[] = [];
  for (const r of rows) {
    const mark = parseDec(r.size) === 0n ? null : await bestBidOf(sql, r.token_id);
    const unrealized = mark === null
      ? (parseDec(r.size) === 0n ? -parseDec(r.cost) : null)
      : mulDec(parseDec(r.size), parseDec(mark.price)) - parseDec(r.cost);
    positions.push({
      tokenId: r.token_id,
      size: canonical(r.size),
      cost: canonical(r.cost),
      realized: canonical(r.realized),
      fees: canonical(r.fees),
      bestBid: mark?.price ?? null,
      markSource: mark?.source ?? null,
      unrealized: unrealized === null ? null : formatDec(unrealized),
      pnl: unrealized === null
        ? null
        : formatDec(parseDec(r.realized) + unrealized - parseDec(r.fees)),
    });
  }
  const [cash] = await sql<{ balance: string }[]>`
    select coalesce(sum(amount), 0)::text as balance from cash`;
  return { positions, cash: canonical(cash!.balance) };
}

/** The token's best bid: the recorded stream's latest book, else the newest stored quote. */
async function bestBidOf(
  sql: Queryable,
  tokenId: string,
): Promise<{ price: string; source: "stream" | "quote" } | null> {
  const book = await bookAt(sql, tokenId);
  if (book.covered && book.book.bids[0] !== undefined) {
    return { price: book.book.bids[0][0], source: "stream" };
  }
  const [quote] = await sql<{ best_bid: string }[]>`
    select best_bid::text from quotes
    where token_id = ${tokenId} and best_bid is not null
    order by ts desc limit 1`;
  return quote === undefined ? null : { price: canonical(quote.best_bid), source: "quote" };
}

/** "5.20000000" → "5.2". */
function canonical(text: string): string {
  return formatDec(parseDec(text));
}
