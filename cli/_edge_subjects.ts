/**
 * What `pmcollect edge` evaluates, read as of one instant: for `--event ID`, the event's
 * neg-risk group (complete or not, by the registry) and every implied pair of each confirmed
 * chain inside the event; for `--relation KEY`, one confirmed relation across events (a chain's
 * pairs, or a partition's group).
 *
 * @example
 * ```ts ignore
 * import { readEventEdge } from "./_edge_subjects.ts";
 * const subject = await readEventEdge(sql, "903193", { at: new Date(), maxRestAgeMs: 360_000 });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import type { ImplicationInput, MarketInput } from "../edge/market.ts";
import { isChain } from "../relations/derive.ts";
import type { StoredRelation } from "../relations/registry.ts";
import type { BookSource, TradabilityOptions } from "../tradability/at.ts";
import { type MarketRead, readMarketInputs, whyNoInput } from "./_edge_inputs.ts";
import {
  chainPairs,
  type Completeness,
  eventChains,
  groupCompleteness,
  relationByKey,
} from "./_edge_relations.ts";

/** A neg-risk group with its completeness verdict. */
export interface EdgeGroup extends Completeness {
  readonly groupId: string;
  readonly relationKey: string;
  readonly markets: readonly MarketInput[];
}

/** One implied pair to price, or why it cannot be (`input` null). */
export interface EdgePair {
  readonly relationKey: string;
  readonly subject: string;
  readonly input: ImplicationInput | null;
  readonly reason: string | null;
}

export interface EdgeSubject {
  readonly markets: readonly MarketInput[];
  readonly group: EdgeGroup | null;
  readonly pairs: readonly EdgePair[];
  /** Every book used, with where it came from and how old it was. */
  readonly books: readonly BookSource[];
  readonly booksFrom: Date | null;
  readonly booksTo: Date | null;
}

/** The event's group and chains; null when the event is unknown. */
export async function readEventEdge(
  sql: Queryable,
  eventId: string,
  at: TradabilityOptions,
): Promise<EdgeSubject | null> {
  const [event] = await sql<{ neg_risk: boolean; neg_risk_market_id: string | null }[]>`
    select neg_risk, neg_risk_market_id from events where event_id = ${eventId}`;
  const ids = (await sql<{ market_id: string }[]>`
    select market_id from markets where event_id = ${eventId} order by market_id`)
    .map((r) => r.market_id);
  if (event === undefined && ids.length === 0) return null;
  const read = await readMarketInputs(sql, ids, at);
  const groupId = event?.neg_risk === true ? event.neg_risk_market_id : null;
  const group = groupId === null ? null : await edgeGroup(sql, groupId, read);
  const chains = await eventChains(sql, eventId, ids);
  return subject(read, group, chains.flatMap((chain) => pairsOf(chain, read)));
}

/** One confirmed relation across events; null when there is no such relation. */
export async function readRelationEdge(
  sql: Queryable,
  key: string,
  at: TradabilityOptions,
): Promise<EdgeSubject | null> {
  const relation = await relationByKey(sql, key);
  if (relation === null) return null;
  const read = await readMarketInputs(sql, relation.members, at);
  if (relation.type === "partition") {
    const groupId = key.slice("partition:".length);
    return subject(read, await edgeGroup(sql, groupId, read), []);
  }
  if (!isChain(relation.type)) {
    return subject(read, null, [{
      relationKey: key,
      subject: relation.members.join(","),
      input: null,
      reason: `a ${relation.type} relation has no pair channel`,
    }]);
  }
  if (relation.status !== "confirmed") {
    return subject(read, null, [{
      relationKey: key,
      subject: relation.members.join("=>"),
      input: null,
      reason: `relation is ${relation.status}, only confirmed relations are priced`,
    }]);
  }
  return subject(read, null, pairsOf(relation, read));
}

async function edgeGroup(sql: Queryable, groupId: string, read: MarketRead): Promise<EdgeGroup> {
  const verdict = await groupCompleteness(sql, groupId, read);
  const members = read.rows.filter((r) => r.neg_risk && r.neg_risk_market_id === groupId);
  return {
    ...verdict,
    groupId,
    relationKey: `partition:${groupId}`,
    markets: members.flatMap((r) => read.inputs.get(r.market_id) ?? []),
  };
}

function pairsOf(chain: StoredRelation, read: MarketRead): EdgePair[] {
  return chainPairs(chain).map(([a, b]) => {
    const [antecedent, consequent] = [read.inputs.get(a), read.inputs.get(b)];
    const missing = whyNoInput(read, a) ?? whyNoInput(read, b);
    return {
      relationKey: chain.key,
      subject: `${a}=>${b}`,
      input: missing === null ? { antecedent: antecedent!, consequent: consequent! } : null,
      reason: missing,
    };
  });
}

function subject(read: MarketRead, group: EdgeGroup | null, pairs: EdgePair[]): EdgeSubject {
  return {
    markets: [...read.inputs.values()],
    group,
    pairs,
    books: read.books,
    booksFrom: read.booksFrom,
    booksTo: read.booksTo,
  };
}
