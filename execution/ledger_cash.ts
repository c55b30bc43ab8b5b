/**
 * Collateral and conversions in the ledger (migration 0014): deposits, withdrawals and
 * adjustments of cash, and splits, merges, neg-risk conversions and redemptions, each booked
 * once (by its ref or conversion id) with its position and cash changes in one transaction.
 * Fills book their own cash (execution/ledger.ts).
 *
 * @example
 * ```ts ignore
 * import { recordCash } from "./ledger_cash.ts";
 * await recordCash(ledger, { reason: "deposit", ref: "initial", amount: "1000", at: Date.now() });
 * ```
 */
import { formatDec, parseDec } from "../edge/decimal.ts";
import type { Ledger } from "./ledger.ts";
import { movePosition } from "./_position_rows.ts";

/** A split, merge, neg-risk conversion or redemption: signed size and basis per token. */
export interface Conversion {
  readonly conversionId: string;
  readonly kind: "split" | "merge" | "convert" | "redeem";
  readonly legs: readonly {
    readonly tokenId: string;
    readonly size: string;
    readonly cost: string;
  }[];
  /** Signed collateral: negative paid, positive received. */
  readonly collateral: string;
  readonly at: number;
}

/** Books a conversion with its positions and cash in one transaction; false if already booked. */
export async function recordConversion(ledger: Ledger, conversion: Conversion): Promise<boolean> {
  const legs = conversion.legs.map((l) => ({
    tokenId: l.tokenId,
    size: formatDec(parseDec(l.size)),
    cost: formatDec(parseDec(l.cost)),
  }));
  const collateral = formatDec(parseDec(conversion.collateral));
  return await ledger.sql.begin(async (tx) => {
    const at = new Date(conversion.at);
    const inserted = await tx`
      insert into conversions (conversion_id, kind, legs, collateral, at)
      values (${conversion.conversionId}, ${conversion.kind}, ${tx.json(legs)},
        ${collateral}::numeric, ${at})
      on conflict (conversion_id) do nothing
      returning conversion_id`;
    if (inserted.length === 0) return false;
    for (const leg of legs) {
      await movePosition(tx, leg.tokenId, (held) => ({
        size: formatDec(parseDec(held.size) + parseDec(leg.size)),
        cost: formatDec(parseDec(held.cost) + parseDec(leg.cost)),
        realized: held.realized,
      }), "0");
    }
    await tx`
      insert into cash (reason, ref, amount, at)
      values ('conversion', ${conversion.conversionId}, ${collateral}::numeric, ${at})`;
    return true;
  });
}

/** Books a deposit, withdrawal or adjustment of collateral; false if `ref` was booked before. */
export async function recordCash(
  ledger: Ledger,
  entry: {
    readonly reason: "deposit" | "withdrawal" | "adjustment";
    readonly ref: string;
    readonly amount: string;
    readonly at: number;
  },
): Promise<boolean> {
  const rows = await ledger.sql`
    insert into cash (reason, ref, amount, at)
    values (${entry.reason}, ${entry.ref}, ${formatDec(parseDec(entry.amount))}::numeric,
      ${new Date(entry.at)})
    on conflict (reason, ref) do nothing
    returning id`;
  return rows.length > 0;
}
