/**
 * The paper broker's money: collateral and shares held, what a fill does to them, whether an
 * order is covered, and the on-chain operations booked on paper (neg-risk conversion with the
 * adapter's `feeBips` as an input, redemption after resolution). Exact `Dec` throughout.
 *
 * @example
 * ```ts
 * import { PaperAccount } from "./_paper_account.ts";
 * const account = new PaperAccount("100");
 * account.book(fill); // BUY: shares in, price × size + fee out
 * ```
 */
import type { Fill, OpenOrder, OrderRequest, Position } from "./broker.ts";
import { type Dec, formatDec, mulDec, ONE, parseDec, ZERO } from "../edge/decimal.ts";
import { adapterFee } from "../edge/conversion.ts";

/** A neg-risk `convertPositions` call: `amount` NO of each market in S (|S| ≥ 2). */
export interface ConversionRequest {
  readonly marketId: string;
  /** NO tokens of the questions in S. */
  readonly noTokenIds: readonly string[];
  /** YES tokens of the group's questions outside S (placeholders and Other included). */
  readonly complementYesTokenIds: readonly string[];
  readonly amount: string;
  /** The adapter's fee for this market (`getFeeBips`), 0…10,000. */
  readonly feeBips: number;
}

export interface ConversionResult {
  /** (|S| − 1) × (amount − fee): credited at once. */
  readonly collateralOut: string;
  /** The adapter's fee on each NO position converted, ⌊amount × feeBips / 10,000⌋ to 1e-6. */
  readonly feePerAmount: string;
  /** amount − fee: credited of each YES outside S. */
  readonly yesOut: string;
}

/** The venue's text for an order its balance does not cover. */
export const NOT_ENOUGH_BALANCE = "not enough balance / allowance";

export class PaperAccount {
  readonly #positions = new Map<string, Dec>();
  #cash: Dec;

  constructor(cash: string) {
    this.#cash = parseDec(cash);
  }

  get cash(): Dec {
    return this.#cash;
  }

  positions(): Position[] {
    const list: Position[] = [];
    for (const [tokenId, size] of this.#positions) {
      if (size !== ZERO) list.push({ tokenId, size: formatDec(size) });
    }
    return list;
  }

  /** Adds shares held before the account opened (a restart seeded from the ledger). */
  seed(tokenId: string, size: string): void {
    this.#move(tokenId, parseDec(size));
  }

  /** A fill of ours: its fee is paid in collateral on top of price × size. */
  book(fill: Fill): void {
    const size = parseDec(fill.size);
    const notional = mulDec(parseDec(fill.price), size);
    const fee = parseDec(fill.fee);
    if (fill.side === "BUY") {
      this.#move(fill.tokenId, size);
      this.#cash -= notional + fee;
    } else {
      this.#move(fill.tokenId, -size);
      this.#cash += notional - fee;
    }
  }

  /**
   * The venue's balance refusal, or null when `order` is covered beside the `open` orders: a
   * BUY needs cash for price × size beyond open BUYs (fees are not held), a SELL shares beyond
   * open SELLs.
   */
  shortOf(order: OrderRequest, open: readonly OpenOrder[]): string | null {
    const size = parseDec(order.size);
    if (order.side === "SELL") {
      return this.free(order.tokenId, open) >= size ? null : NOT_ENOUGH_BALANCE;
    }
    let held = ZERO;
    for (const o of open) {
      if (o.side === "BUY") held += mulDec(parseDec(o.price), remaining(o));
    }
    return this.#cash - held >= mulDec(parseDec(order.price), size) ? null : NOT_ENOUGH_BALANCE;
  }

  /** Shares of a token held and not promised to an open SELL. */
  free(tokenId: string, open: readonly OpenOrder[]): Dec {
    let free = this.#positions.get(tokenId) ?? ZERO;
    for (const o of open) if (o.side === "SELL" && o.tokenId === tokenId) free -= remaining(o);
    return free;
  }

  /**
   * Books a neg-risk conversion (relations.md §3.4): burns `amount` NO of each market in S and
   * credits (|S| − 1) × (amount − fee) collateral and amount − fee YES of each question
   * outside S, fee = ⌊amount × feeBips / 10,000⌋ to 1e-6 (`adapterFee`).
   * @throws {RangeError} for |S| < 2, a bad fee, or NO shares not held free of open SELLs.
   */
  convert(request: ConversionRequest, open: readonly OpenOrder[]): ConversionResult {
    const { noTokenIds, complementYesTokenIds, feeBips } = request;
    if (new Set(noTokenIds).size !== noTokenIds.length || noTokenIds.length < 2) {
      throw new RangeError(
        "Cannot convert: needs at least 2 distinct NO positions (IndexSetTooSmall)",
      );
    }
    if (!Number.isInteger(feeBips) || feeBips < 0 || feeBips > 10_000) {
      throw new RangeError(
        `Cannot convert: feeBips must be a whole number in 0…10000, not ${feeBips}`,
      );
    }
    const amount = parseDec(request.amount);
    if (amount <= ZERO) {
      throw new RangeError(`Cannot convert: amount ${request.amount} not positive`);
    }
    for (const tokenId of noTokenIds) {
      const held = this.free(tokenId, open);
      if (held < amount) {
        throw new RangeError(
          `Cannot convert: holds ${formatDec(held)} free of ${tokenId}, needs ${request.amount}`,
        );
      }
    }
    const fee = adapterFee(amount, feeBips);
    const net = amount - fee;
    for (const tokenId of noTokenIds) this.#move(tokenId, -amount);
    for (const tokenId of complementYesTokenIds) this.#move(tokenId, net);
    const collateral = BigInt(noTokenIds.length - 1) * net;
    this.#cash += collateral;
    return {
      collateralOut: formatDec(collateral),
      feePerAmount: formatDec(fee),
      yesOut: formatDec(net),
    };
  }

  /**
   * Books the redemption of a resolved token: every share held pays `payout` collateral ("1"
   * for the winner, "0" for the loser, "0.5" each for a 50-50 market). Returns the collateral.
   */
  redeem(tokenId: string, payout: string): string {
    const price = parseDec(payout);
    if (price < ZERO || price > ONE) {
      throw new RangeError(`Cannot redeem ${tokenId}: payout ${payout} not in [0, 1]`);
    }
    const paid = mulDec(this.#positions.get(tokenId) ?? ZERO, price);
    this.#positions.delete(tokenId);
    this.#cash += paid;
    return formatDec(paid);
  }

  #move(tokenId: string, shares: Dec): void {
    this.#positions.set(tokenId, (this.#positions.get(tokenId) ?? ZERO) + shares);
  }
}

function remaining(order: OpenOrder): Dec {
  return parseDec(order.originalSize) - parseDec(order.sizeMatched);
}
