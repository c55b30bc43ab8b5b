/**
 * `replayBookEventsFromParquet`: the recorded stream replayed from a `pmcollect export` folder
 * (`DIR/book_events/date=…/part-*.parquet` and `DIR/token_keys/all/`) instead of the database,
 * yielding exactly the `BookEvent`s `replayBookEvents` yields for the same rows.
 *
 * Each exported file of `book_events` is sorted by arrival order `(session, seq)` and its
 * manifest names its first and last key (export/export_partition.ts), so files whose key ranges
 * follow one another are streamed one after the other as DuckDB decodes them, with no sort;
 * files whose ranges overlap (the recorder's concurrent writes leave the table only roughly in
 * order) are merged row by row, and only files exported without their order are sorted by
 * DuckDB. The order is checked row by row: rows out of order end the replay with an error
 * rather than a wrong book.
 *
 * @example
 * ```ts ignore
 * import { replayBookEventsFromParquet } from "./replay_parquet.ts";
 * for await (const e of replayBookEventsFromParquet("./export", { tokenIds: ["123"] })) {
 *   scanner.apply(e);
 * }
 * ```
 */
import { join } from "node:path";
import { type DuckChunk, type DuckDb, duckString, openDuckDb } from "../export/_duckdb.ts";
import { type Manifest, readManifest } from "../export/manifest.ts";
import type { BookEvent } from "./book_event.ts";
import {
  assembleBatches,
  type EventColumns,
  type Exact,
  pacer,
  type ReplayOptions,
} from "./replay.ts";

/** An export folder that cannot be replayed (missing parts, or rows out of order). */
export class ParquetReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParquetReplayError";
  }
}

/** Recorded book events from the Parquet export under `dir`, in arrival order. */
export async function* replayBookEventsFromParquet(
  dir: string,
  options: Omit<ReplayOptions, "pageRows"> = {},
): AsyncGenerator<BookEvent> {
  const pace = pacer(options);
  for await (const events of replayParquetBatches(dir, options)) {
    for (const event of events) {
      if (pace !== null) await pace(event.receivedAt);
      yield event;
    }
  }
}

/**
 * {@link replayBookEventsFromParquet} a batch of events at a time (unpaced): the fast way in
 * for a consumer of millions of events a second.
 */
export async function* replayParquetBatches(
  dir: string,
  options: Omit<ReplayOptions, "pageRows" | "pace"> = {},
): AsyncGenerator<BookEvent[]> {
  // One DuckDB thread: a file decodes on one thread anyway, and on a 2-core machine a second
  // worker only takes the core the consumer needs (measured: 1.4-1.9 M rows/s with one, 0.7-1.4
  // M with two, run to run).
  const duck = await openDuckDb({ threads: 1 });
  try {
    const idOf = await tokenDictionary(duck, dir, options.tokenIds);
    if (options.tokenIds !== undefined && idOf.size === 0) return;
    const groups = await fileGroups(dir, options.from, options.to);
    const where = [
      "kind in (0, 1, 2, 3, 6, 8)",
      ...(options.from === undefined ? [] : [`received_at >= ${timestamp(options.from)}`]),
      ...(options.to === undefined ? [] : [`received_at < ${timestamp(options.to)}`]),
      ...(options.tokenIds === undefined ? [] : [`token_key in (${[...idOf.keys()].join(",")})`]),
    ].join(" and ");
    yield* assembleBatches(inOrder(duck, groups, where), idOf, options.signal);
  } finally {
    duck.close();
  }
}

/**
 * Files read together: one after another (`stream`), merged row by row because their key
 * ranges overlap (`merge`, each file being sorted), or sorted by DuckDB because some were
 * exported without their order (`sort`).
 */
interface FileGroup {
  readonly files: PlacedFile[];
  mode: "stream" | "merge" | "sort";
}

interface PlacedFile {
  readonly path: string;
  readonly first: readonly bigint[];
  readonly last: readonly bigint[];
}

const NO_KEY: readonly bigint[] = [];

/** The files of the days that meet [from, to), grouped so that groups follow one another. */
async function fileGroups(dir: string, from?: Date, to?: Date): Promise<FileGroup[]> {
  const tableDir = join(dir, "book_events");
  const folders: string[] = [];
  try {
    for await (const e of Deno.readDir(tableDir)) {
      if (e.isDirectory && /^date=\d{4}-\d{2}-\d{2}$/.test(e.name)) folders.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ParquetReplayError(`${tableDir} not found: export book_events first`);
    }
    throw err;
  }
  const placed: PlacedFile[] = [];
  const unplaced: string[] = [];
  for (const folder of folders.sort()) {
    const dayStart = Date.parse(`${folder.slice(5)}T00:00:00Z`);
    if (to !== undefined && dayStart >= to.getTime()) continue;
    if (from !== undefined && dayStart + 86_400_000 <= from.getTime()) continue;
    const manifest = await readManifest(join(tableDir, folder));
    if (manifest === null) {
      throw new ParquetReplayError(`${join(tableDir, folder)} has no readable _manifest.json`);
    }
    for (const f of manifest.files) {
      const path = join(tableDir, folder, f.name);
      if (isArrivalOrdered(manifest) && f.first !== undefined && f.last !== undefined) {
        placed.push({ path, first: f.first.map(BigInt), last: f.last.map(BigInt) });
      } else unplaced.push(path);
    }
  }
  // Files exported without their order are read with everything else, sorted.
  if (unplaced.length > 0) {
    const all = [...placed.map((f) => f.path), ...unplaced];
    return [{ files: all.map((path) => ({ path, first: NO_KEY, last: NO_KEY })), mode: "sort" }];
  }
  placed.sort((a, b) => compareKeys(a.first, b.first));
  const groups: FileGroup[] = [];
  let reach: readonly bigint[] | null = null;
  for (const f of placed) {
    if (reach !== null && compareKeys(f.first, reach) <= 0) {
      const group = groups[groups.length - 1]!;
      group.files.push(f);
      group.mode = "merge";
      if (compareKeys(f.last, reach) > 0) reach = f.last;
    } else {
      groups.push({ files: [f], mode: "stream" });
      reach = f.last;
    }
  }
  return groups;
}

function isArrivalOrdered(m: Manifest): boolean {
  return m.order?.join(",") === "session,seq";
}

function compareKeys(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** 2^53: sizes from here on travel as text. */
const SAFE = "9007199254740992";

/** Every group's rows as columns, checking that (session, seq) only grows. */
async function* inOrder(
  duck: DuckDb,
  groups: readonly FileGroup[],
  where: string,
): AsyncGenerator<EventColumns> {
  let lastSession = -Infinity;
  let lastSeq = -Infinity;
  for (const group of groups) {
    const batches = group.mode === "merge"
      ? merged(duck, group.files, where)
      : decoded(duck.chunks(query(group.files.map((f) => f.path), where, group.mode === "sort")));
    for await (const c of batches) {
      for (let i = 0; i < c.length; i++) {
        const session = c.session[i]!;
        const seq = c.seq[i]!;
        if (session < lastSession || (session === lastSession && seq <= lastSeq)) {
          throw new ParquetReplayError(
            `rows out of arrival order in ${group.files.map((f) => f.path).join(", ")}: ` +
              `(${session}, ${seq}) after (${lastSession}, ${lastSeq})`,
          );
        }
        lastSession = session;
        lastSeq = seq;
      }
      yield c;
    }
  }
}

function query(paths: readonly string[], where: string, sort: boolean): string {
  return `
    select session::double, seq::double, conn, token_key, kind,
           coalesce(side, -1), coalesce(price, -1),
           coalesce(case when size < ${SAFE} then size::double end, -1),
           exact is not null or coalesce(size >= ${SAFE}, false),
           epoch_us(ts) / 1000.0, epoch_us(received_at) / 1000.0,
           case when size >= ${SAFE} then size::varchar end, exact::varchar
    from read_parquet([${paths.map(duckString).join(", ")}]) where ${where}
    ${sort ? "order by session, seq" : ""}`;
}

type Batch = EventColumns & { readonly session: ArrayLike<number> };

async function* decoded(chunks: AsyncIterable<DuckChunk>): AsyncGenerator<Batch> {
  for await (const chunk of chunks) yield columnsOf(chunk);
}

/** One sorted file being merged: its current batch and row. */
interface Cursor {
  readonly batches: AsyncGenerator<Batch>;
  batch: Batch;
  row: number;
}

/** Rows read past before a merged batch is handed on. */
const MERGED_BATCH = 4096;

/**
 * Sorted files whose key ranges overlap, merged into one sorted stream. Files are opened in the
 * order of their first keys, each once the merge has reached that key, so only the files that
 * really overlap at a point are open together (usually two), each on its own connection.
 */
async function* merged(
  duck: DuckDb,
  files: readonly PlacedFile[],
  where: string,
): AsyncGenerator<Batch> {
  const starts = files.map((f) => f.first.map(Number) as [number, number]);
  const active: Cursor[] = [];
  let next = 0;
  const open = async () => {
    const batches = decoded(duck.chunks(query([files[next]!.path], where, false), { own: true }));
    next++;
    const first = await advance(batches);
    if (first !== null) active.push({ batches, batch: first, row: 0 });
  };
  /** Moves the k-th open file on to its next batch, or closes it. */
  const refill = async (k: number) => {
    const c = active[k]!;
    const more = await advance(c.batches);
    if (more === null) active.splice(k, 1);
    else (c.batch = more, c.row = 0);
  };
  try {
    let out = emptyBatch();
    for (;;) {
      // The smallest head among the open files.
      let min = -1;
      for (let k = 0; k < active.length; k++) {
        if (min < 0 || before(active[k]!, active[min]!)) min = k;
      }
      const head = min < 0 ? null : active[min]!;
      if (next < files.length && (head === null || startsBy(starts[next]!, head.batch, head.row))) {
        await open();
        continue;
      }
      if (head === null) break;
      const last = head.batch.length - 1;
      if (
        active.length === 1 && !(next < files.length && startsBy(starts[next]!, head.batch, last))
      ) {
        // No other file starts before this batch ends: hand the rest of it on as it is.
        if (out.length > 0) yield out;
        out = emptyBatch();
        yield head.row === 0 ? head.batch : sliceBatch(head.batch, head.row);
        await refill(min);
        continue;
      }
      copyRow(head.batch, head.row, out);
      if (++head.row >= head.batch.length) await refill(min);
      if (out.length >= MERGED_BATCH) {
        yield out;
        out = emptyBatch();
      }
    }
    if (out.length > 0) yield out;
  } finally {
    for (const c of active) await c.batches.return(undefined);
  }
}

/** Whether a file starting at `start` (session, seq) starts at or before row `row` of `batch`. */
function startsBy(start: readonly [number, number], batch: Batch, row: number): boolean {
  const session = batch.session[row]!;
  return start[0] < session || (start[0] === session && start[1] <= batch.seq[row]!);
}

function sliceBatch(b: Batch, from: number): Batch {
  return {
    length: b.length - from,
    session: Array.prototype.slice.call(b.session, from),
    seq: Array.prototype.slice.call(b.seq, from),
    conn: Array.prototype.slice.call(b.conn, from),
    key: Array.prototype.slice.call(b.key, from),
    kind: Array.prototype.slice.call(b.kind, from),
    side: Array.prototype.slice.call(b.side, from),
    price: Array.prototype.slice.call(b.price, from),
    size: Array.prototype.slice.call(b.size, from),
    ts: Array.prototype.slice.call(b.ts, from),
    at: Array.prototype.slice.call(b.at, from),
    exact: Array.prototype.slice.call(b.exact, from),
  };
}

async function advance(batches: AsyncGenerator<Batch>): Promise<Batch | null> {
  for (;;) {
    const r = await batches.next();
    if (r.done) return null;
    if (r.value.length > 0) return r.value;
  }
}

function before(a: Cursor, b: Cursor): boolean {
  const sa = a.batch.session[a.row]!;
  const sb = b.batch.session[b.row]!;
  return sa < sb || (sa === sb && a.batch.seq[a.row]! < b.batch.seq[b.row]!);
}

function emptyBatch(): Batch & { length: number } {
  return {
    length: 0,
    session: [],
    seq: [],
    conn: [],
    key: [],
    kind: [],
    side: [],
    price: [],
    size: [],
    ts: [],
    at: [],
    exact: [],
  };
}

function copyRow(from: Batch, i: number, to: Batch & { length: number }): void {
  (to.session as number[]).push(from.session[i]!);
  (to.seq as number[]).push(from.seq[i]!);
  (to.conn as number[]).push(from.conn[i]!);
  (to.key as number[]).push(from.key[i]!);
  (to.kind as number[]).push(from.kind[i]!);
  (to.side as (number | null)[]).push(from.side[i]!);
  (to.price as (number | null)[]).push(from.price[i]!);
  (to.size as (number | string | null)[]).push(from.size[i]!);
  (to.ts as number[]).push(from.ts[i]!);
  (to.at as number[]).push(from.at[i]!);
  (to.exact as (Exact | null)[]).push(from.exact[i]!);
  to.length++;
}

/**
 * A chunk as columns. The nullable numbers come as -1 for NULL (no value is negative) and the
 * rare text columns are read only where column 8 says a row has one: a column with NULLs costs
 * the package a BigInt test per value, which was a tenth of the replay. Numeric columns are
 * copied out of the vector's typed array where the package exposes one (`items`; no NULLs
 * here), one value at a time otherwise.
 */
function columnsOf(chunk: DuckChunk): Batch {
  const n = chunk.rowCount;
  /** The column's values: the vector's own typed array (valid with the chunk) or a copy. */
  const view = (column: number): number[] | Float64Array | Int32Array | Int16Array => {
    const vector = chunk.getColumnVector(column);
    const items = vector.items;
    if (
      (items instanceof Float64Array || items instanceof Int32Array ||
        items instanceof Int16Array) && items.length === n
    ) return items;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = vector.getItem(i) as number;
    return out;
  };
  const read = (column: number): ArrayLike<number> => {
    const values = view(column);
    return Array.isArray(values) ? values : values.slice();
  };
  const orNull = (column: number): (number | null)[] => {
    const values = view(column);
    const out = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      out[i] = v < 0 ? null : v;
    }
    return out;
  };
  const size: (number | string | null)[] = orNull(7);
  const exact = new Array<Exact | null>(n).fill(null);
  const odd = chunk.getColumnVector(8);
  for (let i = 0; i < n; i++) {
    if (odd.getItem(i) !== true) continue;
    const big = chunk.getColumnVector(11).getItem(i) as string | null;
    if (big !== null) size[i] = big;
    const text = chunk.getColumnVector(12).getItem(i) as string | null;
    if (text !== null) exact[i] = JSON.parse(text) as Exact;
  }
  return {
    length: n,
    session: read(0),
    seq: read(1),
    conn: read(2),
    key: read(3),
    kind: read(4),
    side: orNull(5),
    price: orNull(6),
    size,
    ts: read(9),
    at: read(10),
    exact,
  };
}

/** The token dictionary exported with `--tables token_keys` (only `tokenIds` when given). */
async function tokenDictionary(
  duck: DuckDb,
  dir: string,
  tokenIds: readonly string[] | undefined,
): Promise<Map<number, string>> {
  const folder = join(dir, "token_keys", "all");
  if (await readManifest(folder) === null) {
    throw new ParquetReplayError(`${folder} not found: export token_keys with the stream`);
  }
  const filter = tokenIds === undefined
    ? ""
    : `where token_id in (${tokenIds.map(duckString).join(", ") || "''"})`;
  const rows = await duck.rows(
    `select token_key::integer as key, token_id::varchar as id
     from read_parquet(${duckString(join(folder, "*.parquet"))}) ${filter}`,
  );
  return new Map(rows.map((r) => [Number(r.key), String(r.id)]));
}

function timestamp(d: Date): string {
  return `${duckString(d.toISOString())}::timestamptz`;
}
