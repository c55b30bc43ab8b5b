/**
 * The gap ledger's rule for the recorded stream, in one place: an outage of the websocket that
 * names a token leaves that token's book unknown from the outage's start until the token's next
 * snapshot. The stream's outages are the listener's connection outages (`scope` `conn:<id>`,
 * the uncovered `tokens` listed) and the recorder's own rows (`collector` `stream`: the downtime
 * between two recording sessions, `*`). Other rows say nothing about what the stream holds:
 * the REST books collector's (a `/books` cycle that missed tokens), and the trades collector's
 * downtime and spill rows, which count fills to fetch again (with margins for fills in flight)
 * while the stream records its own ends (segment ends at a clean stop, its session downtime). `bookAt` asks it for one
 * token at one instant; a replay turns each outage start into `book_closed` events
 * (`withGapCloses`), so a consumer never carries a book across an outage.
 *
 * @example
 * ```ts ignore
 * import { gapStarts, withGapCloses } from "./gap_closes.ts";
 * const gaps = await gapStarts(sql, { tokenIds: ["123"], from, to });
 * for await (const batch of withGapCloses(batches, gaps)) for (const e of batch) scanner.push(e);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { BookClosedEvent, BookEvent } from "./book_event.ts";

/** One outage start: the tokens it names, or null for every token (`*`). */
export interface GapStart {
  readonly at: number;
  readonly tokens: ReadonlySet<string> | null;
}

/**
 * The SQL condition "this `gaps` row is an outage of the websocket that names one of
 * `tokenIds`" (any token when null).
 */
export function gapNamesTokens(sql: Queryable, tokenIds: readonly string[] | null) {
  const stream = sql`(collector = 'stream' or scope like 'conn:%')`;
  if (tokenIds === null) return stream;
  const ids = [...tokenIds];
  return sql`${stream} and (scope = '*' or scope = any(${ids}::text[]) or tokens && ${ids}::text[])`;
}

/** Outage starts in [from, to) naming any of `tokenIds` (all tokens when null), in time order. */
export async function gapStarts(
  sql: Queryable,
  options: { readonly tokenIds: readonly string[] | null; readonly from: Date; readonly to: Date },
): Promise<GapStart[]> {
  const rows = await sql<{ at: Date; scope: string; tokens: string[] | null }[]>`
    select start_at as at, scope, tokens from gaps
    where start_at >= ${options.from} and start_at < ${options.to}
      and ${gapNamesTokens(sql, options.tokenIds)}
    order by start_at`;
  return rows.map((r) => ({
    at: r.at.getTime(),
    tokens: r.scope === "*" ? null : new Set([r.scope, ...(r.tokens ?? [])]),
  }));
}

/**
 * The batches with a `book_closed` (reason `gap`) inserted before the first event at or after
 * each outage start, for every token seen so far that the outage names (tokens not seen yet
 * have no book to close). Outages after the last event close at the end.
 */
export async function* withGapCloses(
  batches: AsyncIterable<BookEvent[]>,
  gaps: readonly GapStart[],
): AsyncGenerator<BookEvent[]> {
  if (gaps.length === 0) {
    yield* batches;
    return;
  }
  const seen = new Set<string>();
  let next = 0;
  let sequence = 0;
  const closesUpTo = (at: number, out: BookEvent[]) => {
    for (; next < gaps.length && gaps[next]!.at <= at; next++) {
      const gap = gaps[next]!;
      for (const tokenId of seen) {
        if (gap.tokens === null || gap.tokens.has(tokenId)) {
          out.push(closed(tokenId, gap.at, sequence));
        }
      }
    }
  };
  for await (const batch of batches) {
    const out: BookEvent[] = [];
    for (const event of batch) {
      if (next < gaps.length && gaps[next]!.at <= event.receivedAt) {
        closesUpTo(event.receivedAt, out);
      }
      seen.add(event.tokenId);
      sequence = event.sequence;
      out.push(event);
    }
    yield out;
  }
  const rest: BookEvent[] = [];
  closesUpTo(Infinity, rest);
  if (rest.length > 0) yield rest;
}

function closed(tokenId: string, at: number, sequence: number): BookClosedEvent {
  return {
    kind: "book_closed",
    tokenId,
    exchangeTs: at,
    receivedAt: at,
    connection: -1,
    sequence,
    reason: "gap",
  };
}
