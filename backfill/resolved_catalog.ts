/**
 * The catalog half of `backfill --resolved`: walks Gamma `/markets/keyset?closed=true` (ended
 * in [since, until]) and stores each page as the live collectors would — events, markets,
 * tokens, metadata (source `gamma_backfill`, valid from now: it is the venue's metadata now,
 * not what a trader saw), category and tags, resolutions (source `gamma_backfill`) — and
 * stamps the markets `backfilled_at`.
 *
 * Resumable: after every page the listing's cursor is checkpointed (kind `resolved_list`); an
 * interrupted walk continues from it. A finished walk is walked again from the start on the
 * next run (markets closed since then are found; the upserts write nothing for the others).
 * Events already in the catalog are not fetched again.
 *
 * @example
 * ```ts ignore
 * import { loadResolvedCatalog } from "./resolved_catalog.ts";
 * const listed = await loadResolvedCatalog(deps, { since, until: null, pageSize: 500 }, signal);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { upsertEvents, upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { recordMarketMetadata, updateEventNegRiskFlags } from "../db/market_metadata.ts";
import { recordRejects } from "../db/ops.ts";
import { upsertResolutions } from "../db/resolutions.ts";
import { col } from "../db/_columns.ts";
import { inferWinner, isStorable } from "../collectors/infer_winner.ts";
import { metadataFromGamma } from "../collectors/market_metadata.ts";
import { toCatalogRows } from "../collectors/markets.ts";
import { UnexpectedResponseError } from "../polymarket/errors.ts";
import { listEvents } from "../polymarket/gamma.ts";
import type { GammaEvent } from "../polymarket/gamma_event_schema.ts";
import { type GammaMarket, parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import { parseMarketCategories } from "../polymarket/gamma_category_schema.ts";
import type { HttpClient, Query } from "../polymarket/http.ts";

/** Source of the metadata and resolution rows this backfill writes. */
export const RESOLVED_SOURCE = "gamma_backfill";
const LISTING_PATH = "/markets/keyset";
const IDS_PER_REQUEST = 100;

/** Dependencies of the resolved backfill. */
export interface ResolvedDeps {
  sql: Queryable;
  http: HttpClient;
  now?: () => number;
}

/** Which closed markets: ended in [since, until] (until null: up to now). */
export interface ResolvedRange {
  since: Date;
  until: Date | null;
}

/** Options of {@link loadResolvedCatalog}. */
export interface CatalogOptions extends ResolvedRange {
  /** Markets per Gamma page (the keyset route takes up to 1,000). */
  pageSize: number;
  /** Count only: list, store nothing, checkpoint nothing. */
  dryRun?: boolean;
  /** Called after every page. */
  onPage?: (progress: CatalogProgress) => void;
}

/** Running totals of the listing. */
export interface CatalogProgress {
  pages: number;
  requests: number;
  markets: number;
  tokens: number;
  rows: number;
  /** Of the listed tokens, those whose price history is already stored. */
  tokensDone: number;
}

/** The checkpoint key of the listing of a range. */
export function listingKey(range: ResolvedRange): string {
  return `resolved:list:${range.since.toISOString()}:${range.until?.toISOString() ?? ""}`;
}

/** The checkpoint key of one token's price history at a fidelity. */
export function tokenHistoryKey(tokenId: string, fidelityMinutes: number): string {
  return `resolved:prices:${tokenId}:${fidelityMinutes}`;
}

/**
 * Walks the closed markets of the range and stores them (unless `dryRun`); `fidelityMinutes`
 * only serves to count the tokens whose history is already done. Rethrows `signal.reason`.
 */
export async function loadResolvedCatalog(
  deps: ResolvedDeps,
  options: CatalogOptions & { fidelityMinutes: number },
  signal: AbortSignal,
): Promise<CatalogProgress> {
  const now = deps.now ?? Date.now;
  const key = listingKey(options);
  const [saved] = await deps.sql<{ done_at: Date | null; detail: { cursor?: string } }[]>`
    select done_at, detail from backfill_checkpoints where task_key = ${key}`;
  let cursor = saved !== undefined && saved.done_at === null ? saved.detail.cursor ?? null : null;
  const progress: CatalogProgress = {
    pages: 0,
    requests: 0,
    markets: 0,
    tokens: 0,
    rows: 0,
    tokensDone: 0,
  };
  const filters: Query = {
    closed: true,
    order: "id",
    ascending: true,
    limit: options.pageSize,
    include_tag: true,
    end_date_min: options.since.toISOString(),
    ...(options.until === null ? {} : { end_date_max: options.until.toISOString() }),
  };
  const seen = new Set<string>();
  for (;;) {
    const query = cursor === null ? filters : { ...filters, after_cursor: cursor };
    const raw = await deps.http.getJson("gamma:markets", LISTING_PATH, query, signal);
    progress.requests++;
    progress.pages++;
    const page = parseGammaMarketsPage(raw, new Date(now()));
    if (page.rejects.length === 1 && page.rejects[0]!.path === "$") {
      throw new UnexpectedResponseError(
        `Cannot list closed markets: ${page.rejects[0]!.reason}`,
        { endpoint: LISTING_PATH },
      );
    }
    const closed = page.items.filter((m) => m.closed === true);
    progress.markets += closed.length;
    const tokens = closed.flatMap((m) => m.clobTokenIds);
    progress.tokens += tokens.length;
    progress.tokensDone += await countDone(deps.sql, tokens, options.fidelityMinutes);
    const next = page.nextCursor;
    if (options.dryRun !== true) {
      if (page.rejects.length > 0) {
        await recordRejects(
          deps.sql,
          page.rejects.map((r) => ({
            source: `gamma:${LISTING_PATH}`,
            reason: r.reason,
            path: r.path,
            raw: JSON.stringify(r.raw),
          })),
        );
      }
      const stored = await storePage(deps, { raw, markets: closed, at: new Date(now()), signal });
      progress.rows += stored.rows;
      progress.requests += stored.requests;
      await deps.sql`
        insert into backfill_checkpoints as c (task_key, kind, scope, start_at, end_at, requests,
                                               rows_written, done_at, detail)
        values (${key}, 'resolved_list', ${LISTING_PATH}, ${options.since},
                ${options.until ?? new Date(now())}, ${1 + stored.requests}, ${stored.rows},
                ${next === null ? new Date(now()) : null},
                ${JSON.stringify({ cursor: next ?? "" })}::text::jsonb)
        on conflict (task_key) do update set
          requests = c.requests + excluded.requests,
          rows_written = c.rows_written + excluded.rows_written,
          done_at = excluded.done_at, detail = c.detail || excluded.detail,
          end_at = greatest(c.end_at, excluded.end_at), updated_at = now()`;
    }
    options.onPage?.(progress);
    if (next === null) return progress;
    if (seen.has(next) || next === cursor) {
      throw new UnexpectedResponseError(
        `Cannot list closed markets: next_cursor ${JSON.stringify(next)} repeats`,
        { endpoint: LISTING_PATH },
      );
    }
    seen.add(next);
    cursor = next;
  }
}

async function countDone(sql: Queryable, tokens: string[], fidelity: number): Promise<number> {
  if (tokens.length === 0) return 0;
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from backfill_checkpoints
    where task_key = any(${tokens.map((t) => tokenHistoryKey(t, fidelity))}::text[])
      and done_at is not null`;
  return row?.n ?? 0;
}

/** Stores one page of closed markets; returns rows written and the event requests made. */
async function storePage(
  deps: ResolvedDeps,
  page: { raw: unknown; markets: GammaMarket[]; at: Date; signal: AbortSignal },
): Promise<{ rows: number; requests: number }> {
  const { markets, at, signal } = page;
  if (markets.length === 0) return { rows: 0, requests: 0 };
  const wanted = [...new Set(markets.flatMap((m) => m.eventIds.slice(0, 1)))];
  const known = new Set(
    (await deps.sql<{ event_id: string }[]>`
      select event_id from events where event_id = any(${wanted}::text[])`).map((r) => r.event_id),
  );
  const missing = wanted.filter((id) => !known.has(id));
  const events: GammaEvent[] = [];
  let requests = 0;
  for (let i = 0; i < missing.length; i += IDS_PER_REQUEST) {
    const ids = missing.slice(i, i + IDS_PER_REQUEST);
    const query = { id: ids, limit: IDS_PER_REQUEST, include_markets: false };
    for await (const p of listEvents(deps.http, query, { signal })) {
      requests++;
      events.push(...p.items);
    }
  }
  const rows = toCatalogRows(markets, events);
  let written = await upsertEvents(deps.sql, rows.events);
  written += await updateEventNegRiskFlags(
    deps.sql,
    events.map((e) => ({ ...e, eventId: e.id })),
  );
  written += await upsertMarkets(deps.sql, rows.markets);
  written += await upsertTokens(deps.sql, rows.tokens);
  const flags = new Map(events.map((e) => [e.id, e]));
  written += await recordMarketMetadata(
    deps.sql,
    markets.map((m) => metadataFromGamma(m, flags.get(m.eventIds[0] ?? ""))),
    { at, source: RESOLVED_SOURCE },
  );
  const categories = parseMarketCategories(page.raw);
  const ids = markets.map((m) => m.id);
  const stamped = await deps.sql`
    update markets m set backfilled_at = coalesce(m.backfilled_at, ${at}),
      category = v.category, tags = t.tags
    from unnest(${ids}::text[], ${col(ids, (id) => categories.get(id)?.category ?? null)}::text[],
                ${col(ids, (id) => JSON.stringify(categories.get(id)?.tags ?? []))}::jsonb[])
      as v(market_id, category, tags_json)
      cross join lateral (select array(select jsonb_array_elements_text(v.tags_json)) as tags) t
    where m.market_id = v.market_id
      and (m.backfilled_at is null or (m.category, m.tags) is distinct from (v.category, t.tags))`;
  written += stamped.count;
  const verdicts = markets.map((market) => inferWinner({ source: "gamma", market, observedAt: at }))
    .filter(isStorable)
    .map((v) => ({
      ...v,
      source: RESOLVED_SOURCE,
      evidence: { ...v.evidence, backfill: { resolved: true } },
    }));
  written += await upsertResolutions(deps.sql, verdicts);
  return { rows: written, requests };
}
