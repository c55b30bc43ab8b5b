/**
 * The tracked universe as Gamma keyset queries: `closed=false` plus the configured filters
 * (tag ids, minimum volume and liquidity) and, when `maxMarkets` caps it, the most-traded N
 * (`order=volume24hr`, descending). The markets and prices collectors walk the same pages.
 *
 * @example
 * ```ts ignore
 * import { walkUniverse } from "./_universe.ts";
 * for await (const page of walkUniverse(deps, signal)) console.log(page.items.length);
 * ```
 */
import type { Config } from "../runtime/config.ts";
import type { Query } from "../polymarket/http.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import { type ListedMarketsPage, listMarkets } from "../polymarket/gamma.ts";
import type { KnownMarkets } from "../polymarket/gamma_unchanged.ts";
import type { CollectorDeps } from "./_deps.ts";

/**
 * Markets per keyset page. A page's text decode and `JSON.parse` are each one synchronous
 * step: at 1,000 markets (~4 MB of JSON) they held the event loop for tens of milliseconds on
 * an idle machine and hundreds on a busy one, and the parsed page outgrew the young
 * generation (the daemon runs with 8 MB semi-spaces), so every page was promoted whole. At
 * 250, a 50,000-market walk is 200 requests: one walk a minute uses about a tenth of Gamma's
 * `/markets` budget (300 requests / 10 s). The walk never relies on page length, so a server
 * that clamps it still pages correctly.
 */
export const MARKETS_PAGE_LIMIT = 250;

/** Where market pages come from, for `rejects.source`. */
export const MARKETS_SOURCE = "gamma:/markets/keyset";

/** One keyset query per configured tag id (one query when no tags are configured). */
export function universeQueries(config: Config): Query[] {
  const u = config.collectors.universe;
  const base: Query = {
    closed: false,
    limit: MARKETS_PAGE_LIMIT,
    ...(u.minVolume > 0 ? { volume_num_min: u.minVolume } : {}),
    ...(u.minLiquidity > 0 ? { liquidity_num_min: u.minLiquidity } : {}),
    ...(u.maxMarkets > 0 ? { order: "volume24hr", ascending: false } : {}),
  };
  if (u.tagIds.length === 0) return [base];
  return u.tagIds.map((tag) => ({ ...base, tag_id: tag }));
}

/**
 * Walks every universe query, yielding each page with markets already seen in this walk
 * removed and the total trimmed to `maxMarkets` (0 = no cap). With several tags the cap is
 * filled tag by tag, each tag's most-traded markets first.
 *
 * With `known` (an uncapped universe only), markets byte-identical to what the caller holds
 * come unparsed, by id in `unchanged` (`polymarket/gamma_unchanged.ts`), and `prints[i]` is
 * `items[i]`'s fingerprint. A capped universe (the embedded database's few hundred markets)
 * is always parsed whole: the cap is applied in page order across both kinds.
 */
export async function* walkUniverse(
  deps: CollectorDeps,
  signal: AbortSignal,
  known?: KnownMarkets,
): AsyncGenerator<ListedMarketsPage> {
  const cap = deps.config.collectors.universe.maxMarkets;
  const seen = new Set<string>();
  const now = () => new Date(deps.now());
  const options = { signal, now, ...(cap === 0 && known !== undefined ? { known } : {}) };
  for (const query of universeQueries(deps.config)) {
    for await (const page of listMarkets(deps.http, query, options)) {
      const items: GammaMarket[] = [];
      const prints: number[] = [];
      for (const [i, m] of page.items.entries()) {
        if (seen.has(m.id)) continue;
        if (cap > 0 && seen.size >= cap) break;
        seen.add(m.id);
        items.push(m);
        if (page.prints.length > 0) prints.push(page.prints[i]!);
      }
      const unchanged = page.unchanged.filter((id) => {
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      yield { ...page, items, prints, unchanged };
      if (cap > 0 && seen.size >= cap) return;
    }
  }
}

/** Logs once that the universe is capped and how to widen it. */
export function logUniverseCap(deps: CollectorDeps, task: string): void {
  const cap = deps.config.collectors.universe.maxMarkets;
  if (cap === 0) return;
  deps.log.info("universe_capped", {
    task,
    maxMarkets: cap,
    hint: "only the most-traded markets are collected; set PMCOLLECT_UNIVERSE_MAX_MARKETS " +
      "to a larger number, or 0 for every active market",
  });
}

/** Splits `items` into arrays of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
