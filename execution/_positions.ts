/**
 * Average-cost position arithmetic for the ledger, exact (edge/decimal.ts, 8 places): a buy adds
 * its price × size to the cost basis; a sell takes the held shares' share of the basis off and
 * books the difference to its proceeds as realized P&L. The remaining basis is rounded down to
 * 1e-8 and realized takes the rest, so basis + realized always accounts for every cent.
 *
 * @example
 * ```ts
 * import { applyTrade } from "./_positions.ts";
 * const held = applyTrade({ size: "10", cost: "5", realized: "0" }, { side: "SELL", price: "0.6", size: "4" });
 * // { size: "6", cost: "3", realized: "0.4" }
 * ```
 */
import { divDec, formatDec, mulDec, parseDec, ZERO } from "../edge/decimal.ts";
import type { Side } from "./broker.ts";

/** A token's holding: shares, cost basis of the shares held, realized P&L (fees apart). */
export interface Holding {
  readonly size: string;
  readonly cost: string;
  readonly realized: string;
}

/** The holding after one fill. Selling more than is held leaves a negative size at its price. */
export function applyTrade(
  held: Holding,
  trade: { readonly side: Side; readonly price: string; readonly size: string },
): Holding {
  const size = parseDec(held.size);
  const cost = parseDec(held.cost);
  const realized = parseDec(held.realized);
  const qty = parseDec(trade.size);
  const notional = mulDec(parseDec(trade.price), qty);
  if (trade.side === "BUY") {
    return {
      size: formatDec(size + qty),
      cost: formatDec(cost + notional),
      realized: held.realized,
    };
  }
  if (size <= ZERO) {
    return {
      size: formatDec(size - qty),
      cost: formatDec(cost - notional),
      realized: held.realized,
    };
  }
  const closed = qty < size ? qty : size;
  const rest = size - closed;
  // The basis of what stays held, rounded down; the sold part's basis is the remainder.
  const keptCost = rest === ZERO ? ZERO : mulDec(divDec(cost, size), rest);
  const soldCost = cost - keptCost;
  const soldNotional = closed === qty ? notional : mulDec(parseDec(trade.price), closed);
  const beyond = qty - closed;
  return {
    size: formatDec(rest - beyond),
    cost: formatDec(keptCost - (notional - soldNotional)),
    realized: formatDec(realized + soldNotional - soldCost),
  };
}

/** Collateral a fill moves (before its fee): a buy pays price × size, a sell receives it. */
export function fillCash(side: Side, price: string, size: string): string {
  const notional = mulDec(parseDec(price), parseDec(size));
  return formatDec(side === "BUY" ? -notional : notional);
}
