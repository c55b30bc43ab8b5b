/**
 * Reads what `pmcollect edge` prices, from the one answer to "can this be traded at instant t,
 * and on which book?" (`tradability/at.ts`): markets and tokens, each token's book at the
 * instant (the recorded stream's, or a labelled REST snapshot within its age bound), and each
 * market's taker fee schedule in force at that instant. Only a market that is open at the
 * instant and has a YES book becomes an engine input. Which groups are complete and which pairs
 * imply each other comes from the relation registry (`_edge_relations.ts`).
 *
 * @example
 * ```ts ignore
 * import { readMarketInputs } from "./_edge_inputs.ts";
 * const read = await readMarketInputs(db.sql, ["500001", "500002"], { at: new Date(), maxRestAgeMs: 360_000 });
 * read.inputs.get("500001")?.fee; // { rate: "0.04", exponent: 1, takerOnly: true }
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { MarketMetadata } from "../db/market_metadata.ts";
import type { MarketInput } from "../edge/market.ts";
import {
  type BookSource,
  type MarketTradability,
  tradabilityAt,
  type TradabilityOptions,
} from "../tradability/at.ts";

/** A stored market row, as completeness and the inputs read it. */
export interface MarketRow {
  market_id: string;
  neg_risk: boolean;
  neg_risk_market_id: string | null;
}

/** The stored markets, their state at the instant, and the engine's inputs. */
export interface MarketRead {
  readonly rows: readonly MarketRow[];
  /** Each market at the instant: open or why not, books and where they came from. */
  readonly states: ReadonlyMap<string, MarketTradability>;
  /** Only open markets with both tokens and a YES book. */
  readonly inputs: ReadonlyMap<string, MarketInput>;
  /** The metadata version in force at the instant (null: never observed by then). */
  readonly metadata: ReadonlyMap<string, MarketMetadata | null>;
  /** The books used, with their sources. */
  readonly books: readonly BookSource[];
  /** Oldest and newest book instant used (stream: segment start; REST: taken), or null. */
  readonly booksFrom: Date | null;
  readonly booksTo: Date | null;
}

/** Reads `marketIds` (in that order) as of `options.at`. */
export async function readMarketInputs(
  sql: Queryable,
  marketIds: readonly string[],
  options: TradabilityOptions,
): Promise<MarketRead> {
  const ids = [...marketIds];
  const found = await sql<MarketRow[]>`
    select market_id, neg_risk, neg_risk_market_id from markets where market_id = any(${ids})`;
  const byId = new Map(found.map((row) => [row.market_id, row]));
  const rows = ids.flatMap((id) => byId.get(id) ?? []);
  const states = await tradabilityAt(sql, ids, options);
  const metadata = new Map<string, MarketMetadata | null>();
  const inputs = new Map<string, MarketInput>();
  const books: BookSource[] = [];
  for (const row of rows) {
    const state = states.get(row.market_id)!;
    metadata.set(row.market_id, state.metadata);
    const input = marketInput(state);
    if (input === null) continue;
    inputs.set(row.market_id, input);
    books.push(state.yes!, ...(state.no?.book == null ? [] : [state.no]));
  }
  const used = books.flatMap((b) => b.since === null ? [] : [b.since.getTime()]);
  return {
    rows,
    states,
    inputs,
    metadata,
    books,
    booksFrom: used.length === 0 ? null : new Date(Math.min(...used)),
    booksTo: used.length === 0 ? null : new Date(Math.max(...used)),
  };
}

/** The engine's input for an open market with both tokens and a YES book; else null. */
function marketInput(state: MarketTradability): MarketInput | null {
  const { yes, no } = state;
  if (!state.open || state.yesTokenId === null || state.noTokenId === null) return null;
  if (yes?.book == null) return null;
  const index = state.metadata?.questionIndex ?? null;
  return {
    marketId: state.marketId,
    conditionId: state.conditionId ?? "",
    yesTokenId: state.yesTokenId,
    noTokenId: state.noTokenId,
    book: yes.book,
    ...(no?.book == null ? {} : { noBook: no.book }),
    fee: state.fee,
    tickSize: state.tickSize,
    minOrderSize: state.minOrderSize,
    endDate: state.endDate?.toISOString() ?? null,
    ...(index === null ? {} : { questionIndex: index }),
  };
}

/** Why a market has no engine input at the instant, or null when it has one. */
export function whyNoInput(read: MarketRead, marketId: string): string | null {
  if (read.inputs.has(marketId)) return null;
  const state = read.states.get(marketId);
  if (state === undefined) return `market ${marketId} is unknown`;
  if (!state.open) return `market ${marketId} is not open (${state.reason})`;
  if (state.yesTokenId === null || state.noTokenId === null) {
    return `market ${marketId} has no tokens stored`;
  }
  return `no book for market ${marketId}: ${state.yes?.reason ?? "none"}`;
}
