/**
 * Reconciliation (issue 29): the ledger's positions and open orders against the broker's
 * (`Broker.positions()`, the venue's Data API positions; `Broker.openOrders()`, its
 * `/data/orders`). Sizes compare exactly (edge/decimal.ts). Every run is stored in
 * `reconciliations`; a difference is logged (`reconciliation_difference`, level error) and
 * halts trading (execution/trading_state.ts): `placeOrder` refuses every new order until a person
 * looks and clears it with `resumeTrading` (`pmcollect resume`).
 *
 * Run `recover` first: an intent whose outcome is still unknown would show here as an order the
 * ledger does not know.
 *
 * @example
 * ```ts ignore
 * import { reconcile } from "./reconcile.ts";
 * const report = await reconcile(ledger, broker, { signal });
 * if (!report.ok) report.differences; // [{ kind: "position", tokenId, ledger: "10", broker: "12" }]
 * ```
 */
import { parseDec } from "../edge/decimal.ts";
import type { Broker } from "./broker.ts";
import type { Ledger } from "./ledger.ts";
import { haltTrading } from "./trading_state.ts";

/** One way the ledger and the broker disagree. */
export type Difference =
  | {
    readonly kind: "position";
    readonly tokenId: string;
    readonly ledger: string;
    readonly broker: string;
  }
  /** Open in the ledger, not open at the broker. */
  | { readonly kind: "order_not_open_at_broker"; readonly orderId: string }
  /** Open at the broker, not open in the ledger. */
  | {
    readonly kind: "order_not_open_in_ledger";
    readonly orderId: string;
    readonly clientOrderId: string | null;
  }
  /** Open on both sides with a different matched size. */
  | {
    readonly kind: "order_matched_size";
    readonly orderId: string;
    readonly ledger: string;
    readonly broker: string;
  };

export interface ReconcileReport {
  /** The stored `reconciliations` row. */
  readonly id: string;
  readonly ok: boolean;
  readonly differences: readonly Difference[];
}

/** Compares, stores the result, and halts trading on any difference. */
export async function reconcile(
  ledger: Ledger,
  broker: Broker,
  options: { readonly signal?: AbortSignal } = {},
): Promise<ReconcileReport> {
  const [brokerPositions, brokerOrders] = [
    await broker.positions(options.signal),
    await broker.openOrders(options.signal),
  ];
  const ledgerPositions = await ledger.sql<{ token_id: string; size: string }[]>`
    select token_id, size::text from positions where size <> 0`;
  const ledgerOrders = await ledger.sql<{ order_id: string; size_matched: string }[]>`
    select order_id, size_matched::text from orders where status = 'LIVE'`;
  const differences = [
    ...comparePositions(
      new Map(ledgerPositions.map((p) => [p.token_id, p.size])),
      new Map(brokerPositions.map((p) => [p.tokenId, p.size])),
    ),
    ...compareOrders(
      new Map(ledgerOrders.map((o) => [o.order_id, o.size_matched])),
      brokerOrders,
    ),
  ];
  const ok = differences.length === 0;
  const [row] = await ledger.sql<{ id: string }[]>`
    insert into reconciliations (ok, differences)
    values (${ok}, ${ledger.sql.json(differences as never)})
    returning id::text`;
  const id = row!.id;
  if (!ok) {
    ledger.log.error("reconciliation_difference", { reconciliation: id, differences });
    await haltTrading(ledger.sql, {
      reason: `reconciliation ${id}: ${differences.length} difference(s) with the broker`,
      by: "reconcile",
    });
  } else {
    ledger.log.info("reconciliation_ok", {
      reconciliation: id,
      positions: ledgerPositions.length,
      openOrders: ledgerOrders.length,
    });
  }
  return { id, ok, differences };
}

/** Every token whose held size differs (a missing side holds 0). */
export function comparePositions(
  ledger: ReadonlyMap<string, string>,
  broker: ReadonlyMap<string, string>,
): Difference[] {
  const out: Difference[] = [];
  const tokens = [...new Set([...ledger.keys(), ...broker.keys()])].sort();
  for (const tokenId of tokens) {
    const mine = ledger.get(tokenId) ?? "0";
    const theirs = broker.get(tokenId) ?? "0";
    if (parseDec(mine) !== parseDec(theirs)) {
      out.push({ kind: "position", tokenId, ledger: mine, broker: theirs });
    }
  }
  return out;
}

/** Open orders on one side only, or with a different matched size. */
export function compareOrders(
  ledger: ReadonlyMap<string, string>,
  broker: readonly { orderId: string; clientOrderId: string | null; sizeMatched: string }[],
): Difference[] {
  const out: Difference[] = [];
  const seen = new Set<string>();
  for (const order of broker) {
    seen.add(order.orderId);
    const matched = ledger.get(order.orderId);
    if (matched === undefined) {
      out.push({
        kind: "order_not_open_in_ledger",
        orderId: order.orderId,
        clientOrderId: order.clientOrderId,
      });
    } else if (parseDec(matched) !== parseDec(order.sizeMatched)) {
      out.push({
        kind: "order_matched_size",
        orderId: order.orderId,
        ledger: matched,
        broker: order.sizeMatched,
      });
    }
  }
  for (const orderId of [...ledger.keys()].sort()) {
    if (!seen.has(orderId)) out.push({ kind: "order_not_open_at_broker", orderId });
  }
  return out;
}
