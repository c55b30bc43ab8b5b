/**
 * Branded identifiers and exact decimals shared by every layer.
 *
 * Token ids are decimal uint256 strings (75–78 digits on the live venue), so they are never
 * numbers. Prices and sizes stay decimal strings end to end and reach PostgreSQL as `numeric`.
 *
 * @example
 * ```ts
 * import { parseDecimal } from "./ids.ts";
 * parseDecimal(".48"); // "0.48"
 * ```
 */
import { z } from "zod";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** CLOB token id (`asset_id`, `token_id`, `clobTokenIds[i]`): a decimal integer string. */
export type TokenId = Brand<string, "TokenId">;
/** Market condition id: `0x` + 64 hex. */
export type ConditionId = Brand<string, "ConditionId">;
/** Gamma market id: a numeric string. */
export type MarketId = Brand<string, "MarketId">;
/** Gamma event id: a numeric string. */
export type EventId = Brand<string, "EventId">;
/** An exact non-negative decimal in canonical text form ("0.48", "12", "0.0025"). */
export type DecimalString = Brand<string, "DecimalString">;

const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/**
 * Bounds of a stored decimal. Old AMM-era Gamma markets serve float noise as long decimals
 * (34 fraction digits on market 43 of 2020, 40 on a 2021 event: issue 25), so the bound is
 * twice the longest value seen, not the 38 digits of a DECIMAL(38) type. It stays well inside
 * PostgreSQL `numeric` (131,072 integer and 16,383 fraction digits, where every price, size
 * and volume column is unconstrained `numeric`), so a value that passes the edge is stored
 * exactly; the Parquet export writes a partition whose values do not fit DECIMAL(38,18) as
 * VARCHAR with the exact text (docs/export.md). Anything longer is rejected, not stored.
 */
export const DECIMAL_MAX_INTEGER_DIGITS = 80;
export const DECIMAL_MAX_FRACTION_DIGITS = 80;
/** Longest decimal text looked at (leading/trailing zeros included). */
const DECIMAL_MAX_TEXT = 256;

/**
 * Canonicalises a decimal string: accepts a leading dot (".48") and trailing zeros, returns
 * `null` for anything that is not a plain non-negative decimal (exponents, signs, NaN) or
 * does not fit `DECIMAL_MAX_INTEGER_DIGITS`/`DECIMAL_MAX_FRACTION_DIGITS`.
 */
export function parseDecimal(text: string): DecimalString | null {
  if (text.length > DECIMAL_MAX_TEXT) return null;
  const m = DECIMAL.exec(text.trim());
  if (m === null) return null;
  const intPart = m[1] ?? "";
  const fracPart = (m[2] ?? "").replace(/0+$/, "");
  if (intPart === "" && (m[2] ?? "") === "") return null;
  const int = intPart.replace(/^0+(?=\d)/, "") || "0";
  if (int.length > DECIMAL_MAX_INTEGER_DIGITS || fracPart.length > DECIMAL_MAX_FRACTION_DIGITS) {
    return null;
  }
  return (fracPart === "" ? int : `${int}.${fracPart}`) as DecimalString;
}

/** Default bound of a stored text value (ids, names, questions, hashes). */
export const TEXT_MAX_CHARS = 4096;

/**
 * True when `text` can be stored as it is: at most `maxChars` characters and no control
 * characters (NUL, which PostgreSQL text cannot hold, and every other C0/DEL code except
 * tab, line feed and carriage return, which free text such as a question may carry).
 */
export function isStorableText(text: string, maxChars = TEXT_MAX_CHARS): boolean {
  if (text.length > maxChars) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return false;
  }
  return true;
}

/** zod schema: a string that `isStorableText` accepts. */
export function storableTextSchema(maxChars = TEXT_MAX_CHARS) {
  return z.string().refine(
    (s) => isStorableText(s, maxChars),
    `control characters or more than ${maxChars} characters`,
  );
}

/** zod schema: a decimal written as a string or a JSON number, normalised to `DecimalString`. */
export const decimalSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = typeof v === "number" ? numberToDecimalText(v) : v;
  const d = text === null ? null : parseDecimal(text);
  if (d === null) {
    ctx.addIssue({ code: "custom", message: `not a decimal: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return d;
});

/** Writes a finite non-negative JSON number without exponent notation, or null. */
export function numberToDecimalText(n: number): string | null {
  if (!Number.isFinite(n) || n < 0) return null;
  // toString gives the shortest round-trip form; only tiny or huge values use exponents.
  const s = n.toString();
  if (!s.includes("e")) return s;
  return n.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

export const tokenIdSchema = z.string().regex(/^\d{1,80}$/, "token id must be decimal digits")
  .transform((s) => s as TokenId);
export const conditionIdSchema = z.string().regex(
  /^0x[0-9a-fA-F]{64}$/,
  "condition id must be 0x + 64 hex",
).transform((s) => s.toLowerCase() as ConditionId);
export const marketIdSchema = z.union([z.string().regex(/^\d+$/), z.number().int()])
  .transform((v) => String(v) as MarketId);
export const eventIdSchema = z.union([z.string().regex(/^\d+$/), z.number().int()])
  .transform((v) => String(v) as EventId);
