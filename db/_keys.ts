/**
 * Small integer keys for token and condition ids (migration 0008): time-series rows store an
 * int4 key instead of 66-78 characters of text. A key is assigned once, the first time an id
 * is written, and never changes, so the keys read through the pool are cached per pool; inside
 * a transaction (whose new keys may still roll back) nothing is cached.
 *
 * @example
 * ```ts
 * import { tokenKeys } from "./_keys.ts";
 * const [key] = await tokenKeys(sql, ["1234"]);
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral } from "./_columns.ts";

type Dictionary = "token" | "condition";

const caches = new WeakMap<Queryable, Record<Dictionary, Map<string, number>>>();

/** The token_key of each id (in order), assigning keys to ids not seen before. */
export function tokenKeys(sql: Queryable, ids: readonly string[]): Promise<number[]> {
  return keysOf(sql, "token", ids) as Promise<number[]>;
}

/** The condition_key of each id (null stays null), assigning keys to new ids. */
export function conditionKeys(
  sql: Queryable,
  ids: readonly (string | null)[],
): Promise<(number | null)[]> {
  return keysOf(sql, "condition", ids);
}

async function keysOf(
  sql: Queryable,
  dictionary: Dictionary,
  ids: readonly (string | null)[],
): Promise<(number | null)[]> {
  const cache = cacheOf(sql, dictionary);
  const missing = new Set<string>();
  for (const id of ids) if (id !== null && !cache.has(id)) missing.add(id);
  if (missing.size > 0) {
    for (const [id, key] of await fetchKeys(sql, dictionary, [...missing].sort())) {
      cache.set(id, key);
    }
  }
  return ids.map((id) => (id === null ? null : cache.get(id)!));
}

function cacheOf(sql: Queryable, dictionary: Dictionary): Map<string, number> {
  if ("savepoint" in sql) return new Map();
  let entry = caches.get(sql);
  if (entry === undefined) caches.set(sql, entry = { token: new Map(), condition: new Map() });
  return entry[dictionary];
}

/**
 * Inserts the ids that have no key yet (sorted, so concurrent writers take the unique index
 * in the same order), then reads every key. Ids that already have one are filtered out first
 * because a conflicting insert would still draw an identity value, and int4 must last.
 */
async function fetchKeys(
  sql: Queryable,
  dictionary: Dictionary,
  ids: readonly string[],
): Promise<[string, number][]> {
  const list = arrayLiteral(ids);
  if (dictionary === "token") {
    await sql`
      insert into token_keys (token_id)
      select id from unnest(${list}::text[]) as u(id)
      where not exists (select 1 from token_keys k where k.token_id = u.id)
      order by id
      on conflict (token_id) do nothing`;
    const rows = await sql<{ id: string; key: number }[]>`
      select token_id as id, token_key as key from token_keys
      where token_id = any(${list}::text[])`;
    return rows.map((r) => [r.id, r.key]);
  }
  await sql`
    insert into condition_keys (condition_id)
    select id from unnest(${list}::text[]) as u(id)
    where not exists (select 1 from condition_keys k where k.condition_id = u.id)
    order by id
    on conflict (condition_id) do nothing`;
  const rows = await sql<{ id: string; key: number }[]>`
    select condition_id as id, condition_key as key from condition_keys
    where condition_id = any(${list}::text[])`;
  return rows.map((r) => [r.id, r.key]);
}
