/**
 * Plain-text rendering of relations for `pmcollect relations`: one table row per relation,
 * and one block per proposal in the review walk.
 */
import type { StoredRelation } from "../relations/registry.ts";

const COLUMNS = ["key", "type", "status", "members", "provenance", "note"] as const;

/** A fixed-width table with a header, or a line saying there is nothing to show. */
export function formatRelations(relations: readonly StoredRelation[]): string {
  if (relations.length === 0) return "no relations match";
  const rows = relations.map((r) => [
    r.key,
    r.type,
    r.status,
    String(r.members.length),
    r.provenance,
    note(r),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
      .trimEnd();
  return [line(COLUMNS), ...rows.map(line), `${relations.length} relations`].join("\n");
}

function note(r: StoredRelation): string {
  if (r.counterExample !== null) return `counter-example: ${String(r.counterExample.reason)}`;
  if (r.decisionNote !== null) return `${r.decidedBy}: ${r.decisionNote}`;
  const incomplete = r.detail.incomplete;
  if (Array.isArray(incomplete)) return incomplete.join("; ");
  const reason = r.detail.reason ?? r.detail.order;
  return typeof reason === "string" ? reason : "";
}

/** One proposal for the review walk: its key, claim and each member's question. */
export function formatReviewItem(
  relation: StoredRelation,
  markets: ReadonlyMap<string, { question: string | null; event_id: string | null }>,
): string {
  const lines = [`${relation.key}  (${relation.type}, ${relation.provenance})`];
  const claim = relation.detail.reason;
  if (typeof claim === "string") lines.push(`  claim: ${claim}`);
  relation.members.forEach((id, i) => {
    const m = markets.get(id);
    const arrow = i === 0 ? "   " : "⇒  ";
    lines.push(
      `  ${arrow}${id} (event ${m?.event_id ?? "?"}): ${m?.question ?? "(not in catalog)"}`,
    );
  });
  return lines.join("\n");
}
