/**
 * The relation registry (`relations` table): derives structural relations from the catalog's
 * current rows, adds lexical proposals across events (`propose.ts`), and upserts them. Status
 * rules: `rejected` (a reviewer's or the falsification check's decision) is never overwritten;
 * a partition that loses a member goes back to `incomplete`; a `confirmed` relation whose
 * members' rules change (a different `rules_digest`) becomes `stale` and stays so until
 * `setRelationStatus` confirms it again; any other status a person set (`decided_by`) stays.
 *
 * @example
 * ```ts ignore
 * import { listRelations, refreshRelations } from "./registry.ts";
 * await refreshRelations(sql);
 * const partitions = await listRelations(sql, { type: "partition", status: "confirmed" });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { col } from "../db/_columns.ts";
import { proposeRelations } from "./propose.ts";
import {
  deriveRelations,
  type Relation,
  type RelationStatus,
  type RelationType,
  type StructuralMarket,
} from "./derive.ts";

/** Reads every catalog market with the fields structure is derived from. */
export async function loadStructuralMarkets(sql: Queryable): Promise<StructuralMarket[]> {
  const rows = await sql<{
    market_id: string;
    event_id: string | null;
    question: string | null;
    neg_risk: boolean;
    neg_risk_market_id: string | null;
    question_index: number | null;
    neg_risk_other: boolean | null;
    neg_risk_augmented: boolean | null;
    group_item_title: string | null;
    group_item_threshold: string | null;
    end_date: Date | null;
    game_id: string | null;
    sports_market_type: string | null;
    line: string | null;
    outcomes: string[] | null;
    rules_hash: string | null;
  }[]>`
    select m.market_id, m.event_id, m.question, m.neg_risk, m.neg_risk_market_id,
           m.question_index, m.neg_risk_other, e.neg_risk_augmented, m.group_item_title,
           m.group_item_threshold, m.end_date, m.game_id, m.sports_market_type,
           m.line::text as line, m.rules_hash,
           (select array_agg(coalesce(t.outcome, '') order by t.outcome_index)
            from tokens t where t.market_id = m.market_id) as outcomes
    from markets m left join events e using (event_id)
    order by m.market_id`;
  return rows.map((r) => ({
    marketId: r.market_id,
    eventId: r.event_id,
    question: r.question,
    negRisk: r.neg_risk,
    negRiskMarketId: r.neg_risk_market_id,
    questionIndex: r.question_index,
    negRiskOther: r.neg_risk_other,
    eventNegRiskAugmented: r.neg_risk_augmented,
    groupItemTitle: r.group_item_title,
    groupItemThreshold: r.group_item_threshold,
    endDate: r.end_date,
    gameId: r.game_id,
    sportsMarketType: r.sports_market_type,
    line: r.line,
    outcomes: r.outcomes ?? [],
    rulesHash: r.rules_hash,
  }));
}

/** Upserts derived relations under the status rules above; returns the rows written. */
export async function upsertRelations(sql: Queryable, batch: readonly Relation[]): Promise<number> {
  if (batch.length === 0) return 0;
  const result = await sql`
    insert into relations (relation_key, type, members, provenance, status, rules_digest, detail)
    select r.relation_key, r.type, array(select jsonb_array_elements_text(r.members)),
           r.provenance, r.status, r.rules_digest, r.detail
    from unnest(${col(batch, (r) => r.key)}::text[], ${col(batch, (r) => r.type)}::text[],
      ${col(batch, (r) => JSON.stringify(r.members))}::jsonb[],
      ${col(batch, (r) => r.provenance)}::text[], ${col(batch, (r) => r.status)}::text[],
      ${col(batch, (r) => r.rulesDigest)}::text[],
      ${col(batch, (r) => JSON.stringify(r.detail))}::jsonb[])
      as r(relation_key, type, members, provenance, status, rules_digest, detail)
    on conflict (relation_key) do update set
      type = excluded.type, members = excluded.members, provenance = excluded.provenance,
      rules_digest = excluded.rules_digest, detail = excluded.detail,
      status = case
        when relations.status = 'rejected' then 'rejected'
        when excluded.status = 'incomplete' then 'incomplete'
        when relations.status = 'stale' then 'stale'
        when relations.status = 'confirmed' and relations.rules_digest <> excluded.rules_digest
          then 'stale'
        when relations.decided_by is not null then relations.status
        else excluded.status end,
      updated_at = now()
    where (relations.members, relations.rules_digest, relations.detail, relations.type)
        is distinct from (excluded.members, excluded.rules_digest, excluded.detail, excluded.type)
      or (relations.status = 'incomplete') <> (excluded.status = 'incomplete')`;
  return result.count;
}

/**
 * Derives every structural relation and lexical proposal from the catalog and stores them.
 * `proposals: false` derives the structural ones only (the daemon's refresh task: proposing
 * compares questions across every event, 1.4 s of synchronous work on a 42,000-market
 * catalog, and only a reviewer reads proposals; `pmcollect relations` makes them).
 */
export async function refreshRelations(
  sql: Queryable,
  options: { readonly proposals?: boolean } = {},
): Promise<{ derived: number; proposed: number; written: number }> {
  const markets = await loadStructuralMarkets(sql);
  const derived = deriveRelations(markets);
  const proposals = options.proposals === false ? [] : proposeRelations(markets);
  const relations = [...derived, ...proposals];
  let written = 0;
  for (let i = 0; i < relations.length; i += 1000) {
    written += await upsertRelations(sql, relations.slice(i, i + 1000));
  }
  return { derived: derived.length, proposed: proposals.length, written };
}

/** A stored relation. */
export interface StoredRelation extends Relation {
  updatedAt: Date;
  /** Who set the status by hand (or `falsification`), when, and why. */
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  /** The resolved counter-example that rejected it, if any. */
  counterExample: Record<string, unknown> | null;
}

/** Filters of {@link listRelations}; `type: "ladder"` matches every `ladder_*` type. */
export interface RelationFilter {
  type?: string;
  status?: RelationStatus;
  /** Relations with at least one member in this event. */
  eventId?: string;
}

/** Stored relations, optionally filtered, by key. */
export async function listRelations(
  sql: Queryable,
  filter: RelationFilter = {},
): Promise<StoredRelation[]> {
  const type = filter.type ?? null;
  const status = filter.status ?? null;
  const eventId = filter.eventId ?? null;
  const rows = await sql<{
    relation_key: string;
    type: RelationType;
    members: string[];
    provenance: string;
    status: RelationStatus;
    rules_digest: string;
    detail: Record<string, unknown>;
    updated_at: Date;
    decided_by: string | null;
    decided_at: Date | null;
    decision_note: string | null;
    counter_example: Record<string, unknown> | null;
  }[]>`
    select relation_key, type, members, provenance, status, rules_digest, detail, updated_at,
           decided_by, decided_at, decision_note, counter_example
    from relations
    where (${type}::text is null or type = ${type} or type like ${type} || '\_%')
      and (${status}::text is null or status = ${status})
      and (${eventId}::text is null or members && array(
        select market_id from markets where event_id = ${eventId}))
    order by relation_key`;
  return rows.map((r) => ({
    key: r.relation_key,
    type: r.type,
    members: r.members,
    provenance: r.provenance,
    status: r.status,
    rulesDigest: r.rules_digest,
    detail: r.detail,
    updatedAt: r.updated_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    counterExample: r.counter_example,
  }));
}

/**
 * A decision: confirm (again, e.g. after an amendment) or reject a relation, recording who,
 * when and why. Later refreshes keep it (see the module comment).
 */
export async function setRelationStatus(
  sql: Queryable,
  key: string,
  status: "confirmed" | "rejected",
  decision: { by?: string; note?: string | null; at?: Date } = {},
): Promise<boolean> {
  const at = decision.at ?? new Date();
  const result = await sql`
    update relations set status = ${status}, decided_by = ${decision.by ?? "reviewer"},
      decided_at = ${at}, decision_note = ${decision.note ?? null}, updated_at = now()
    where relation_key = ${key}`;
  return result.count === 1;
}

/** How many stored relations have each status (statuses with none are left out). */
export async function countRelationsByStatus(
  sql: Queryable,
): Promise<Partial<Record<RelationStatus, number>>> {
  const rows = await sql<{ status: RelationStatus; n: number }[]>`
    select status, count(*)::int as n from relations group by status order by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
