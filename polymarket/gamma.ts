/**
 * Gamma requests: keyset listing of markets and events, one market by id.
 *
 * @example
 * ```ts ignore
 * import { listMarkets } from "./gamma.ts";
 * for await (const page of listMarkets(http, { closed: false, limit: 100 }, { signal })) {
 *   console.log(page.items.length, page.rejects.length);
 * }
 * ```
 */
import type { HttpClient, Query } from "./http.ts";
import type { EndpointFamily } from "./rate_limiter.ts";
import type { Batch } from "./batch.ts";
import { UnexpectedResponseError } from "./errors.ts";
import {
  gammaEnvelope,
  type GammaMarket,
  gammaMarketSchema,
  type GammaPage,
  readGammaPage,
} from "./gamma_schema.ts";
import { type GammaEvent, gammaEventSchema } from "./gamma_event_schema.ts";
import { parseBatch } from "./batch.ts";
import {
  type KnownMarkets,
  parseMarketsSkipping,
  type UnchangedMarkets,
} from "./gamma_unchanged.ts";

/** One yielded page: parsed items, rejects and the cursor that produced it (null = first). */
export interface ListedPage<T> extends Batch<T> {
  cursor: string | null;
}

/**
 * A page of `listMarkets`: with `known`, the markets byte-identical to what the caller holds
 * are only named in `unchanged`, and `prints[i]` is the fingerprint of `items[i]` (to record
 * once stored). Without it, `unchanged` and `prints` are empty.
 */
export interface ListedMarketsPage extends ListedPage<GammaMarket>, UnchangedMarkets {}

/** Options of the listing functions. */
export interface ListOptions {
  signal: AbortSignal;
  /** Receive clock; default `() => new Date()`. */
  now?: () => Date;
}

/** Options of `listMarkets`. */
export interface ListMarketsOptions extends ListOptions {
  /** What the caller already holds; its unchanged markets are left unparsed (`gamma_unchanged.ts`). */
  known?: KnownMarkets;
}

async function* listKeyset<P extends GammaPage<unknown>>(
  http: HttpClient,
  route: { family: EndpointFamily; path: string },
  filters: Query,
  options: ListOptions,
  read: (raw: unknown) => Promise<P>,
): AsyncGenerator<Omit<P, "nextCursor"> & { cursor: string | null }> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  for (;;) {
    const query: Query = cursor === null ? { ...filters } : { ...filters, after_cursor: cursor };
    const raw = await http.getJson(route.family, route.path, query, options.signal);
    // Validation yields to the event loop between slices of the page.
    const { nextCursor, ...page } = await read(raw);
    if (page.rejects.length === 1 && page.rejects[0]!.path === "$") {
      throw new UnexpectedResponseError(
        `Cannot list ${route.path}: ${page.rejects[0]!.reason}`,
        { endpoint: route.path },
      );
    }
    yield { ...page, cursor };
    const next = nextCursor;
    if (next === null) return;
    if (seen.has(next) || next === cursor) {
      throw new UnexpectedResponseError(
        `Cannot list ${route.path}: next_cursor ${JSON.stringify(next)} repeats`,
        { endpoint: route.path },
      );
    }
    seen.add(next);
    cursor = next;
  }
}

/**
 * Lists markets via `/markets/keyset`: `after_cursor` ← `next_cursor`, filters re-sent on
 * every page, stops on an empty/absent cursor, throws on a repeated cursor.
 */
export function listMarkets(
  http: HttpClient,
  filters: Query,
  options: ListMarketsOptions,
): AsyncGenerator<ListedMarketsPage> {
  const known = options.known;
  return listKeyset(
    http,
    { family: "gamma:markets", path: "/markets/keyset" },
    filters,
    options,
    async (raw): Promise<GammaPage<GammaMarket> & UnchangedMarkets> => {
      if (known === undefined) {
        const page = await readGammaPage(raw, "markets", gammaMarketSchema, options);
        return { ...page, unchanged: [], prints: [] };
      }
      const envelope = gammaEnvelope(raw, "markets");
      if ("reject" in envelope) {
        return {
          items: [],
          rejects: [envelope.reject],
          nextCursor: null,
          unchanged: [],
          prints: [],
        };
      }
      const batch = await parseMarketsSkipping(envelope.list, known, options);
      return { ...batch, nextCursor: envelope.nextCursor };
    },
  );
}

/** Lists events via `/events/keyset` (same contract as `listMarkets`). */
export function listEvents(
  http: HttpClient,
  filters: Query,
  options: ListOptions,
): AsyncGenerator<ListedPage<GammaEvent>> {
  return listKeyset(
    http,
    { family: "gamma:events", path: "/events/keyset" },
    filters,
    options,
    (raw) => readGammaPage(raw, "events", gammaEventSchema, options),
  );
}

/** Fetches one market by Gamma id; the batch has one item or one reject. */
export async function fetchMarket(
  http: HttpClient,
  id: string,
  options: { signal: AbortSignal },
): Promise<Batch<GammaMarket>> {
  const raw = await http.getJson(
    "gamma:markets",
    `/markets/${encodeURIComponent(id)}`,
    {},
    options.signal,
  );
  return parseBatch([raw], gammaMarketSchema, "market");
}
