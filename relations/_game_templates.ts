/**
 * Same-game templates over the catalog's sports fields (`game_id`, `sports_market_type`,
 * `line`, outcome labels): margin ⇒ win and totals monotone in the line.
 */
import type { Relation, StructuralMarket } from "./derive.ts";
import { groupBy, rulesDigest } from "./_members.ts";

/** A line that cannot push: a finite number with a half point ("-3.5", "210.5"). */
function halfLine(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) && Math.abs(value * 2) % 2 === 1 ? value : null;
}

const sameOutcomes = (a: StructuralMarket, b: StructuralMarket) =>
  a.outcomes.length === 2 && a.outcomes.join("\u0000") === b.outcomes.join("\u0000");

/**
 * Same-game templates. Margin ⇒ win: with the moneyline and the spreads quoting the same
 * outcomes in the same order (the line belongs to the first), "first side covers -5.5" ⇒
 * "covers -3.5" ⇒ "wins" ⇒ "covers +1.5": a chain by ascending line, the moneyline at 0.
 * Totals: "over 220.5" ⇒ "over 210.5" (descending line; ascending when the first outcome is
 * Under). Only half-point lines (no push) and one moneyline per game; anything else derives
 * nothing.
 */
export function games(markets: readonly StructuralMarket[]): Relation[] {
  const out: Relation[] = [];
  for (const [gameId, members] of groupBy(markets, (m) => m.gameId)) {
    if (members.length < 2) continue;
    const moneylines = members.filter((m) => m.sportsMarketType === "moneyline");
    const moneyline = moneylines.length === 1 ? moneylines[0]! : null;
    const spreads = members.filter((m) =>
      m.sportsMarketType === "spreads" && halfLine(m.line) !== null &&
      moneyline !== null && sameOutcomes(m, moneyline)
    );
    if (moneyline !== null && spreads.length > 0) {
      const chain = [...spreads, moneyline].sort((a, b) => lineOf(a) - lineOf(b));
      out.push({
        key: `game_margin:${gameId}`,
        type: "implies",
        members: chain.map((m) => m.marketId),
        provenance: "structure:game_margin",
        status: "confirmed",
        rulesDigest: rulesDigest(chain),
        detail: { gameId, lines: chain.map((m) => m.line), order: "margin implies win" },
      });
    }
    const totals = members.filter((m) =>
      m.sportsMarketType === "totals" && halfLine(m.line) !== null
    );
    const first = totals[0];
    if (first === undefined || !totals.every((m) => sameOutcomes(m, first))) continue;
    if (new Set(totals.map(lineOf)).size !== totals.length || totals.length < 2) continue;
    const under = /^under$/i.test(first.outcomes[0]!);
    const chain = [...totals].sort((a, b) => (lineOf(b) - lineOf(a)) * (under ? -1 : 1));
    out.push({
      key: `game_totals:${gameId}`,
      type: "ladder_line",
      members: chain.map((m) => m.marketId),
      provenance: "structure:game_totals",
      status: "confirmed",
      rulesDigest: rulesDigest(chain),
      detail: {
        gameId,
        lines: chain.map((m) => m.line),
        order: under ? "lower under-line implies higher" : "higher over-line implies lower",
      },
    });
  }
  return out;
}

function lineOf(m: StructuralMarket): number {
  return m.sportsMarketType === "moneyline" ? 0 : Number(m.line);
}
