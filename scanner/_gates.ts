/**
 * The scanner's gates and change routing, pure over the live books: why a relation cannot be
 * priced now (a leg whose market is no longer tradable, a gated leg, a stale leg, legs skewed
 * in time), when its first leg goes stale or closes,
 * and which YES book sides a change touched versus which a channel buys from.
 *
 * @example
 * ```ts ignore
 * import { gateOf } from "./_gates.ts";
 * gateOf(relation, now, { books, limits: { maxBookAgeMs: 10_000, maxSkewMs: 2_000 } }); // null = priceable
 * ```
 */
import type { BookEvent } from "../stream/book_event.ts";
import type { L2Books } from "../stream/l2_book.ts";
import type { LiveChannel } from "./_evaluate.ts";
import type { ScanRelation } from "./relation_set.ts";

export type GateReason = "closed_leg" | "gated_leg" | "stale_leg" | "skew";

interface GateContext {
  readonly books: L2Books;
  readonly limits: { readonly maxBookAgeMs: number; readonly maxSkewMs: number };
}

/** Why the relation cannot be priced at `now`, or null. */
export function gateOf(
  relation: ScanRelation,
  now: number,
  context: GateContext,
): GateReason | null {
  const { books, limits } = context;
  let oldest = Infinity;
  let newest = -Infinity;
  for (const market of relation.markets) {
    if (market.closedAt != null && now >= market.closedAt) return "closed_leg";
    if (books.isResolved(market.yesTokenId)) return "closed_leg";
    const fresh = books.freshness(market.yesTokenId);
    if (fresh === null || !books.isOpen(market.yesTokenId)) return "gated_leg";
    const seen = books.connectionSeenAt(fresh.connection);
    if (now - seen > limits.maxBookAgeMs) return "stale_leg";
    if (seen < oldest) oldest = seen;
    if (seen > newest) newest = seen;
  }
  return newest - oldest > limits.maxSkewMs ? "skew" : null;
}

/**
 * The instant the first leg of `relation` went (or will go) stale or closed, and which; null
 * without books.
 */
export function staleAtOf(
  relation: ScanRelation,
  context: GateContext,
): { at: number; reason: "stale_leg" | "closed_leg" } | null {
  let first: { at: number; reason: "stale_leg" | "closed_leg" } | null = null;
  for (const market of relation.markets) {
    const fresh = context.books.freshness(market.yesTokenId);
    if (fresh === null) return null;
    const staleAt = context.books.connectionSeenAt(fresh.connection) + context.limits.maxBookAgeMs;
    if (first === null || staleAt < first.at) first = { at: staleAt, reason: "stale_leg" };
    const closedAt = market.closedAt;
    if (closedAt != null && closedAt <= first.at) first = { at: closedAt, reason: "closed_leg" };
  }
  return first;
}

const BIDS = 1;
const ASKS = 2;

/** The YES book sides an event changed (a snapshot or tick change: both). */
export function changedSides(event: BookEvent): number {
  if (event.kind !== "price_change") return BIDS | ASKS;
  let sides = 0;
  for (const c of event.changes) sides |= c.side === "BUY" ? BIDS : ASKS;
  return sides;
}

/**
 * The YES book sides of `token` that `channel` buys from: conversion buys NO (YES bids),
 * the basket YES asks, an implication the antecedent's NO and the consequent's YES.
 */
export function usedSides(relation: ScanRelation, channel: LiveChannel, token: string): number {
  if (channel === "neg_risk_conversion") return BIDS;
  if (channel === "neg_risk_basket") return ASKS;
  const [a, b] = relation.markets;
  return (a?.yesTokenId === token ? BIDS : 0) | (b?.yesTokenId === token ? ASKS : 0);
}
