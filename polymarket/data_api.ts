/**
 * Data API trade listing: v1 offset pages and v2 cursor pages.
 *
 * @example
 * ```ts ignore
 * import { listTradesV2 } from "./data_api.ts";
 * for await (const page of listTradesV2(http, { condition: conditionId }, { signal })) {}
 * ```
 */
import type { HttpClient, Query } from "./http.ts";
import { UnexpectedResponseError } from "./errors.ts";
import { type DataApiTrade, parseTradesV1, parseTradesV2 } from "./data_api_schema.ts";
import type { ListedPage, ListOptions } from "./gamma.ts";

/**
 * Lists v1 `/trades` with `limit`/`offset` until a short page or `maxOffset` (the venue caps
 * offsets near 10,000).
 */
export async function* listTrades(
  http: HttpClient,
  filters: Query,
  options: ListOptions & { pageSize?: number; maxOffset?: number },
): AsyncGenerator<ListedPage<DataApiTrade>> {
  const now = options.now ?? (() => new Date());
  const limit = options.pageSize ?? 500;
  const maxOffset = options.maxOffset ?? 10_000;
  for (let offset = 0; offset <= maxOffset; offset += limit) {
    const raw = await http.getJson(
      "data:trades",
      "/trades",
      { ...filters, limit, offset },
      options.signal,
    );
    const page = parseTradesV1(raw, now());
    yield { items: page.items, rejects: page.rejects, cursor: String(offset) };
    if (!Array.isArray(raw) || raw.length < limit) return;
  }
}

/** Lists v2 `/v2/trades` following `pagination.next_cursor` (filters re-sent every page). */
export async function* listTradesV2(
  http: HttpClient,
  filters: Query,
  options: ListOptions,
): AsyncGenerator<ListedPage<DataApiTrade>> {
  const now = options.now ?? (() => new Date());
  const seen = new Set<string>();
  let cursor: string | null = null;
  for (;;) {
    const query: Query = cursor === null ? filters : { ...filters, cursor };
    const raw = await http.getJson("data:trades", "/v2/trades", query, options.signal);
    const page = parseTradesV2(raw, now());
    if (page.rejects.length === 1 && page.rejects[0]!.path === "$") {
      throw new UnexpectedResponseError("Cannot list /v2/trades: not a v2 page", {
        endpoint: "/v2/trades",
      });
    }
    yield { items: page.items, rejects: page.rejects, cursor };
    if (page.nextCursor === null) return;
    if (seen.has(page.nextCursor)) {
      throw new UnexpectedResponseError("Cannot list /v2/trades: next_cursor repeats", {
        endpoint: "/v2/trades",
      });
    }
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
