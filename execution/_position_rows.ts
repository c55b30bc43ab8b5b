/**
 * A token's `positions` row rewritten under a row lock (migration 0014), for the ledger's fill
 * and conversion bookings, inside their transactions.
 */
import type { Queryable } from "../db/client.ts";

/** Rewrites a token's position under a row lock, creating it at zero first. */
export async function movePosition(
  tx: Queryable,
  tokenId: string,
  change: (held: { size: string; cost: string; realized: string }) => {
    size: string;
    cost: string;
    realized: string;
  },
  fee: string,
): Promise<void> {
  await tx`
    insert into positions (token_id, size, cost) values (${tokenId}, 0, 0)
    on conflict (token_id) do nothing`;
  const [held] = await tx<{ size: string; cost: string; realized: string }[]>`
    select size::text, cost::text, realized::text from positions
    where token_id = ${tokenId} for update`;
  const next = change(held!);
  await tx`
    update positions set size = ${next.size}::numeric, cost = ${next.cost}::numeric,
      realized = ${next.realized}::numeric, fees = fees + ${fee}::numeric, updated_at = now()
    where token_id = ${tokenId}`;
}
