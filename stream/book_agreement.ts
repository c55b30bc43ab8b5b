/**
 * `measureBookAgreement`: the recorded stream checked against the REST book snapshots the
 * books collector stores (`book_snapshots`, every 5 minutes by default): at the instant each
 * REST book was taken, the book rebuilt from `book_events` should equal it level for level.
 *
 * That instant is the venue's timestamp of the REST book (`exchange_ts`), not the row's `ts`
 * (the start of its books cycle, up to minutes earlier on a large universe). The stream is
 * replayed in receive order, so the venue instant is carried over to the stream's clock: the
 * receive time of the token's newest recorded event whose venue time is at or before it
 * (within a minute; without one, the venue instant itself). A row without `exchange_ts` is
 * compared at its `ts`, and counted as such.
 *
 * Each snapshot counts as agreeing, disagreeing (a bug, or a race the venue's millisecond
 * cannot settle) or uncovered (the stream had no segment then, with the reason); nothing is
 * silent. Shown by `pmcollect status --quality`.
 *
 * @example
 * ```ts
 * import { formatBookAgreement, measureBookAgreement } from "./book_agreement.ts";
 * write(formatBookAgreement(await measureBookAgreement(sql, { now: new Date() })));
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { bookAt } from "./book_at.ts";

type Level = { price: string; size: string };

export interface BookAgreement {
  /** REST snapshots of recorded tokens compared (newest first, at most `sample`). */
  snapshots: number;
  agree: number;
  disagree: number;
  /** Uncovered snapshots by reason (no_snapshot, gap, tick_size_change). */
  uncovered: Record<string, number>;
  /** agree / (agree + disagree), in percent; null with nothing compared. */
  agreementPercent: number | null;
  /** Compared at the cycle's `ts` because the REST book had no venue timestamp. */
  atCycleStart: number;
  /** A few disagreements (at the stream instant compared), for `pmcollect book --at`. */
  examples: { tokenId: string; ts: Date }[];
}

/** Compares the newest `sample` (200) snapshots of the last `windowMs` (24 h). */
export async function measureBookAgreement(
  sql: Queryable,
  options: { readonly now: Date; readonly windowMs?: number; readonly sample?: number },
): Promise<BookAgreement> {
  const from = new Date(options.now.getTime() - (options.windowMs ?? 86_400_000));
  const snapshots = await sql<
    { ts: Date; venueAt: Date | null; tokenId: string; bids: Level[]; asks: Level[] }[]
  >`
    select b.ts, b.exchange_ts as "venueAt", b.token_id as "tokenId", b.bids, b.asks
    from book_snapshots b
    where b.ts > ${from} and b.ts <= ${options.now}
      and exists (
        select 1 from book_event_rows e join token_keys k using (token_key)
        where k.token_id = b.token_id and e.received_at <= coalesce(b.exchange_ts, b.ts)
          and e.kind = 0)
    order by b.ts desc limit ${options.sample ?? 200}`;
  const result: BookAgreement = {
    snapshots: snapshots.length,
    agree: 0,
    disagree: 0,
    uncovered: {},
    agreementPercent: null,
    atCycleStart: 0,
    examples: [],
  };
  for (const s of snapshots) {
    if (s.venueAt === null) result.atCycleStart++;
    const at = s.venueAt === null ? s.ts : await streamInstant(sql, s.tokenId, s.venueAt);
    const r = await bookAt(sql, s.tokenId, { at });
    if (!r.covered) {
      result.uncovered[r.reason] = (result.uncovered[r.reason] ?? 0) + 1;
      continue;
    }
    const same = sameLevels(r.book.bids, s.bids, -1) && sameLevels(r.book.asks, s.asks, 1);
    if (same) result.agree++;
    else {
      result.disagree++;
      if (result.examples.length < 5) result.examples.push({ tokenId: s.tokenId, ts: at });
    }
  }
  const compared = result.agree + result.disagree;
  if (compared > 0) result.agreementPercent = Math.round((result.agree / compared) * 1000) / 10;
  return result;
}

/**
 * The receive time at which the recorded stream had applied everything the venue sent up to
 * `venueAt`: that of the token's newest event (its own or its sibling's mirrored row) with a
 * venue time at or before it, looked for within a minute either side; else `venueAt`.
 */
async function streamInstant(sql: Queryable, tokenId: string, venueAt: Date): Promise<Date> {
  const from = new Date(venueAt.getTime() - 60_000);
  const to = new Date(venueAt.getTime() + 60_000);
  const [row] = await sql<{ at: Date }[]>`
    select e.received_at as at
    from book_events_between(${from}, ${to}) e
    where e.token_key = (select token_key from token_keys where token_id = ${tokenId})
      and e.ts <= ${venueAt}
    order by e.received_at desc, e.seq desc limit 1`;
  return row?.at ?? venueAt;
}

function sameLevels(rebuilt: readonly [string, string][], rest: Level[], dir: 1 | -1): boolean {
  const sorted = [...(rest ?? [])].sort((a, b) => dir * (Number(a.price) - Number(b.price)));
  if (sorted.length !== rebuilt.length) return false;
  return sorted.every((l, i) =>
    sameDecimal(l.price, rebuilt[i]![0]) && sameDecimal(l.size, rebuilt[i]![1])
  );
}

/** "0.50" and "0.5" are the same decimal (REST text is not always canonical). */
function sameDecimal(a: string, b: string): boolean {
  const trim = (x: string) => x.includes(".") ? x.replace(/\.?0+$/, "") : x;
  return trim(a) === trim(b);
}

/** The `status --quality` lines. */
export function formatBookAgreement(a: BookAgreement): string {
  const uncovered = Object.entries(a.uncovered).map(([k, v]) => `${v} ${k}`).join(", ");
  const lines = [
    `recorded stream vs REST book snapshots: ${a.agreementPercent ?? "-"}% agree ` +
    `(${a.agree} agree, ${a.disagree} disagree of ${a.snapshots} snapshots` +
    `${uncovered === "" ? "" : `; not covered: ${uncovered}`}), each at the REST book's venue ` +
    `instant${a.atCycleStart === 0 ? "" : ` (${a.atCycleStart} without one: at its cycle start)`}`,
  ];
  for (const e of a.examples) {
    lines.push(`  disagrees: pmcollect book ${e.tokenId} --at ${e.ts.toISOString()}`);
  }
  return lines.join("\n");
}
