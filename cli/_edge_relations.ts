/**
 * What `pmcollect edge` takes from the relation registry: whether an event's neg-risk group is
 * complete (its `partition` relation is `confirmed` and the members' metadata as of the instant
 * agrees), and which implication pairs to price (every pair i < j of each `confirmed` chain:
 * `implies`, `ladder_date`, `ladder_threshold`, `ladder_line`). The registry is kept fresh by
 * `pmcollect relations` (and the daemon); only a registry that is still empty (a fresh install)
 * is refreshed from the catalog here, once, never on every call.
 *
 * @example
 * ```ts ignore
 * import { groupCompleteness } from "./_edge_relations.ts";
 * const { complete, reason } = await groupCompleteness(sql, groupId, read);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { isChain } from "../relations/derive.ts";
import { listRelations, refreshRelations, type StoredRelation } from "../relations/registry.ts";
import { type MarketRead, whyNoInput } from "./_edge_inputs.ts";

/** One stored relation by key, refreshing the registry once when it has no such row. */
export async function relationByKey(
  sql: Queryable,
  key: string,
  options: { refresh: boolean } = { refresh: true },
): Promise<StoredRelation | null> {
  const read = async () =>
    (await sql<{ type: string; members: string[] }[]>`
      select type, members from relations where relation_key = ${key}`)[0];
  let row = await read();
  if (row === undefined) {
    if (!options.refresh || !await refreshIfEmpty(sql)) return null;
    row = await read();
    if (row === undefined) return null;
  }
  const { type, members } = row;
  const [one] = members;
  const candidates = one === undefined
    ? await listRelations(sql, { type })
    : await listRelations(sql, { type, eventId: await eventOf(sql, one) ?? undefined });
  return candidates.find((r) => r.key === key) ?? null;
}

async function eventOf(sql: Queryable, marketId: string): Promise<string | null> {
  const [row] = await sql<{ event_id: string | null }[]>`
    select event_id from markets where market_id = ${marketId}`;
  return row?.event_id ?? null;
}

/** Whether a group may be priced as a partition, and why not. */
export interface Completeness {
  readonly complete: boolean;
  readonly reason: string | null;
}

/**
 * Complete only when the registry's `partition:<groupId>` is `confirmed`, its members are
 * exactly the group's stored markets, and as of the instant every member's metadata is known,
 * in this group, open at the instant (`tradability/rules.ts`), with a book at the instant,
 * question indexes 0 … n − 1 in member order, and an
 * augmented group has its Other member. Anything else is incomplete, with the first reason.
 */
export async function groupCompleteness(
  sql: Queryable,
  groupId: string,
  read: MarketRead,
): Promise<Completeness> {
  const no = (reason: string): Completeness => ({ complete: false, reason });
  const relation = await relationByKey(sql, `partition:${groupId}`);
  if (relation === null) return no("no relation registry entry");
  if (relation.status !== "confirmed") return no(`partition relation is ${relation.status}`);
  const stored = read.rows.filter((r) => r.neg_risk && r.neg_risk_market_id === groupId);
  const members = relation.members;
  if (
    stored.length !== members.length || !stored.every((r) => members.includes(r.market_id))
  ) {
    return no("registry members differ from the stored markets: run pmcollect relations");
  }
  let augmented = false;
  let other = false;
  for (const [i, id] of members.entries()) {
    const meta = read.metadata.get(id) ?? null;
    if (meta === null) return no(`no metadata for market ${id} at that time`);
    if (meta.negRisk !== true || meta.negRiskMarketId !== groupId) {
      return no(`market ${id} was not in the group at that time`);
    }
    if (meta.questionIndex !== i) return no(`question indexes are not 0…${members.length - 1}`);
    augmented ||= meta.eventNegRiskAugmented === true;
    other ||= meta.negRiskOther === true;
    const missing = whyNoInput(read, id);
    if (missing !== null) return no(missing);
  }
  if (augmented && !other) return no("augmented group without its Other member");
  if (members.length < 2) return no("fewer than two markets");
  return { complete: true, reason: null };
}

/** The confirmed implication chains whose members all belong to `eventId`. */
export async function eventChains(
  sql: Queryable,
  eventId: string,
  eventMarketIds: readonly string[],
): Promise<StoredRelation[]> {
  const inEvent = new Set(eventMarketIds);
  const chains = async () =>
    (await listRelations(sql, { status: "confirmed", eventId })).filter((r) =>
      isChain(r.type) && r.members.every((id) => inEvent.has(id))
    );
  if (eventMarketIds.length >= 2) await refreshIfEmpty(sql);
  return await chains();
}

/** Refreshes the registry from the catalog when it holds no relation at all; true if it did. */
async function refreshIfEmpty(sql: Queryable): Promise<boolean> {
  const [any] = await sql`select 1 from relations limit 1`;
  if (any !== undefined) return false;
  await refreshRelations(sql);
  return true;
}

/** Every implied pair of a chain: member i implies member j for i < j. */
export function chainPairs(chain: StoredRelation): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < chain.members.length; i++) {
    for (let j = i + 1; j < chain.members.length; j++) {
      out.push([chain.members[i]!, chain.members[j]!]);
    }
  }
  return out;
}
