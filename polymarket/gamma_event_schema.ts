/**
 * Gamma event schema (`/events`, `/events/keyset`, `/events/{id}`) with nested markets.
 *
 * @example
 * ```ts
 * import { parseGammaEventsPage } from "./gamma_event_schema.ts";
 * parseGammaEventsPage({ events: [], next_cursor: "" }, new Date()).nextCursor; // null
 * ```
 */
import { z } from "zod";
import { type DecimalString, type EventId, eventIdSchema } from "./ids.ts";
import {
  optionalBoolSchema,
  optionalDecimalSchema,
  optionalTextSchema,
  timestampSchema,
} from "./_wire.ts";
import {
  type GammaMarket,
  gammaMarketSchema,
  type GammaPage,
  parseGammaPage,
} from "./gamma_schema.ts";

/** A Gamma event with its nested markets (absent with `include_markets=false`). */
export interface GammaEvent {
  id: EventId;
  ticker: string | null;
  slug: string | null;
  title: string | null;
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  negRisk: boolean;
  negRiskMarketId: string | null;
  negRiskAugmented: boolean | null;
  /** The raw `enableNegRisk` flag (`negRisk` above is true when either flag is). */
  enableNegRisk: boolean | null;
  startDate: Date | null;
  endDate: Date | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  volume: DecimalString | null;
  liquidity: DecimalString | null;
  markets: GammaMarket[];
}

/** Wire schema of one Gamma event object. */
export const gammaEventSchema = z.object({
  id: eventIdSchema,
  ticker: optionalTextSchema,
  slug: optionalTextSchema,
  title: optionalTextSchema,
  active: optionalBoolSchema,
  closed: optionalBoolSchema,
  archived: optionalBoolSchema,
  negRisk: optionalBoolSchema,
  enableNegRisk: optionalBoolSchema,
  negRiskMarketID: optionalTextSchema,
  negRiskAugmented: optionalBoolSchema,
  startDate: timestampSchema,
  endDate: timestampSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  volume: optionalDecimalSchema,
  liquidity: optionalDecimalSchema,
  markets: z.array(gammaMarketSchema).nullish(),
}).transform((e): GammaEvent => ({
  id: e.id,
  ticker: e.ticker,
  slug: e.slug,
  title: e.title,
  active: e.active,
  closed: e.closed,
  archived: e.archived,
  negRisk: (e.negRisk ?? false) || (e.enableNegRisk ?? false),
  negRiskMarketId: e.negRiskMarketID,
  negRiskAugmented: e.negRiskAugmented,
  enableNegRisk: e.enableNegRisk,
  startDate: e.startDate,
  endDate: e.endDate,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  volume: e.volume,
  liquidity: e.liquidity,
  markets: e.markets ?? [],
})) satisfies z.ZodType<GammaEvent>;

/** Parses `/events/keyset` (`{events, next_cursor}`) or a legacy `/events` bare array. */
export function parseGammaEventsPage(raw: unknown, _receivedAt: Date): GammaPage<GammaEvent> {
  return parseGammaPage(raw, "events", gammaEventSchema);
}
