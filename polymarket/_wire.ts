/**
 * Wire-format codecs shared by the schema modules of this folder: lenient timestamps,
 * JSON-arrays-inside-strings, unix-ms strings.
 */
import { z } from "zod";
import { decimalSchema, storableTextSchema } from "./ids.ts";

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?(?::?\d{2})?)?$/i;

/**
 * Parses the venue's timestamp spellings: ISO with 0–9 fractional digits, `YYYY-MM-DD HH:MM:SS+00`,
 * `+00:00:00` offsets and date-only values (midnight UTC). Returns null when unrecognised.
 */
export function parseTimestamp(text: string): Date | null {
  const m = TIMESTAMP.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const ms = Number((frac + "000").slice(0, 3));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone.toUpperCase() !== "Z") {
    const digits = zone.slice(1).replaceAll(":", "");
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
    t -= (zone[0] === "-" ? -1 : 1) * offset * 60_000;
  }
  return Number.isNaN(t) ? null : new Date(t);
}

/** Optional timestamp: `null`, absent and `""` become null; anything unparseable is an issue. */
export const timestampSchema = z.string().nullish().transform(
  (v, ctx) => {
    if (v === null || v === undefined || v.trim() === "") return null;
    const d = parseTimestamp(v);
    if (d === null) {
      ctx.addIssue({ code: "custom", message: `not a timestamp: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return d;
  },
);

/** Unix milliseconds written as a digit string (or a number) → number. */
export const unixMsSchema = z.union([z.string().regex(/^\d{1,16}$/), z.number().int()])
  .transform(Number);

/** Unix seconds (string or number) → Date; a number no Date can hold is an issue. */
export const unixSecondsSchema = z.union([
  z.string().regex(/^\d{1,12}$/),
  z.number().min(0).max(1e12),
]).transform((v) => new Date(Number(v) * 1000));

/**
 * A JSON array encoded inside a string (`"[\"Yes\", \"No\"]"`), decoded and validated with
 * `item`. A real array is accepted too; `""`, `null` and absence give `[]`.
 */
export function jsonStringArray<T>(item: z.ZodType<T>) {
  const inner = z.array(item);
  return z.union([z.string(), z.array(z.unknown())]).nullish().transform(
    (v, ctx): T[] => {
      if (v === null || v === undefined || v === "") return [];
      let decoded: unknown = v;
      if (typeof v === "string") {
        try {
          decoded = JSON.parse(v);
        } catch {
          ctx.addIssue({ code: "custom", message: `not a JSON array string: ${v.slice(0, 40)}` });
          return z.NEVER;
        }
      }
      const r = inner.safeParse(decoded);
      if (!r.success) {
        for (const issue of r.error.issues) {
          ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
        }
        return z.NEVER;
      }
      return r.data;
    },
  );
}

/**
 * Optional string that turns `""` and `null` into null; control characters and more than
 * `TEXT_MAX_CHARS` characters are an issue (see `isStorableText`).
 */
export const optionalTextSchema = storableTextSchema().nullish()
  .transform((v) => (v === undefined || v === null || v === "" ? null : v));

/** Optional number (JSON number or numeric string) → number | null. */
export const optionalNumberSchema = z.union([z.number(), z.string()]).nullish()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === "") return null;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: "custom", message: `not a number: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

/** Optional decimal: absent, `null` and `""` become null. */
export const optionalDecimalSchema = z.union([z.literal(""), decimalSchema]).nullish()
  .transform((v) => (v === undefined || v === null || v === "" ? null : v));

/** Optional boolean: absent/null become null. */
export const optionalBoolSchema = z.boolean().nullish()
  .transform((v) => v ?? null);

/** Wraps an id schema so that absent, `null` and `""` become null. */
export function optionalId<T>(schema: z.ZodType<T>) {
  return z.union([z.literal(""), schema]).nullish()
    .transform((v): T | null => (v === undefined || v === null || v === "" ? null : v as T));
}

/**
 * Optional signed decimal as canonical text ("-1.5", "0.5"): sports lines can be negative, so
 * this is not a `DecimalString`. Absent, `null` and `""` become null.
 */
export const optionalSignedDecimalTextSchema = z.union([z.string(), z.number()]).nullish()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === "") return null;
    const text = typeof v === "number" ? String(v) : v.trim();
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
      ctx.addIssue({ code: "custom", message: `not a signed decimal: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    const int = m[2].replace(/^0+(?=\d)/, "") || "0";
    const frac = (m[3] ?? "").replace(/0+$/, "");
    const body = frac === "" ? int : `${int}.${frac}`;
    return m[1] === "-" && /[1-9]/.test(body) ? `-${body}` : body;
  });

/** Optional boolean written as a JSON boolean or as "true"/"false" (websocket custom events). */
export const optionalLooseBoolSchema = z.union([z.boolean(), z.enum(["true", "false", ""])])
  .nullish().transform((
    v,
  ) => (v === true || v === "true" ? true : v === false || v === "false" ? false : null));

/** Optional id written as a string or a JSON number ("1427074" or 1427074) → string | null. */
export const optionalLooseIdSchema = z.union([z.string(), z.number().int()]).nullish()
  .transform((v) => (v === undefined || v === null || v === "" ? null : String(v)));
