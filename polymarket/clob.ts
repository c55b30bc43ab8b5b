/**
 * CLOB public reads: books (POST /books), one book, a market by condition id, price history.
 *
 * @example
 * ```ts ignore
 * import { fetchBooks } from "./clob.ts";
 * const { items, rejects } = await fetchBooks(http, tokenIds, { signal });
 * ```
 */
import type { HttpClient } from "./http.ts";
import type { ConditionId, TokenId } from "./ids.ts";
import { type Batch, parseBatch } from "./batch.ts";
import { type Book } from "./clob_book.ts";
import {
  type ClobMarket,
  clobMarketSchema,
  parseBooks,
  parsePriceHistory,
  type PricePoint,
} from "./clob_schema.ts";

/** Options with a signal and an optional receive clock (unix ms). */
export interface ClobOptions {
  signal: AbortSignal;
  now?: () => number;
}

/** Fetches books for many tokens with `POST /books` (body `[{"token_id": …}]`). */
export async function fetchBooks(
  http: HttpClient,
  tokenIds: readonly TokenId[],
  options: ClobOptions,
): Promise<Batch<Book>> {
  if (tokenIds.length === 0) return { items: [], rejects: [] };
  const body = tokenIds.map((id) => ({ token_id: id }));
  const raw = await http.postJson("clob:books", "/books", body, options.signal);
  return parseBooks(raw, (options.now ?? Date.now)());
}

/** Fetches one book with `GET /book?token_id=`. */
export async function fetchBook(
  http: HttpClient,
  tokenId: TokenId,
  options: ClobOptions,
): Promise<Batch<Book>> {
  const raw = await http.getJson("clob:book", "/book", { token_id: tokenId }, options.signal);
  const batch = parseBooks([raw], (options.now ?? Date.now)());
  return { items: batch.items, rejects: batch.rejects.map((r) => ({ ...r, path: "book" })) };
}

/** Fetches `GET /markets/{condition_id}` (tokens carry `winner`). */
export async function fetchClobMarket(
  http: HttpClient,
  conditionId: ConditionId,
  options: ClobOptions,
): Promise<Batch<ClobMarket>> {
  const raw = await http.getJson("clob", `/markets/${conditionId}`, {}, options.signal);
  return parseBatch([raw], clobMarketSchema, "market");
}

/** Range or interval selection for `/prices-history`. */
export type PriceHistoryRange =
  | { interval: "max" | "all" | "1m" | "1w" | "1d" | "6h" | "1h"; fidelity?: number }
  | { startTs: number; endTs: number; fidelity?: number };

/** Fetches `GET /prices-history?market=<token id>&…`. */
export async function fetchPriceHistory(
  http: HttpClient,
  tokenId: TokenId,
  options: ClobOptions & { range: PriceHistoryRange },
): Promise<Batch<PricePoint>> {
  const raw = await http.getJson(
    "clob:prices-history",
    "/prices-history",
    { market: tokenId, ...options.range },
    options.signal,
  );
  return parsePriceHistory(raw);
}
