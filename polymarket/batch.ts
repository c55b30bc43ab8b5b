/**
 * Batch parse results: one bad element is reported as a `Reject`, the rest are kept.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { parseBatch } from "./batch.ts";
 * const page = parseBatch([1, "x", 3], z.number(), "markets");
 * page.items; // [1, 3]
 * page.rejects[0]?.path; // "markets[1]"
 * ```
 */
import type { z } from "zod";

/** One element (or whole payload) that could not be parsed. */
export interface Reject {
  /** Where it was: `markets[3]`, `frame[0]`, `$`. */
  path: string;
  reason: string;
  raw: unknown;
}

/** The result of parsing a page or a frame. */
export interface Batch<T> {
  items: T[];
  rejects: Reject[];
}

/** Summarises zod issues as `field.path: message; ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => {
    const at = i.path.map(String).join(".");
    return at === "" ? i.message : `${at}: ${i.message}`;
  }).join("; ");
}

/** Parses each element of `raw` (which must be an array) with `schema`. */
export function parseBatch<T>(
  raw: unknown,
  schema: z.ZodType<T>,
  path: string,
): Batch<T> {
  if (!Array.isArray(raw)) {
    return { items: [], rejects: [{ path, reason: "expected an array", raw }] };
  }
  const items: T[] = [];
  const rejects: Reject[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = schema.safeParse(raw[i]);
    if (r.success) items.push(r.data);
    else rejects.push({ path: `${path}[${i}]`, reason: describeIssues(r.error), raw: raw[i] });
  }
  return { items, rejects };
}

/** Elements `parseBatchYielding` parses between two yields to the event loop. */
export const PARSE_SLICE_ITEMS = 100;

/**
 * `parseBatch` for big pages (a thousand Gamma markets take hundreds of milliseconds to
 * validate): after every `sliceItems` elements it yields a macrotask, so socket reads, PINGs
 * and timers run in between; throws the signal's reason once it aborts.
 */
export async function parseBatchYielding<T>(
  raw: unknown,
  schema: z.ZodType<T>,
  path: string,
  options: {
    readonly signal: AbortSignal;
    readonly sliceItems?: number;
    /** How to yield (default: a `setTimeout(0)` macrotask); tests count the calls. */
    readonly yieldNow?: () => Promise<void>;
  },
): Promise<Batch<T>> {
  if (!Array.isArray(raw)) return parseBatch(raw, schema, path);
  const slice = Math.max(1, options.sliceItems ?? PARSE_SLICE_ITEMS);
  const yieldNow = options.yieldNow ?? macrotask;
  const items: T[] = [];
  const rejects: Reject[] = [];
  for (let start = 0; start < raw.length; start += slice) {
    if (start > 0) {
      await yieldNow();
      options.signal.throwIfAborted();
    }
    const end = Math.min(raw.length, start + slice);
    for (let i = start; i < end; i++) {
      const r = schema.safeParse(raw[i]);
      if (r.success) items.push(r.data);
      else rejects.push({ path: `${path}[${i}]`, reason: describeIssues(r.error), raw: raw[i] });
    }
  }
  return { items, rejects };
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Parses JSON text, returning a reject instead of throwing. */
export function parseJsonText(
  text: string,
  path = "$",
): { ok: true; value: unknown } | { ok: false; reject: Reject } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const reason = `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
    return {
      ok: false,
      reject: { path, reason, raw: text.length > 200 ? text.slice(0, 200) : text },
    };
  }
}
