/**
 * What a bench's hypertables and the recorded stream hold at the end, for the storage bench
 * (issue 26): all of it, and the settled part, the run of compressed chunks that begins a table
 * (what the disk keeps per day), measured with PostgreSQL's and TimescaleDB's own size
 * functions (`chunks_detailed_size`, `hypertable_size`, `pg_total_relation_size`). On plain
 * PostgreSQL nothing settles: the figures are the uncompressed ones.
 *
 * @example
 * ```ts ignore
 * import { held, streamHeld } from "./_held.ts";
 * const prices = await held(sql, "timescale", "price_snapshot_data", "ts", start);
 * const stream = await streamHeld(sql, "timescale", start);
 * ```
 */
import type { Sql } from "../db/client.ts";
import type { SchemaMode } from "../db/migrate.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

/** What a hypertable holds at the end: all of it, and its settled (compressed) head. */
export interface Held {
  readonly rows: number;
  readonly bytes: number;
  /** Rows and bytes of the compressed chunks that begin the table, and the hours they span. */
  readonly settledRows: number;
  readonly settledBytes: number;
  readonly settledHours: number;
  readonly settledEnd: number;
  readonly chunks: number;
  readonly compressedChunks: number;
}

/** Reads `table`'s chunks with PostgreSQL's and TimescaleDB's size functions. */
export async function held(sql: Sql, mode: SchemaMode, table: string, time: string, start: number) {
  await sql.unsafe(`vacuum analyze ${table}`);
  const [all] = await sql.unsafe(`select count(*)::float8 as n from ${table}`);
  const rows = Number(all!.n);
  if (mode !== "timescale") {
    const [r] = await sql`select pg_total_relation_size(${table}::regclass)::float8 as n`;
    const bytes = Number(r!.n);
    return {
      rows,
      bytes,
      settledRows: 0,
      settledBytes: 0,
      settledHours: 0,
      settledEnd: start,
      chunks: 0,
      compressedChunks: 0,
    } satisfies Held;
  }
  const ts = `"${(await timescaleSchema(sql))!.replaceAll('"', '""')}"`;
  const chunks = await sql.unsafe<
    { start: Date; end: Date; compressed: boolean; bytes: number }[]
  >(
    `select c.range_start as start, c.range_end as "end", c.is_compressed as compressed,
            s.total_bytes::float8 as bytes
     from timescaledb_information.chunks c
     join ${ts}.chunks_detailed_size($1::regclass) s
       on s.chunk_schema = c.chunk_schema and s.chunk_name = c.chunk_name
     where format('%I.%I', c.hypertable_schema, c.hypertable_name)::regclass = $1::regclass
     order by c.range_start`,
    [table],
  );
  const [size] = await sql.unsafe(`select ${ts}.hypertable_size($1::regclass)::float8 as n`, [
    table,
  ]);
  let settledEnd = start;
  let settledBytes = 0;
  for (const c of chunks) {
    if (!c.compressed) break;
    settledEnd = c.end.getTime();
    settledBytes += c.bytes;
  }
  const [s] = await sql.unsafe(
    `select count(*)::float8 as n from ${table} where ${time} < $1::timestamptz`,
    [new Date(settledEnd).toISOString()],
  );
  return {
    rows,
    bytes: Number(size!.n),
    settledRows: Number(s!.n),
    settledBytes,
    settledHours: Math.max(0, settledEnd - start) / 3_600_000,
    settledEnd,
    chunks: chunks.length,
    compressedChunks: chunks.filter((c) => c.compressed).length,
  } satisfies Held;
}

/**
 * The stream's settled part: `book_event_rows`' compressed chunks, and the share of the packs
 * and checkpoints (plain tables) of the same hours, by their rows' stored bytes.
 */
export async function streamHeld(sql: Sql, mode: SchemaMode, start: number) {
  const rows = await held(sql, mode, "book_event_rows", "received_at", start);
  const end = new Date(mode === "timescale" ? rows.settledEnd : Date.UTC(9999, 0));
  await sql`vacuum analyze book_event_packs`;
  await sql`vacuum analyze book_checkpoints`;
  const [r] = await sql<
    {
      packs: number;
      packsIn: number;
      checkpoints: number;
      checkpointsIn: number;
      pairs: number;
      events: number;
      eventsIn: number;
    }[]
  >`
    select pg_total_relation_size('book_event_packs')::float8 *
             coalesce((select sum(pg_column_size(p.*)) filter (where first_at < ${end}) /
                              nullif(sum(pg_column_size(p.*)), 0)
                       from book_event_packs p), 0) as "packsIn",
           pg_total_relation_size('book_event_packs')::float8 as packs,
           pg_total_relation_size('book_checkpoints')::float8 *
             coalesce((select sum(pg_column_size(c.*)) filter (where received_at < ${end}) /
                              nullif(sum(pg_column_size(c.*)), 0)
                       from book_checkpoints c), 0) as "checkpointsIn",
           pg_total_relation_size('book_checkpoints')::float8 as checkpoints,
           pg_total_relation_size('token_pairs')::float8 as pairs,
           e.events, e."eventsIn"
    from (select count(*)::float8 as events,
                 (count(*) filter (where received_at < ${end}))::float8 as "eventsIn"
          from book_events) e`;
  return {
    rows,
    events: r!.events,
    settledEvents: mode === "timescale" ? r!.eventsIn : r!.events,
    bytes: rows.bytes + r!.packs + r!.checkpoints,
    settledBytes: mode === "timescale"
      ? rows.settledBytes + r!.packsIn + r!.checkpointsIn
      : rows.bytes + r!.packs + r!.checkpoints,
    pairsBytes: r!.pairs,
    /** The settled part's packs and checkpoints (the rest of it is `rows.settledBytes`). */
    settledPacks: mode === "timescale" ? r!.packsIn : r!.packs,
    settledCheckpoints: mode === "timescale" ? r!.checkpointsIn : r!.checkpoints,
  };
}
