/**
 * The gap ledger of one websocket connection: an outage (the socket closed or stalled, or
 * subscribed tokens got no snapshot in time) becomes ONE `gaps` row naming the connection
 * (scope `conn:<id>`) with the tokens it left uncovered in `tokens`, instead of one row per
 * token. A token's coverage resumes with its next `book`; the row is emitted once every token
 * of the outage has resumed (or was removed, or given up), and ends at the last of them. A
 * token still without a book at the snapshot deadline leaves its outage for a `no_snapshot`
 * outage that keeps its start, so one slow token cannot stretch the interval of the others.
 *
 * @example
 * ```ts
 * import { WsOutages } from "./_ws_outages.ts";
 * const rows: unknown[] = [];
 * const outages = new WsOutages(7, (row) => rows.push(row));
 * outages.open(["1", "2"], { since: 1000, cause: "disconnected" });
 * outages.covered("1", 1500);
 * outages.covered("2", 1600); // rows: one gap, scope "conn:7", tokens ["1", "2"], 1000 → 1600
 * ```
 */
import type { GapRow } from "../db/ops.ts";

interface Outage {
  readonly since: number;
  readonly cause: string;
  readonly detail: Record<string, unknown>;
  /** Tokens still waiting for their next book. */
  readonly open: Set<string>;
  /** Tokens that resumed (or were removed or given up) within this outage. */
  readonly closed: string[];
  endAt: number;
}

/** Per-connection bookkeeping of uncovered tokens; rows go to `emit` as outages end. */
export class WsOutages {
  readonly #connection: number;
  readonly #emit: (row: GapRow) => void;
  readonly #of = new Map<string, Outage>();

  constructor(connection: number, emit: (row: GapRow) => void) {
    this.#connection = connection;
    this.#emit = emit;
  }

  /** Tokens currently uncovered. */
  get size(): number {
    return this.#of.size;
  }

  /** True while `tokenId` waits for a book after an outage. */
  has(tokenId: string): boolean {
    return this.#of.has(tokenId);
  }

  /**
   * Starts an outage at `since` for the tokens not already uncovered (those stay in their
   * earlier outage, which started before).
   */
  open(
    tokenIds: Iterable<string>,
    options: { since: number; cause: string; detail?: Record<string, unknown> },
  ): void {
    const outage: Outage = {
      since: options.since,
      cause: options.cause,
      detail: options.detail ?? {},
      open: new Set(),
      closed: [],
      endAt: options.since,
    };
    for (const t of tokenIds) {
      if (this.#of.has(t)) continue;
      outage.open.add(t);
      this.#of.set(t, outage);
    }
  }

  /**
   * `tokenId` is past its snapshot deadline (subscribed at `subscribedAt`): it leaves its
   * current outage (if that is not already a `no_snapshot` one) for a `no_snapshot` outage with
   * the same start, or starting at `subscribedAt` if it was covered until then.
   */
  overdue(tokenId: string, subscribedAt: number): void {
    const current = this.#of.get(tokenId);
    if (current?.cause === "no_snapshot") return;
    const since = current?.since ?? subscribedAt;
    if (current !== undefined) {
      current.open.delete(tokenId);
      this.#of.delete(tokenId);
      this.#finish(current);
    }
    for (const o of new Set(this.#of.values())) {
      if (o.cause === "no_snapshot" && o.since === since) {
        o.open.add(tokenId);
        this.#of.set(tokenId, o);
        return;
      }
    }
    this.open([tokenId], { since, cause: "no_snapshot" });
  }

  /** `tokenId` is covered again at `now` (its book came, or it was removed or given up). */
  covered(tokenId: string, now: number): void {
    const o = this.#of.get(tokenId);
    if (o === undefined) return;
    this.#of.delete(tokenId);
    o.open.delete(tokenId);
    o.closed.push(tokenId);
    o.endAt = Math.max(o.endAt, now);
    this.#finish(o);
  }

  #finish(o: Outage): void {
    if (o.open.size > 0 || o.closed.length === 0) return;
    this.#emit({
      collector: "trades",
      scope: `conn:${this.#connection}`,
      startAt: new Date(o.since),
      endAt: new Date(o.endAt),
      cause: o.cause,
      tokens: [...o.closed],
      detail: { ...o.detail, connection: this.#connection, tokens: o.closed.length },
    });
  }
}
