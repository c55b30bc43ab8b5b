/**
 * A relation's columns as the export sees them: read from the catalog at run time (so a
 * table whose encoding changes needs no code change here), each with the text expression
 * PostgreSQL renders it through and the Parquet (DuckDB) type it is cast back to.
 *
 * Mapping (docs/export.md): integers → INT16/32/64; `numeric(p,s)` with p ≤ 38 → DECIMAL(p,s);
 * unconstrained `numeric` → DECIMAL(38,18) when every value of the partition fits, else
 * VARCHAR with the exact text; real/double → FLOAT/DOUBLE (PostgreSQL's shortest exact text);
 * `timestamptz` → TIMESTAMP WITH TIME ZONE (UTC, µs); json/jsonb → JSON (the text PostgreSQL
 * prints); one-dimensional arrays → LIST of the element type; anything else → VARCHAR.
 *
 * @example
 * ```ts
 * import { readColumns } from "./columns.ts";
 * const columns = await readColumns(sql, "trades");
 * columns.map((c) => `${c.name}: ${c.parquetType}`); // ["token_id: VARCHAR", "ts: TIMESTAMPTZ", ...]
 * ```
 */
import type { Queryable } from "../db/client.ts";

export interface ExportColumn {
  readonly name: string;
  /** PostgreSQL's own spelling, e.g. "numeric(20,6)", "text[]". */
  readonly pgType: string;
  readonly isArray: boolean;
  /** DuckDB type written to Parquet (element type + "[]" for arrays). */
  readonly parquetType: string;
  /** Unconstrained numeric (or numeric[]): DECIMAL(38,18) only when the values fit. */
  readonly unboundedNumeric: boolean;
}

/** DECIMAL(38,18) holds |v| < 10^20 with at most 18 decimals. */
export const WIDE_DECIMAL = "DECIMAL(38,18)";

/**
 * The visible columns of `relation` (a table or view on the search path), in order.
 * @throws {RangeError} when the relation does not exist.
 */
export async function readColumns(sql: Queryable, relation: string): Promise<ExportColumn[]> {
  const rows = await sql<{ name: string; type: string; ndims: number; elem: string | null }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attndims as ndims,
           case when t.typcategory = 'A' then format_type(t.typelem, a.atttypmod) end as elem
    from pg_attribute a join pg_type t on t.oid = a.atttypid
    where a.attrelid = to_regclass(${relation}) and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  if (rows.length === 0) throw new RangeError(`Cannot export "${relation}": no such relation`);
  return rows.map((row) => {
    const isArray = row.elem !== null;
    const base = isArray ? row.elem! : row.type;
    const scalar = scalarType(base);
    return {
      name: row.name,
      pgType: row.type,
      isArray,
      parquetType: isArray ? `${scalar}[]` : scalar,
      unboundedNumeric: base === "numeric",
    };
  });
}

/** The Parquet type of one PostgreSQL scalar type (typmods kept where they matter). */
export function scalarType(pgType: string): string {
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(pgType);
  if (numeric !== null) {
    return Number(numeric[1]) <= 38 ? `DECIMAL(${numeric[1]},${numeric[2]})` : "VARCHAR";
  }
  const base = pgType.replace(/\(\d+(,\d+)?\)/, "");
  return SCALARS[base] ?? "VARCHAR";
}

const SCALARS: Readonly<Record<string, string>> = {
  smallint: "SMALLINT",
  integer: "INTEGER",
  bigint: "BIGINT",
  real: "FLOAT",
  "double precision": "DOUBLE",
  numeric: WIDE_DECIMAL,
  boolean: "BOOLEAN",
  text: "VARCHAR",
  "character varying": "VARCHAR",
  character: "VARCHAR",
  "timestamp with time zone": "TIMESTAMPTZ",
  "timestamp without time zone": "TIMESTAMP",
  date: "DATE",
  json: "JSON",
  jsonb: "JSON",
  uuid: "UUID",
  bytea: "BLOB",
};

/**
 * The column's value as text in a select list (run under `TimeZone = UTC`): arrays become a
 * JSON array of their elements' text, so every element keeps its exact spelling.
 */
export function textExpression(column: ExportColumn, quote: (name: string) => string): string {
  const c = quote(column.name);
  return column.isArray ? `array_to_json(${c}::text[])::text` : `${c}::text`;
}

/** DuckDB expression turning the staged text column `staged` back into the Parquet type. */
export function castExpression(staged: string, parquetType: string): string {
  if (parquetType.endsWith("[]")) {
    const element = parquetType.slice(0, -2);
    const list = `from_json(${staged}, '["VARCHAR"]')`;
    return element === "VARCHAR" ? list : `CAST(${list} AS ${element}[])`;
  }
  if (parquetType === "BLOB") return `unhex(substr(${staged}, 3))`;
  if (parquetType === "VARCHAR") return staged;
  return `CAST(${staged} AS ${parquetType})`;
}

/** The column's type for one partition: an unbounded numeric that does not fit is VARCHAR. */
export function partitionType(column: ExportColumn, fitsWideDecimal: boolean): string {
  if (!column.unboundedNumeric || fitsWideDecimal) return column.parquetType;
  return column.isArray ? "VARCHAR[]" : "VARCHAR";
}
