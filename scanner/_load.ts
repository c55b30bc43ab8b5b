/**
 * The scanner's relations from the registry: every `confirmed` partition (complete by the
 * registry's rule) as a neg-risk group, and every `confirmed` chain (ladders, implications)
 * as its consecutive implication pairs, with each member market's tokens, fee schedule, tick,
 * minimum order, end date and the instant it stopped being tradable, all by the rules
 * `edge` uses (`tradability/rules.ts`). A market without both tokens is left out, and a group
 * missing a market is marked incomplete (it is then watched but never priced).
 *
 * @example
 * ```ts ignore
 * import { loadScanRelations } from "./_load.ts";
 * const set = await loadScanRelations(sql, { convertFeeBips: null });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { isChain } from "../relations/derive.ts";
import { listRelations } from "../relations/registry.ts";
import { type StatusColumns, statusColumns, statusFactsOf } from "../tradability/at.ts";
import { closedAtOf, feeScheduleOf } from "../tradability/rules.ts";
import { RelationSet, type ScanMarket, type ScanRelation } from "./relation_set.ts";

interface MarketRow extends StatusColumns {
  market_id: string;
  event_id: string | null;
  condition_id: string | null;
  tick_size: string | null;
  min_order_size: string | null;
  end_date: Date | null;
  question_index: number | null;
  fee_rate: string | null;
  fee_exponent: string | null;
  fee_taker_only: boolean | null;
  fees_enabled: boolean | null;
}

export async function loadScanRelations(
  sql: Queryable,
  options: { readonly convertFeeBips: number | null },
): Promise<RelationSet> {
  const stored = (await listRelations(sql, { status: "confirmed" }))
    .filter((r) => r.type === "partition" || isChain(r.type));
  const ids = [...new Set(stored.flatMap((r) => r.members))];
  const rows = await sql<MarketRow[]>`
    select m.market_id, m.event_id, m.condition_id, m.tick_size::text, m.min_order_size::text, m.end_date,
      m.question_index, m.fee_rate::text, m.fee_exponent::text, m.fee_taker_only, m.fees_enabled,
      ${statusColumns(sql)}
    from markets m where m.market_id = any(${ids})`;
  const markets = new Map<string, ScanMarket>();
  for (const row of rows) {
    if (row.yes_token === null || row.no_token === null) continue;
    markets.set(row.market_id, {
      marketId: row.market_id,
      ...(row.event_id === null ? {} : { eventId: row.event_id }),
      conditionId: row.condition_id ?? "",
      yesTokenId: row.yes_token,
      noTokenId: row.no_token,
      fee: feeScheduleOf({
        feesEnabled: row.fees_enabled,
        feeRate: row.fee_rate,
        feeExponent: row.fee_exponent,
        feeTakerOnly: row.fee_taker_only,
      }),
      closedAt: closedAtOf(statusFactsOf(row))?.at.getTime() ?? null,
      tickSize: row.tick_size ?? "",
      minOrderSize: row.min_order_size ?? "",
      endDate: row.end_date?.toISOString() ?? null,
      ...(row.question_index === null ? {} : { questionIndex: row.question_index }),
    });
  }
  const relations: ScanRelation[] = [];
  for (const r of stored) {
    const members = r.members.map((id) => markets.get(id));
    const present = members.filter((m): m is ScanMarket => m !== undefined);
    if (r.type === "partition") {
      relations.push({
        key: r.key,
        kind: "group",
        complete: present.length === members.length && present.length >= 2,
        convertFeeBips: options.convertFeeBips,
        markets: present,
      });
      continue;
    }
    for (let i = 0; i + 1 < members.length; i++) {
      const [a, b] = [members[i], members[i + 1]];
      if (a === undefined || b === undefined) continue;
      relations.push({
        key: `${r.key}:${a.marketId}=>${b.marketId}`,
        kind: "implication",
        complete: true,
        convertFeeBips: null,
        markets: [a, b],
      });
    }
  }
  return new RelationSet(relations);
}
