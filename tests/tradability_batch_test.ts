/**
 * The set-based `tradabilityAt` (tradability/at.ts, tradability/_stream_books.ts) against the
 * per-market reading it replaced, kept here as the reference: per market its facts row, its
 * metadata (`marketMetadataAsOf`) and, per token, `bookAt` (stream/book_at.ts) then the newest
 * `book_snapshots` row. Both read the same database (the dataset seed's 40 markets with REST
 * books on their YES tokens, plus a recorded stream on a dozen tokens, part of it packed) at
 * instants and REST bounds that take in every case: covered by the stream from a snapshot or
 * a checkpoint, with paired (mirrored) changes and values only `exact` holds; a tick size
 * change, a segment end, an outage, a recorded resolution; no snapshot, no token key; a fresh,
 * a stale and no REST book; open, closed, resolved and not accepting orders; unknown ids.
 */
import assert from "node:assert/strict";
import { withDatabase } from "./_db.ts";
import { SEED_END, seedDataset, seedMarket } from "./_dataset_seed.ts";
import type { Queryable, Sql } from "../db/client.ts";
import {
  type BookEventRow,
  insertBookCheckpoints,
  insertBookEvents,
  KIND,
} from "../db/book_events.ts";
import { marketMetadataAsOf } from "../db/market_metadata.ts";
import { bookAt } from "../stream/book_at.ts";
import { packWindow } from "../stream/packer.ts";
import {
  type BookSource,
  type MarketTradability,
  type StatusColumns,
  statusColumns,
  statusFactsOf,
  tradabilityAt,
  type TradabilityOptions,
} from "../tradability/at.ts";
import { closedAtOf, feeScheduleOf, tradableAt } from "../tradability/rules.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(180_000);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const A = SEED_END - 4 * DAY;
const MARKETS = 40;

test("tradabilityAt() answers as the per-market reading does, market by market", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, { markets: MARKETS, historyDays: 9, spreadDays: 3 });
    await recordStream(db.sql);
    // The packed window (18:00 to 00:00 before A) is read from packs, the rest from rows.
    const packed = await packWindow(db.sql, new Date(A - HOUR));
    assert.ok(packed.rows > 0, "some level rows are packed");
    await db.sql`update markets set closed = true, closed_time = ${new Date(A - HOUR)}
      where market_id = 'm11'`;
    await db.sql`update markets set accepting_orders = false, updated_at = ${new Date(A - HOUR)}
      where market_id = 'm12'`;
    const ids = [...Array.from({ length: MARKETS }, (_, i) => `m${i}`), "m-unknown"];
    let compared = 0;
    const sources = new Set<string>();
    for (const at of [A - 3 * HOUR, A - 1, A, A + 30 * MINUTE, A + 2 * HOUR, SEED_END - DAY]) {
      for (const maxRestAgeMs of [6 * HOUR, 20 * MINUTE]) {
        const options = { at: new Date(at), maxRestAgeMs };
        const batch = await tradabilityAt(db.sql, ids, options);
        const reference = await perMarket(db.sql, ids, options);
        assert.equal(batch.size, MARKETS);
        assert.deepEqual(new Map([...batch].sort()), new Map([...reference].sort()));
        for (const state of batch.values()) {
          for (const side of [state.yes, state.no]) sources.add(`${side?.source} ${side?.reason}`);
          compared++;
        }
      }
    }
    assert.equal(compared, 12 * MARKETS);
    // At A: YES of m5 from its checkpoint, of m6 with a level only `exact` holds, NO of m0
    // from its sibling's paired rows.
    const atA = await tradabilityAt(db.sql, ["m0", "m5", "m6"], {
      at: new Date(A),
      maxRestAgeMs: HOUR,
    });
    assert.deepEqual(atA.get("m5")?.yes?.book?.asks, [["0.52", "9"], ["0.55", "4"]]);
    assert.deepEqual(atA.get("m6")?.yes?.book?.bids[1], ["0.4875", "1.234567"]);
    assert.equal(atA.get("m0")?.no?.source, "stream");
    assert.notDeepEqual(atA.get("m0")?.no?.book, {
      bids: [["0.49", "10"], ["0.48", "20"], ["0.47", "30"]],
      asks: [["0.51", "7"], ["0.52", "14"], ["0.53", "21"]],
    });
    const seen = [...sources].join("\n");
    for (
      const expected of [
        /^stream null$/m,
        /^rest_snapshot stream not covered: no_snapshot$/m,
        /^none stream not covered: unknown_token, no REST snapshot$/m,
        /^none stream not covered: no_snapshot, REST snapshot \d+ ms old \(bound 1200000 ms\)$/m,
        /not covered: tick_size_change/,
        /not covered: ended/,
        /not covered: gap/,
        /not covered: resolved/,
      ]
    ) assert.match(seen, expected, seen);
  });
});

/** Stream rows on a dozen of the seed's tokens (see the module header), in session 1. */
async function recordStream(sql: Sql): Promise<void> {
  const rows: BookEventRow[] = [];
  let seq = 0;
  const row = (
    tokenId: string,
    kind: number,
    at: number,
    level: { side?: 0 | 1; price?: string; size?: string; mirror?: string } = {},
  ) => {
    rows.push({
      session: 1,
      seq,
      conn: 0,
      tokenId,
      kind,
      side: level.side ?? null,
      price: level.price ?? null,
      size: level.size ?? null,
      ts: at - 40,
      receivedAt: at,
      mirrorTokenId: level.mirror ?? null,
    });
    // A paired row stands for the sibling's row seq + 1 too.
    seq += kind === KIND.pairedChange ? 2 : 1;
    return seq - 1;
  };
  const snapshot = (tokenId: string, at: number, mid: number) => {
    row(tokenId, KIND.book, at, { price: "0.01" });
    for (let k = 1; k <= 3; k++) {
      row(tokenId, KIND.bookLevel, at, {
        side: 0,
        price: (mid - k / 100).toFixed(2),
        size: `${k * 10}`,
      });
      row(tokenId, KIND.bookLevel, at, {
        side: 1,
        price: (mid + k / 100).toFixed(2),
        size: `${k * 7}`,
      });
    }
  };
  const change = (
    tokenId: string,
    at: number,
    side: 0 | 1,
    price: string,
    size: string,
    mirror?: string,
  ) =>
    row(tokenId, mirror === undefined ? KIND.priceChange : KIND.pairedChange, at, {
      side,
      price,
      size,
      mirror,
    });
  const m = (i: number) => seedMarket(i, 3);
  const t0 = A - 5 * HOUR;
  // m0: both tokens from snapshots, then paired changes (YES stored, NO mirrored), some after A.
  snapshot(m(0).yes, t0, 0.5);
  snapshot(m(0).no, t0 + 1, 0.5);
  for (let k = 0; k < 40; k++) {
    const at = t0 + 10 * MINUTE + k * 9 * MINUTE;
    change(
      m(0).yes,
      at,
      (k % 2) as 0 | 1,
      (0.45 + (k % 9) / 100).toFixed(2),
      k % 5 === 0 ? "0" : `${k + 1}`,
      m(0).no,
    );
  }
  // m1: a tick size change on YES an hour before A; NO never snapshotted.
  snapshot(m(1).yes, t0, 0.4);
  row(m(1).yes, KIND.tickSizeChange, A - HOUR, { price: "0.001" });
  // m2: YES ended (unsubscribed) 30 minutes before A, snapshotted again after A.
  snapshot(m(2).yes, t0, 0.3);
  row(m(2).yes, KIND.segmentEnd, A - 30 * MINUTE);
  snapshot(m(2).yes, A + HOUR, 0.31);
  // m3: an outage on its connection after its snapshot.
  snapshot(m(3).yes, t0, 0.6);
  snapshot(m(3).no, t0, 0.4);
  // m4: the market resolved on the stream 20 minutes after A.
  snapshot(m(4).yes, t0, 0.7);
  row(m(4).yes, KIND.marketResolved, A + 20 * MINUTE);
  // m5: a checkpoint (levels of its own) then changes after it.
  snapshot(m(5).yes, t0, 0.5);
  const checkpointSeq = change(m(5).yes, A - 2 * HOUR, 0, "0.48", "5");
  change(m(5).yes, A - HOUR, 1, "0.52", "9");
  change(m(5).yes, A + HOUR, 0, "0.47", "3");
  // m6: values finer than the stored units (kept in `exact`).
  snapshot(m(6).yes, t0, 0.5);
  change(m(6).yes, A - 90 * MINUTE, 0, "0.4875", "1.234567");
  change(m(6).yes, A + 10 * MINUTE, 1, "0.5125", "0.001");
  // m7 to m9: plain snapshots and changes, one of them a snapshot exactly at A.
  for (const i of [7, 8, 9]) {
    snapshot(m(i).yes, i === 9 ? A : t0 + i * MINUTE, 0.2 + i / 100);
    change(m(i).yes, A - 40 * MINUTE + i, 1, (0.3 + i / 100).toFixed(2), "0");
  }
  await insertBookEvents(sql, rows, { method: "copy" });
  const [key] = await sql<{ k: number }[]>`
    select token_key as k from token_keys where token_id = ${m(5).yes}`;
  await insertBookCheckpoints(sql, [{
    tokenKey: key!.k,
    session: 1,
    seq: checkpointSeq,
    receivedAt: new Date(A - 2 * HOUR),
    since: new Date(t0),
    bids: [["0.48", "5"], ["0.47", "12"]],
    asks: [["0.55", "4"]],
  }]);
  await sql`insert into gaps (collector, scope, start_at, end_at, cause, tokens)
    values ('stream', 'conn:0', ${new Date(A - 4 * HOUR)}, ${new Date(A - 4 * HOUR + MINUTE)},
      'disconnect', ${[m(3).yes, m(3).no]})`;
}

interface FactsRow extends StatusColumns {
  market_id: string;
  event_id: string | null;
  condition_id: string | null;
  tick_size: string | null;
  min_order_size: string | null;
  end_date: Date | null;
}

/** The reference: market by market, token by token (see the module header). */
async function perMarket(
  sql: Queryable,
  marketIds: readonly string[],
  options: TradabilityOptions,
): Promise<Map<string, MarketTradability>> {
  const rows = await sql<FactsRow[]>`
    select m.market_id, m.event_id, m.condition_id, m.tick_size::text, m.min_order_size::text,
      m.end_date, ${statusColumns(sql)}
    from markets m where m.market_id = any(${[...marketIds]})`;
  const out = new Map<string, MarketTradability>();
  for (const row of rows) {
    const facts = statusFactsOf(row);
    const verdict = tradableAt(facts, options.at);
    const metadata = (await marketMetadataAsOf(sql, row.market_id, options.at))?.metadata ?? null;
    const book = (token: string | null) =>
      token === null ? null : bookSourceOf(sql, token, options);
    out.set(row.market_id, {
      marketId: row.market_id,
      eventId: row.event_id,
      conditionId: row.condition_id,
      open: verdict.open,
      reason: verdict.reason,
      closedAt: closedAtOf(facts)?.at ?? null,
      yesTokenId: row.yes_token,
      noTokenId: row.no_token,
      yes: await book(row.yes_token),
      no: await book(row.no_token),
      metadata,
      fee: feeScheduleOf(metadata),
      tickSize: metadata?.tickSize ?? row.tick_size ?? "",
      minOrderSize: metadata?.minOrderSize ?? row.min_order_size ?? "",
      endDate: row.end_date,
    });
  }
  return out;
}

async function bookSourceOf(
  sql: Queryable,
  tokenId: string,
  options: TradabilityOptions,
): Promise<BookSource> {
  const streamed = await bookAt(sql, tokenId, { at: options.at });
  if (streamed.covered) {
    return {
      tokenId,
      source: "stream",
      book: streamed.book,
      since: streamed.since,
      ageMs: 0,
      reason: null,
    };
  }
  const uncovered = `stream not covered: ${streamed.reason}`;
  const none = { tokenId, source: "none" as const, book: null, since: null, ageMs: null };
  const [rest] = await sql<
    { ts: Date; bids: { price: string; size: string }[]; asks: { price: string; size: string }[] }[]
  >`
    select ts, bids, asks from book_snapshots
    where token_id = ${tokenId} and ts <= ${options.at} order by ts desc limit 1`;
  if (rest === undefined) return { ...none, reason: `${uncovered}, no REST snapshot` };
  const ageMs = options.at.getTime() - rest.ts.getTime();
  if (ageMs > options.maxRestAgeMs) {
    return {
      ...none,
      since: rest.ts,
      ageMs,
      reason: `${uncovered}, REST snapshot ${ageMs} ms old (bound ${options.maxRestAgeMs} ms)`,
    };
  }
  return {
    tokenId,
    source: "rest_snapshot",
    book: {
      bids: rest.bids.map((l) => [l.price, l.size] as const),
      asks: rest.asks.map((l) => [l.price, l.size] as const),
    },
    since: rest.ts,
    ageMs,
    reason: uncovered,
  };
}
