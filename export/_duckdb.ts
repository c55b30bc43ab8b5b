/**
 * DuckDB, loaded only when an export runs: the specifier is not a literal, so neither
 * `deno task start` nor the daemon's module graph installs or loads the native library.
 * Only the few calls the export uses are typed here.
 *
 * @example
 * ```ts
 * import { openDuckDb } from "./_duckdb.ts";
 * const duck = await openDuckDb();
 * try { await duck.rows("select 42 as answer"); } finally { duck.close(); }
 * ```
 */

/** The package, pinned in deno.json (README, Dependencies). */
const DUCKDB_PACKAGE = "@duckdb/node-api";

export interface DuckAppender {
  appendVarchar(value: string): void;
  appendNull(): void;
  endRow(): void;
  appendDataChunk(chunk: unknown): void;
  flushSync(): void;
  closeSync(): void;
}

/** A column for {@link DuckDb.appendColumns}: its DuckDB type and its values, row by row. */
export type DuckColumn =
  | { readonly type: "integer" | "double"; readonly values: readonly (number | null)[] }
  | { readonly type: "varchar"; readonly values: readonly (string | null)[] };

/** One column of a chunk. */
export interface DuckVector {
  getItem(row: number): unknown;
  /** A numeric vector's values as a typed array over DuckDB's memory (valid with the chunk). */
  readonly items?: unknown;
  /** A DECIMAL vector's type, and a 128-bit one's values (16 bytes each, little-endian). */
  readonly decimalType?: { readonly width: number; readonly scale: number };
  readonly dataView?: DataView;
  readonly validity?: { itemValid(row: number): boolean };
}

/** One chunk of a streamed result (up to 2,048 rows), read column by column. */
export interface DuckChunk {
  readonly rowCount: number;
  getColumnVector(column: number): DuckVector;
}

interface DuckConnection {
  run(sql: string): Promise<unknown>;
  stream(sql: string): Promise<{ fetchChunk(): Promise<DuckChunk | null> }>;
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): Record<string, unknown>[] }>;
  createAppender(table: string): Promise<DuckAppender>;
  closeSync(): void;
}

interface DuckInstance {
  connect(): Promise<DuckConnection>;
  closeSync(): void;
}

interface DuckModule {
  DuckDBInstance: {
    create(path: string, options?: Record<string, string>): Promise<DuckInstance>;
  };
  DuckDBDataChunk: {
    create(types: readonly unknown[], rowCount: number): {
      setColumnValues(column: number, values: readonly unknown[]): void;
    };
  };
  INTEGER: unknown;
  DOUBLE: unknown;
  VARCHAR: unknown;
}

/** Rows per data chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2_048;

export interface DuckDb {
  run(sql: string): Promise<void>;
  /** Rows as plain JS values (BIGINT → bigint, DECIMAL → string-exact via casts in SQL). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  appender(table: string): Promise<DuckAppender>;
  /**
   * Appends rows to `table`, given column by column (equal lengths, in the table's column
   * order), a data chunk at a time: a number is written straight into the chunk's memory,
   * where an appender's call per value costs more than the rest of a lookup table's work.
   */
  appendColumns(table: string, columns: readonly DuckColumn[]): Promise<void>;
  /**
   * The result chunk by chunk, as DuckDB produces it (memory stays at a chunk or two); with
   * `own`, on a connection of its own, so that several results can be read at once.
   */
  chunks(sql: string, options?: { own?: boolean }): AsyncGenerator<DuckChunk>;
  close(): void;
}

/**
 * An in-memory DuckDB with a memory cap (it spills to a temp directory beyond it) and `threads`
 * worker threads (default 2: the export's sorts and writes use both).
 */
export async function openDuckDb(
  options: { memoryLimit?: string; threads?: number } = {},
): Promise<DuckDb> {
  const specifier = DUCKDB_PACKAGE;
  const module = await import(specifier) as DuckModule;
  const instance = await module.DuckDBInstance.create(":memory:", {
    memory_limit: options.memoryLimit ?? "1GB",
    threads: String(options.threads ?? 2),
  });
  const connection = await instance.connect();
  return {
    run: async (sql) => {
      await connection.run(sql);
    },
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS(),
    appender: (table) => connection.createAppender(table),
    appendColumns: async (table, columns) => {
      const types = columns.map((c) =>
        c.type === "integer" ? module.INTEGER : c.type === "double" ? module.DOUBLE : module.VARCHAR
      );
      const rows = columns[0]?.values.length ?? 0;
      if (columns.some((c) => c.values.length !== rows)) {
        throw new RangeError(`appendColumns(${table}): columns of different lengths`);
      }
      const appender = await connection.createAppender(table);
      try {
        for (let start = 0; start < rows; start += CHUNK_ROWS) {
          const end = Math.min(rows, start + CHUNK_ROWS);
          const chunk = module.DuckDBDataChunk.create(types, end - start);
          columns.forEach((c, j) => chunk.setColumnValues(j, c.values.slice(start, end)));
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    chunks: async function* (sql, options = {}) {
      const own = options.own === true ? await instance.connect() : null;
      let next: Promise<DuckChunk | null> | null = null;
      try {
        const result = await (own ?? connection).stream(sql);
        // One chunk ahead: DuckDB decodes the next while the caller works on this one.
        next = result.fetchChunk();
        for (;;) {
          const chunk = await next;
          if (chunk === null || chunk.rowCount === 0) return;
          next = result.fetchChunk();
          yield chunk;
        }
      } finally {
        // A fetch still running when the caller stops early ends before its connection does.
        await next?.catch(() => null);
        own?.closeSync();
      }
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A DuckDB string literal: 'it''s'. */
export function duckString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A DuckDB (and PostgreSQL) quoted identifier: "a""b". */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A number from one of DuckDB's values: a DECIMAL through its exact text, the nearest double. */
export function numberOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return Number(typeof value === "object" ? String(value) : value);
}

/** 5^k for k = 0…31. */
const POW5 = Array.from({ length: 32 }, (_, k) => 5 ** k);

/**
 * A reader of a numeric column's values as numbers: a DECIMAL as the nearest double of its exact
 * value (what `Number` gives of its text). For a 128-bit DECIMAL of scale 18 to 37 whose value
 * is a whole number of millionths below 2⁶⁴ (an export's prices), read straight from the
 * vector's bytes as millionths ÷ 10⁶, the same double (one correctly rounded division of two
 * exact doubles); any other value through its text. The text path builds a value object and its
 * decimal string per item, and was most of the cost of reading DuckDB's price answers.
 */
export function numberReader(vector: DuckVector): (row: number) => number | null {
  const slow = (row: number) => numberOf(vector.getItem(row));
  const view = vector.dataView, validity = vector.validity, type = vector.decimalType;
  if (view === undefined || validity === undefined || type === undefined) return slow;
  const k = type.scale - 6;
  if (type.width <= 18 || k < 12 || k > 31) return slow;
  // value = hi·2³² + lo (the upper 64 bits zero); value / 10^k = (value / 2^k) / 5^k, and
  // value / 2^k = hi·2^(32−k) + (lo >>> k) is below 2⁵² when the low k bits are zero.
  const low = 2 ** k - 1, scaleHi = 2 ** (32 - k), five = POW5[k]!;
  return (row) => {
    if (!validity.itemValid(row)) return null;
    const at = row * 16;
    const lo = view.getUint32(at, true);
    if (
      (lo & low) !== 0 || view.getUint32(at + 8, true) !== 0 || view.getUint32(at + 12, true) !== 0
    ) {
      return slow(row);
    }
    const shifted = view.getUint32(at + 4, true) * scaleHi + (lo >>> k);
    return shifted % five === 0 ? shifted / five / 1_000_000 : slow(row);
  };
}
