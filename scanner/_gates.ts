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
    const seen = books.legSeenAt(market.yesTokenId);
    if (seen === null || !books.isOpen(market.yesTokenId)) return "gated_leg";
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
  const at = staleTimeOf(relation, context);
  if (at === null) return null;
  // A close at the same instant as a leg's staleness is the reason.
  const closed = relation.markets.some((m) => m.closedAt != null && m.closedAt === at);
  return { at, reason: closed ? "closed_leg" : "stale_leg" };
}

/**
 * `staleAtOf(...).at` without allocating (the scanner's per-event check): the first instant a
 * leg goes stale or closes, or null without books.
 */
export function staleTimeOf(relation: ScanRelation, context: GateContext): number | null {
  let first = Infinity;
  for (const market of relation.markets) {
    const seen = context.books.legSeenAt(market.yesTokenId);
    if (seen === null) return null;
    const staleAt = seen + context.limits.maxBookAgeMs;
    if (staleAt < first) first = staleAt;
    const closedAt = market.closedAt;
    if (closedAt != null && closedAt <= first) first = closedAt;
  }
  return first === Infinity ? null : first;
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
