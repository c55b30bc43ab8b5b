/**
 * `streamBooksAt`: `bookAt` (stream/book_at.ts) for many tokens at one instant in a fixed number
 * of set-based queries instead of five to seven per token, with the same answers (the
 * agreement test, tests/tradability_batch_test.ts, compares both token by token):
 *
 * 1. token keys and sibling keys (`token_keys`, `token_pairs`); no key: `unknown_token`;
 * 2. resolved at or before the instant (a recorded `market_resolved` row, or a stored
 *    resolution): `resolved`;
 * 3. each token's newest start at or before the instant: its snapshot header (`kind` 0) or its
 *    checkpoint, whichever came last (a tie in time goes to the checkpoint unless the snapshot
 *    is a later row of the same session); none: `no_snapshot`;
 * 4. the level rows of every started token (its own from the start, and its sibling's paired
 *    rows, mirrored) up to the instant, read through `storedRowsOf` (rows and packs) for tokens
 *    whose starts lie within {@link START_SPAN_MS} of each other, then applied in arrival order
 *    by `applyRows`: `tick_size_change` or `ended` when one of those came first;
 * 5. an outage (`gaps`, as `gapNamesTokens`) that began after the start and by the instant: `gap`.
 */
import { KIND, MICRO_ONE, PRICE_UNIT, SIZE_UNIT } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import { decimalOfMicro } from "../db/_micro.ts";
import { applyRows, type Book, type BookAtResult, type StoredLevelRow } from "../stream/book_at.ts";
import { storedRowsOf } from "../stream/packer.ts";

type Level = [price: string, size: string];

/** Tokens whose starts are this close share one read of the stored rows. */
const START_SPAN_MS = 3_600_000;

interface StartRow {
  token_id: string;
  token_key: number;
  sibling: number | null;
  resolved: boolean;
  s_session: string | null;
  s_seq: string | null;
  s_at: Date | null;
  c_session: string | null;
  c_seq: string | null;
  c_at: Date | null;
  c_since: Date | null;
  bid_prices: number[] | null;
  bid_sizes: string[] | null;
  ask_prices: number[] | null;
  ask_sizes: string[] | null;
  c_exact: { bids: Level[]; asks: Level[] } | null;
}

interface Start {
  readonly tokenId: string;
  readonly key: number;
  readonly sibling: number;
  readonly session: string;
  readonly seq: string;
  readonly receivedAt: Date;
  readonly since: Date;
  /** The checkpoint's levels; null for a snapshot (its level rows follow it). */
  readonly book: Book | null;
}

/** Each token's `bookAt(sql, token, { at })`. */
export async function streamBooksAt(
  sql: Queryable,
  tokenIds: readonly string[],
  at: Date,
): Promise<Map<string, BookAtResult>> {
  const out = new Map<string, BookAtResult>();
  if (tokenIds.length === 0) return out;
  const rows = await sql<StartRow[]>`
    select k.token_id, k.token_key, p.sibling_key as sibling,
      (exists (select 1 from book_event_rows e where e.token_key = k.token_key
                 and e.kind = ${KIND.marketResolved} and e.received_at <= ${at})
       or exists (select 1 from tokens t join resolutions r on r.condition_id = t.condition_id
                  where t.token_id = k.token_id and r.status = 'resolved'
                    and r.resolved_at <= ${at})) as resolved,
      s.session as s_session, s.seq as s_seq, s.received_at as s_at,
      c.session as c_session, c.seq as c_seq, c.received_at as c_at, c.since as c_since,
      c.bid_prices, c.bid_sizes, c.ask_prices, c.ask_sizes, c.exact as c_exact
    from token_keys k
    left join token_pairs p on p.token_key = k.token_key
    left join lateral (
      select session, seq, received_at from book_event_rows e
      where e.token_key = k.token_key and e.kind = 0 and e.received_at <= ${at}
      order by received_at desc, seq desc limit 1) s on true
    left join lateral (
      select session, seq, received_at, since, bid_prices, bid_sizes, ask_prices, ask_sizes, exact
      from book_checkpoints b
      where b.token_key = k.token_key and b.received_at <= ${at}
      order by received_at desc, seq desc limit 1) c on true
    where k.token_id = any(${[...tokenIds]}::text[])`;
  const starts: Start[] = [];
  for (const row of rows) {
    if (row.resolved) out.set(row.token_id, { covered: false, reason: "resolved" });
    else {
      const start = startOf(row);
      if (start === null) out.set(row.token_id, { covered: false, reason: "no_snapshot" });
      else starts.push(start);
    }
  }
  const keyed = new Set(rows.map((r) => r.token_id));
  for (const id of tokenIds) {
    if (!keyed.has(id)) out.set(id, { covered: false, reason: "unknown_token" });
  }
  const rebuilt = new Map<string, BookAtResult & { covered: true }>();
  starts.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  for (let from = 0; from < starts.length;) {
    let to = from + 1;
    const first = starts[from]!.receivedAt.getTime();
    while (to < starts.length && starts[to]!.receivedAt.getTime() - first <= START_SPAN_MS) to++;
    const group = starts.slice(from, to);
    const levelRows = await startedRows(sql, group, at);
    for (const start of group) {
      const book = applyRows(levelRows.get(start.key) ?? [], start.book);
      if (book === "tick_size_change" || book === "ended") {
        out.set(start.tokenId, { covered: false, reason: book });
      } else rebuilt.set(start.tokenId, { covered: true, book, since: start.since });
    }
    from = to;
  }
  const gapped = await gappedTokens(sql, rebuilt, at);
  for (const [id, result] of rebuilt) {
    out.set(id, gapped.has(id) ? { covered: false, reason: "gap" } : result);
  }
  return out;
}

/** `latestStart`'s choice between the newest snapshot and the newest checkpoint. */
function startOf(row: StartRow): Start | null {
  const base = { tokenId: row.token_id, key: row.token_key, sibling: row.sibling ?? -1 };
  const snapshot = row.s_session === null ? null : {
    ...base,
    session: row.s_session,
    seq: row.s_seq!,
    receivedAt: row.s_at!,
    since: row.s_at!,
    book: null,
  };
  if (row.c_session === null) return snapshot;
  if (
    snapshot !== null && (snapshot.receivedAt > row.c_at! ||
      (snapshot.receivedAt.getTime() === row.c_at!.getTime() &&
        (snapshot.session !== row.c_session || BigInt(snapshot.seq) > BigInt(row.c_seq!))))
  ) return snapshot;
  const levels = (prices: number[] | null, sizes: string[] | null): Level[] =>
    (prices ?? []).map((p, i) => [decimalOfMicro(String(p)), decimalOfMicro(sizes![i]!)]);
  return {
    ...base,
    session: row.c_session,
    seq: row.c_seq!,
    receivedAt: row.c_at!,
    since: row.c_since!,
    book: row.c_exact ?? {
      bids: levels(row.bid_prices, row.bid_sizes),
      asks: levels(row.ask_prices, row.ask_sizes),
    },
  };
}

/** Each started token's rows (`rebuild`'s), by token key, in the order `applyRows` wants. */
async function startedRows(
  sql: Queryable,
  group: readonly Start[],
  at: Date,
): Promise<Map<number, StoredLevelRow[]>> {
  const keys = [...new Set(group.flatMap((s) => [s.key, s.sibling]))];
  const from = group[0]!.receivedAt;
  const keyOf = group.map((s) => s.key), siblingOf = group.map((s) => s.sibling);
  const sessionOf = group.map((s) => s.session), seqOf = group.map((s) => s.seq);
  const fromOf = group.map((s) => s.receivedAt.toISOString());
  // 1: a snapshot start, whose header row is read too.
  const snapOf = group.map((s) => s.book === null ? 1 : 0);
  // One line per token read for a target: its own rows and its sibling's paired rows, so the
  // join is on (session, token key) and never pairs a row with every target of its session.
  const rows = await sql<(StoredLevelRow & { target: number; ord: number })[]>`
    with t as (
      select * from unnest(${keyOf}::int4[], ${siblingOf}::int4[], ${sessionOf}::int8[],
        ${seqOf}::int8[], ${fromOf}::timestamptz[], ${snapOf}::int4[])
        as t(key, sibling, session, seq, from_at, snap)
    ), k as (
      select key as target, key as read_key, true as own, session, seq, from_at, snap from t
      union all
      select key, sibling, false, session, seq, from_at, snap from t where sibling <> -1)
    select k.target,
      (case when k.own then r.kind else ${KIND.priceChange} end)::int2 as kind,
      (case when k.own then r.side else 1 - r.side end)::int2 as side,
      (case when k.own then r.price * ${PRICE_UNIT}
            else ${MICRO_ONE} - r.price * ${PRICE_UNIT} end)::int4 as price,
      r.size * ${SIZE_UNIT} as size, r.exact,
      (r.seq + (case when k.own then 0 else 1 end))::float8 as ord
    from k join ${
    storedRowsOf(sql, { tokenKeys: keys, session: null, from, to: at })
  } r on r.session = k.session and r.token_key = k.read_key
    where r.received_at >= k.from_at and r.received_at <= ${at}
      and ((k.own and (r.seq > k.seq or (k.snap = 1 and r.seq = k.seq))
            and r.kind in (0, 1, 2, 3, 8, 9))
        or (not k.own and r.kind = ${KIND.pairedChange} and r.seq >= k.seq))`;
  // Arrival order per token, sorted here: sorting every target's rows in one ORDER BY spilled
  // to disk at a few thousand tokens.
  const out = new Map<number, (StoredLevelRow & { ord: number })[]>();
  for (const { target, ...row } of rows) {
    const list = out.get(target);
    if (list === undefined) out.set(target, [row]);
    else list.push(row);
  }
  for (const list of out.values()) list.sort((a, b) => a.ord - b.ord);
  return out;
}

/** The tokens an outage named after their start and by the instant (`gapNamesTokens`). */
async function gappedTokens(
  sql: Queryable,
  rebuilt: ReadonlyMap<string, { since: Date }>,
  at: Date,
): Promise<Set<string>> {
  if (rebuilt.size === 0) return new Set();
  const ids = [...rebuilt.keys()];
  const rows = await sql<{ token_id: string }[]>`
    select t.token_id from unnest(${ids}::text[],
      ${ids.map((id) => rebuilt.get(id)!.since.toISOString())}::timestamptz[]) as t(token_id, since)
    where exists (
      select 1 from gaps g
      where g.start_at >= t.since and g.start_at <= ${at}
        and (g.collector = 'stream' or g.scope like 'conn:%')
        and (g.scope = '*' or g.scope = t.token_id or g.tokens && array[t.token_id]))`;
  return new Set(rows.map((r) => r.token_id));
}
