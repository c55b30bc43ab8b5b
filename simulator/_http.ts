/**
 * Response builders for the simulator's routes.
 *
 * @example
 * ```ts
 * import { jsonResponse } from "./_http.ts";
 * jsonResponse({ mid: "0.45" }).status; // 200
 * ```
 */

/** A JSON response with the given status and extra headers. */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A JSON body produced elsewhere (already serialised). */
export function rawJsonResponse(text: string, status = 200): Response {
  return new Response(text, { status, headers: { "content-type": "application/json" } });
}

/** Gamma's validation error envelope (422). */
export function gammaValidationError(error: string): Response {
  return jsonResponse({ type: "validation error", error }, 422);
}

/** Parses a request body as JSON, or returns undefined. */
export async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}

/** Replaces one element of a list with a malformed one (fault injection). */
export function corruptOne<T>(items: T[]): unknown[] {
  if (items.length === 0) return items;
  const out: unknown[] = items.slice();
  out[Math.floor(out.length / 2)] = { id: null, malformed: true, price: "not-a-number" };
  return out;
}
