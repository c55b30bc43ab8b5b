/**
 * `measureBookAgreement`: the recorded stream checked against the REST book snapshots the
 * books collector stores (`book_snapshots`, every 5 minutes by default): at each snapshot's
 * `ts`, the book rebuilt from `book_events` should equal the snapshot level for level. Each
 * snapshot counts as agreeing, disagreeing (a bug, or a race between the REST request and the
 * stream) or uncovered (the stream had no segment then, with the reason); nothing is silent.
 * Shown by `pmcollect status --quality`.
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
  /** A few disagreements, for a look with `pmcollect book --at`. */
  examples: { tokenId: string; ts: Date }[];
}

/** Compares the newest `sample` (200) snapshots of the last `windowMs` (24 h). */
export async function measureBookAgreement(
  sql: Queryable,
  options: { readonly now: Date; readonly windowMs?: number; readonly sample?: number },
): Promise<BookAgreement> {
  const from = new Date(options.now.getTime() - (options.windowMs ?? 86_400_000));
  const snapshots = await sql<{ ts: Date; tokenId: string; bids: Level[]; asks: Level[] }[]>`
    select b.ts, b.token_id as "tokenId", b.bids, b.asks from book_snapshots b
    where b.ts > ${from} and b.ts <= ${options.now}
      and exists (
        select 1 from book_event_rows e join token_keys k using (token_key)
        where k.token_id = b.token_id and e.received_at <= b.ts and e.kind = 0)
    order by b.ts desc limit ${options.sample ?? 200}`;
  const result: BookAgreement = {
    snapshots: snapshots.length,
    agree: 0,
    disagree: 0,
    uncovered: {},
    agreementPercent: null,
    examples: [],
  };
  for (const s of snapshots) {
    const r = await bookAt(sql, s.tokenId, { at: s.ts });
    if (!r.covered) {
      result.uncovered[r.reason] = (result.uncovered[r.reason] ?? 0) + 1;
      continue;
    }
    const same = sameLevels(r.book.bids, s.bids, -1) && sameLevels(r.book.asks, s.asks, 1);
    if (same) result.agree++;
    else {
      result.disagree++;
      if (result.examples.length < 5) result.examples.push({ tokenId: s.tokenId, ts: s.ts });
    }
  }
  const compared = result.agree + result.disagree;
  if (compared > 0) result.agreementPercent = Math.round((result.agree / compared) * 1000) / 10;
  return result;
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
    `${uncovered === "" ? "" : `; not covered: ${uncovered}`})`,
  ];
  for (const e of a.examples) {
    lines.push(`  disagrees: pmcollect book ${e.tokenId} --at ${e.ts.toISOString()}`);
  }
  return lines.join("\n");
}
