/**
 * Simulated trading accounts keyed by the order's maker (funder) address: pUSD collateral and
 * per-token positions in base units (1e-6, as on chain), with the cost basis the Data API's
 * `/positions` reports. Every new address starts with the configured collateral and
 * positions. Amounts are bigint; a book size of `h` hundredths at `p` price units (1e-4) is
 * `h × 10⁴` share units and costs `h × p` collateral units.
 *
 * @example
 * ```ts
 * import { Accounts } from "./venue_accounts.ts";
 * const accounts = new Accounts({ collateral: 1_000_000_000n, positions: new Map() });
 * accounts.get("0xabc").collateral; // 1000000000n (1,000 pUSD)
 * ```
 */

/** One token held by an account. */
export interface Position {
  /** Shares (1e-6). */
  size: bigint;
  /** Cost basis of `size` (collateral units). */
  cost: bigint;
  /** Shares ever bought. */
  bought: bigint;
  /** Realised profit (collateral units, net of fees on sells). */
  realized: bigint;
  /** Fees paid buying (collateral units). */
  fees: bigint;
  /** First and last fill (unix ms; 0 before any). */
  firstAtMs: number;
  lastAtMs: number;
}

/** One account. */
export interface Account {
  readonly address: string;
  collateral: bigint;
  readonly positions: Map<string, Position>;
}

/** Starting funds of every account. */
export interface AccountSeed {
  collateral: bigint;
  positions: ReadonlyMap<string, bigint>;
}

/** Share units per book hundredth. */
export const UNITS_PER_HUNDREDTH = 10_000n;

/** All accounts. */
export class Accounts {
  readonly #seed: AccountSeed;
  readonly #byAddress = new Map<string, Account>();

  /** New accounts start from `seed`. */
  constructor(seed: AccountSeed) {
    this.#seed = seed;
  }

  /** The account of `address` (created from the seed on first use). */
  get(address: string): Account {
    const key = address.toLowerCase();
    let account = this.#byAddress.get(key);
    if (account === undefined) {
      const positions = new Map<string, Position>();
      for (const [token, size] of this.#seed.positions) {
        positions.set(token, { ...emptyPosition(), size });
      }
      account = { address: key, collateral: this.#seed.collateral, positions };
      this.#byAddress.set(key, account);
    }
    return account;
  }

  /** A position (empty when never held). */
  position(account: Account, tokenId: string): Position {
    let p = account.positions.get(tokenId);
    if (p === undefined) {
      p = emptyPosition();
      account.positions.set(tokenId, p);
    }
    return p;
  }

  /** Settles a buy of `hundredths` at `priceUnits` plus `fee` (collateral units). */
  buy(account: Account, tokenId: string, fill: Fill): void {
    const cost = BigInt(fill.hundredths) * BigInt(fill.priceUnits);
    const shares = BigInt(fill.hundredths) * UNITS_PER_HUNDREDTH;
    const p = this.position(account, tokenId);
    account.collateral -= cost + fill.fee;
    p.size += shares;
    p.cost += cost;
    p.bought += shares;
    p.fees += fill.fee;
    touch(p, fill.atMs);
  }

  /** Settles a sell of `hundredths` at `priceUnits` less `fee` (collateral units). */
  sell(account: Account, tokenId: string, fill: Fill): void {
    const proceeds = BigInt(fill.hundredths) * BigInt(fill.priceUnits);
    const shares = BigInt(fill.hundredths) * UNITS_PER_HUNDREDTH;
    const p = this.position(account, tokenId);
    const basis = p.size === 0n ? 0n : p.cost * shares / p.size;
    account.collateral += proceeds - fill.fee;
    p.size -= shares;
    p.cost -= basis;
    p.realized += proceeds - fill.fee - basis;
    touch(p, fill.atMs);
  }
}

/** One fill as settled. */
export interface Fill {
  hundredths: number;
  priceUnits: number;
  /** Taker fee in collateral units (0 for a maker). */
  fee: bigint;
  /** When it matched (unix ms). */
  atMs: number;
}

function emptyPosition(): Position {
  return { size: 0n, cost: 0n, bought: 0n, realized: 0n, fees: 0n, firstAtMs: 0, lastAtMs: 0 };
}

function touch(p: Position, atMs: number): void {
  if (p.firstAtMs === 0) p.firstAtMs = atMs;
  p.lastAtMs = atMs;
}
