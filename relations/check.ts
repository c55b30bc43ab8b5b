/**
 * Runs the falsification check (`falsify.ts`) over every stored relation that is not already
 * rejected: reads the members' `resolutions` and falsifies a relation with a resolved
 * counter-example (status `rejected`, `decided_by` = `falsification`, the counter-example in
 * `counter_example`): a chain resolved out of order, an exclusive or a partition with two or
 * more winners, a complete partition whose members all resolved No, a complement resolved both
 * ways — neg-risk relations included. It records findings (those neg-risk contradictions, as
 * facts about the venue, and 50-50 members) in `relation_findings`. A counter-example is
 * evidence, so it rejects a relation a person had confirmed too; the note says so.
 *
 * @example
 * ```ts ignore
 * import { checkRelations } from "./check.ts";
 * const { rejected, findings } = await checkRelations(sql);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { col } from "../db/_columns.ts";
import type { RelationStatus, RelationType } from "./derive.ts";
import {
  checkRelation,
  type CounterExample,
  type Finding,
  type MemberOutcome,
  memberOutcome,
} from "./falsify.ts";

/** What one check run found. */
export interface CheckSummary {
  checked: number;
  rejected: { key: string; counterExample: CounterExample }[];
  findings: ({ key: string } & Finding)[];
}

/** Resolved outcomes of every market that is a member of some relation. */
async function loadOutcomes(sql: Queryable): Promise<Map<string, MemberOutcome>> {
  const rows = await sql<{
    market_id: string;
    status: string;
    winner_token_id: string | null;
    final_prices: string[] | null;
    first_token_id: string | null;
  }[]>`
    select m.market_id, r.status, r.winner_token_id, r.final_prices::text[] as final_prices,
      (select t.token_id from tokens t where t.market_id = m.market_id and t.outcome_index = 0
       limit 1) as first_token_id
    from markets m join resolutions r on r.condition_id = m.condition_id
    where m.market_id in (select unnest(members) from relations)`;
  const out = new Map<string, MemberOutcome>();
  for (const r of rows) {
    const outcome = memberOutcome({
      status: r.status,
      winnerTokenId: r.winner_token_id,
      finalPrices: r.final_prices,
      firstTokenId: r.first_token_id,
    });
    if (outcome !== undefined) out.set(r.market_id, outcome);
  }
  return out;
}

/** Checks every relation not yet rejected; see the module comment. */
export async function checkRelations(
  sql: Queryable,
  options: { now?: Date } = {},
): Promise<CheckSummary> {
  const now = options.now ?? new Date();
  const outcomes = await loadOutcomes(sql);
  const relations = await sql<{
    relation_key: string;
    type: RelationType;
    members: string[];
    provenance: string;
    status: RelationStatus;
  }[]>`
    select relation_key, type, members, provenance, status from relations
    where status <> 'rejected' order by relation_key`;
  const summary: CheckSummary = { checked: relations.length, rejected: [], findings: [] };
  for (const r of relations) {
    if (!r.members.some((m) => outcomes.has(m))) continue;
    const result = checkRelation(r, outcomes);
    if (result.counterExample !== null) {
      summary.rejected.push({ key: r.relation_key, counterExample: result.counterExample });
    }
    for (const f of result.findings) summary.findings.push({ key: r.relation_key, ...f });
  }
  await sql`update relations set checked_at = ${now} where status <> 'rejected'`;
  for (const { key, counterExample } of summary.rejected) {
    await sql`
      update relations set status = 'rejected', decided_by = 'falsification',
        decided_at = ${now}, counter_example = ${JSON.stringify(counterExample)}::text::jsonb,
        decision_note = ${`resolved counter-example: ${counterExample.reason}`},
        updated_at = now()
      where relation_key = ${key} and status <> 'rejected'`;
  }
  const f = summary.findings;
  if (f.length > 0) {
    await sql`
      insert into relation_findings (relation_key, kind, detail, first_seen_at, last_seen_at)
      select k, kind, detail, ${now}, ${now}
      from unnest(${col(f, (x) => x.key)}::text[], ${col(f, (x) => x.kind)}::text[],
        ${col(f, (x) => JSON.stringify(x.detail))}::jsonb[]) as x(k, kind, detail)
      on conflict (relation_key, kind) do update set
        detail = excluded.detail, last_seen_at = excluded.last_seen_at`;
  }
  return summary;
}

/** Every stored finding, newest first. */
export async function listFindings(
  sql: Queryable,
): Promise<{ key: string; kind: string; detail: Record<string, unknown>; lastSeenAt: Date }[]> {
  const rows = await sql<{
    relation_key: string;
    kind: string;
    detail: Record<string, unknown>;
    last_seen_at: Date;
  }[]>`
    select relation_key, kind, detail, last_seen_at from relation_findings
    order by last_seen_at desc, relation_key, kind`;
  return rows.map((r) => ({
    key: r.relation_key,
    kind: r.kind,
    detail: r.detail,
    lastSeenAt: r.last_seen_at,
  }));
}
