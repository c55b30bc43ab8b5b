/**
 * Market resolutions with the evidence behind them. A stronger signal may confirm or correct
 * a weaker one (CLOB winner flag over Gamma prices, say); a weaker one never overwrites a
 * stronger one, and an equal one only refreshes it.
 *
 * @example
 * ```ts
 * import { upsertResolutions } from "./resolutions.ts";
 * await upsertResolutions(sql, [row]);
 * ```
 */
import type { Queryable } from "./client.ts";
import { arrayLiteral, col, iso, lastByKey } from "./_columns.ts";

export interface ResolutionRow {
  conditionId: string;
  marketId: string | null;
  status: "resolved" | "ambiguous" | "unresolved";
  winnerTokenId: string | null;
  winnerOutcome: string | null;
  finalPrices: readonly string[] | null;
  resolvedAt: Date | null;
  /** Where the verdict came from: "gamma", "clob", "ws". */
  source: string;
  /** Higher is stronger; see collectors/resolutions.ts for the scale. */
  strength: number;
  evidence: Record<string, unknown>;
}

/** Upserts resolutions; returns the number of rows inserted or changed. */
export async function upsertResolutions(
  sql: Queryable,
  batch: readonly ResolutionRow[],
): Promise<number> {
  if (batch.length === 0) return 0;
  // Within one batch the strongest verdict per market wins (last among equals).
  const sorted = [...batch].sort((a, b) => a.strength - b.strength);
  const rows = lastByKey(sorted, (r) => r.conditionId);
  const result = await sql`
    insert into resolutions (condition_id, market_id, status, winner_token_id, winner_outcome,
      final_prices, resolved_at, source, strength, evidence)
    select r.condition_id, r.market_id, r.status, r.winner_token_id, r.winner_outcome,
      case when r.final_prices is null then null
           else array(select jsonb_array_elements_text(r.final_prices))::numeric[] end,
      r.resolved_at, r.source, r.strength, r.evidence
    from unnest(
      ${col(rows, (r) => r.conditionId)}::text[], ${col(rows, (r) => r.marketId)}::text[],
      ${col(rows, (r) => r.status)}::text[], ${col(rows, (r) => r.winnerTokenId)}::text[],
      ${col(rows, (r) => r.winnerOutcome)}::text[],
      ${col(rows, (r) => r.finalPrices === null ? null : JSON.stringify(r.finalPrices))}::jsonb[],
      ${col(rows, (r) => iso(r.resolvedAt))}::timestamptz[], ${col(rows, (r) => r.source)}::text[],
      ${col(rows, (r) => r.strength)}::smallint[],
      ${col(rows, (r) => JSON.stringify(r.evidence))}::jsonb[])
      as r(condition_id, market_id, status, winner_token_id, winner_outcome, final_prices,
           resolved_at, source, strength, evidence)
    on conflict (condition_id) do update set
      market_id = coalesce(excluded.market_id, resolutions.market_id),
      status = excluded.status, winner_token_id = excluded.winner_token_id,
      winner_outcome = excluded.winner_outcome,
      final_prices = coalesce(excluded.final_prices, resolutions.final_prices),
      resolved_at = coalesce(excluded.resolved_at, resolutions.resolved_at),
      source = excluded.source, strength = excluded.strength,
      evidence = resolutions.evidence || excluded.evidence, updated_at = now()
    where excluded.strength >= resolutions.strength
      and (resolutions.status, resolutions.winner_token_id, resolutions.source,
           resolutions.strength, resolutions.final_prices)
        is distinct from (excluded.status, excluded.winner_token_id, excluded.source,
           excluded.strength, coalesce(excluded.final_prices, resolutions.final_prices))`;
  return result.count;
}

export interface StoredResolution {
  conditionId: string;
  status: string;
  winnerTokenId: string | null;
  winnerOutcome: string | null;
  source: string;
  strength: number;
}

/** Stored resolutions for the given condition ids (all when omitted). */
export async function listResolutions(
  sql: Queryable,
  conditionIds?: readonly string[],
): Promise<StoredResolution[]> {
  const rows = await sql<
    {
      condition_id: string;
      status: string;
      winner_token_id: string | null;
      winner_outcome: string | null;
      source: string;
      strength: number;
    }[]
  >`
    select condition_id, status, winner_token_id, winner_outcome, source, strength
    from resolutions
    ${
    conditionIds === undefined
      ? sql``
      : sql`where condition_id = any(${arrayLiteral(conditionIds)}::text[])`
  }
    order by condition_id`;
  return rows.map((r) => ({
    conditionId: r.condition_id,
    status: r.status,
    winnerTokenId: r.winner_token_id,
    winnerOutcome: r.winner_outcome,
    source: r.source,
    strength: r.strength,
  }));
}
