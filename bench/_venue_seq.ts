/**
 * A recorded stream's seq deltas at the venue's rate, for the stream and storage benches: a
 * token's seq deltas count the rows of every other token in between, so at `scale` × a run's
 * message rate they are `scale` × larger and take more varint bytes in a pack
 * (stream/pack.ts). Re-encodes every pack of `book_event_packs` with its seq deltas scaled so:
 * the bytes before and after, before the compression PostgreSQL adds.
 *
 * @example
 * ```ts ignore
 * import { venueSeqGrowth } from "./_venue_seq.ts";
 * const { bytes, scaled } = await venueSeqGrowth(sql, 232.5);
 * ```
 */
import type { Sql } from "../db/client.ts";
import { decodePack, encodePack } from "../stream/pack.ts";

/** Pack bytes as stored, and with seq deltas `scale` × larger. */
export async function venueSeqGrowth(
  sql: Sql,
  scale: number,
): Promise<{ bytes: number; scaled: number }> {
  let bytes = 0;
  let scaled = 0;
  const packs = sql<{ n: number; firstSeq: number; firstAtMs: number; data: Uint8Array }[]>`
    select n, first_seq::float8 as "firstSeq",
           (extract(epoch from first_at) * 1000)::float8 as "firstAtMs", data
    from book_event_packs`.cursor(2000);
  for await (const batch of packs) {
    for (const p of batch) {
      const data = new Uint8Array(p.data);
      const rows = decodePack(data, p);
      let seq = rows[0]!.seq;
      const wider = rows.map((r, i) =>
        i === 0 ? r : { ...r, seq: seq += Math.round((r.seq - rows[i - 1]!.seq) * scale) }
      );
      bytes += data.length;
      scaled += encodePack(wider).length;
    }
  }
  return { bytes, scaled };
}
