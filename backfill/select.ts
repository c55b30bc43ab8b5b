/**
 * The markets a backfill covers: `--markets` (condition ids `0x…` or Gamma ids) and
 * `--events` from the local catalog, `--tag` from Gamma (`/markets/keyset?tag_id=`), or every
 * market in the catalog when nothing is selected.
 *
 * @example
 * ```ts ignore
 * import { selectMarkets } from "./select.ts";
 * const { markets } = await selectMarkets(sql, { markets: ["0xabc…", "12345"] });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { listMarkets } from "../polymarket/gamma.ts";
import type { HttpClient } from "../polymarket/http.ts";

/** One market to backfill. */
export interface MarketTarget {
  marketId: string;
  conditionId: string;
  tokenIds: string[];
  closed: boolean;
}

/** Selection options (any combination; their union is taken). */
export interface Selection {
  markets?: readonly string[];
  events?: readonly string[];
  tag?: string;
  /** Needed for `tag`. */
  http?: HttpClient;
  signal?: AbortSignal;
}

/** What a selection resolved to. */
export interface SelectedMarkets {
  markets: MarketTarget[];
  /** False when nothing was selected, so every market in the catalog was taken. */
  explicit: boolean;
  /** `markets` ids found neither in the catalog nor via the tag. */
  unknown: string[];
  /** `events` ids with no market in the catalog. */
  unknownEvents: string[];
  /** Markets Gamma listed for `tag` (null without a tag). */
  tagMarkets: number | null;
}

/** Resolves the selection; `explicit` is false when everything in the catalog was taken. */
export async function selectMarkets(
  sql: Queryable,
  selection: Selection,
): Promise<SelectedMarkets> {
  const ids = selection.markets ?? [];
  const events = selection.events ?? [];
  const explicit = ids.length > 0 || events.length > 0 || selection.tag !== undefined;
  const conditionIds = ids.filter((id) => id.startsWith("0x")).map((id) => id.toLowerCase());
  const marketIds = ids.filter((id) => !id.startsWith("0x"));
  const rows = await sql<
    {
      market_id: string;
      condition_id: string;
      event_id: string | null;
      closed: boolean | null;
      tokens: string[];
    }[]
  >`
    select m.market_id, m.condition_id, m.event_id, m.closed,
           array_agg(t.token_id order by t.outcome_index) as tokens
    from markets m join tokens t using (market_id)
    where m.condition_id is not null
      and (${!explicit}
           or lower(m.condition_id) = any(${conditionIds}::text[])
           or m.market_id = any(${marketIds}::text[])
           or m.event_id = any(${[...events]}::text[]))
    group by m.market_id, m.condition_id, m.event_id, m.closed
    order by m.market_id`;
  const markets = new Map<string, MarketTarget>();
  for (const r of rows) {
    markets.set(r.condition_id, {
      marketId: r.market_id,
      conditionId: r.condition_id,
      tokenIds: r.tokens,
      closed: r.closed === true,
    });
  }
  let tagMarkets: number | null = null;
  if (selection.tag !== undefined) {
    tagMarkets = 0;
    if (selection.http === undefined) throw new TypeError("selecting by tag needs an http client");
    const signal = selection.signal ?? new AbortController().signal;
    for await (const page of listMarkets(selection.http, { tag_id: selection.tag }, { signal })) {
      for (const m of page.items) {
        if (m.conditionId === null || m.clobTokenIds.length === 0) continue;
        tagMarkets++;
        markets.set(m.conditionId, {
          marketId: m.id,
          conditionId: m.conditionId,
          tokenIds: [...m.clobTokenIds],
          closed: m.closed === true,
        });
      }
    }
  }
  const found = new Set([...markets.values()].flatMap((m) => [m.marketId, m.conditionId]));
  const unknown = ids.filter((id) => !found.has(id) && !found.has(id.toLowerCase()));
  const seenEvents = new Set(rows.map((r) => r.event_id));
  const unknownEvents = events.filter((id) => !seenEvents.has(id));
  return { markets: [...markets.values()], explicit, unknown, unknownEvents, tagMarkets };
}
