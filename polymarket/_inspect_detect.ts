/**
 * Payload-kind detection for `inspect`: looks at keys only, then hands the value to the one
 * parser of that kind. Returns null when the kind cannot be told.
 */
import type { z } from "zod";
import { type Batch, describeIssues, parseBatch } from "./batch.ts";
import { parseGammaMarketsPage } from "./gamma_schema.ts";
import { parseGammaEventsPage } from "./gamma_event_schema.ts";
import {
  parseBooks,
  parseClobMarketsPage,
  parseFeeRate,
  parseMidpoint,
  parsePrice,
  parsePriceHistory,
} from "./clob_schema.ts";
import { clobMarketSchema } from "./clob_schema.ts";
import { parseTradesV1, parseTradesV2, parseV2Page } from "./data_api_schema.ts";
import { parseUserMessage, positionV2Schema, userTradeSchema } from "./user_schema.ts";
import { gammaTagSchema, parseClientMessage, parseRtdsMessage } from "./client_schema.ts";
import { parseWsMessage } from "./ws_frame.ts";

/** A detected payload: its kind and parsed rows. */
export interface Detected {
  kind: string;
  batch: Batch<unknown>;
}

type Obj = Record<string, unknown>;
const MARKET_WS = new Set([
  "book",
  "price_change",
  "last_trade_price",
  "tick_size_change",
  "best_bid_ask",
  "new_market",
  "market_resolved",
]);

/** Keys that only a Gamma market object carries (camelCase, JSON-in-string lists). */
const GAMMA_MARKET_KEYS = [
  "conditionId",
  "clobTokenIds",
  "positionIds",
  "outcomes",
  "outcomePrices",
];

/**
 * A Gamma keyset page `{markets|events, next_cursor}`. The last page has no (or an empty)
 * `next_cursor`, and the envelope may carry keys of its own (`$schema`, issue 25), so only
 * the list is required; what is not a page is a Gamma object holding such a list (an event's
 * `markets`, a market's `events`), and every one of those carries its `id`.
 */
function isKeysetPage(o: Obj, list: "markets" | "events"): boolean {
  return Array.isArray(o[list]) && ("next_cursor" in o || !("id" in o));
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function one<T>(r: z.ZodSafeParseResult<T>, raw: unknown, path: string): Batch<unknown> {
  return r.success
    ? { items: [r.data], rejects: [] }
    : { items: [], rejects: [{ path, reason: describeIssues(r.error), raw }] };
}

function scalar(v: unknown, raw: unknown, what: string): Batch<unknown> {
  return v === null
    ? { items: [], rejects: [{ path: "$", reason: `not a ${what}`, raw }] }
    : { items: [{ [what]: v }], rejects: [] };
}

function wsMessages(list: unknown[], receivedAt: number): Batch<unknown> {
  const out: Batch<unknown> = { items: [], rejects: [] };
  list.forEach((m, i) => {
    const r = parseWsMessage(m, receivedAt);
    if (typeof r === "string") out.rejects.push({ path: `frame[${i}]`, reason: r, raw: m });
    else out.items.push(r);
  });
  return out;
}

function isUserMessage(o: Obj): boolean {
  return o.event_type === "order" || o.event_type === "trade" ||
    (o.event_type === undefined &&
      ["PLACEMENT", "UPDATE", "CANCELLATION", "TRADE"].includes(String(o.type)));
}

function detectArray(a: unknown[], receivedAt: number): Detected | null {
  const first = a[0];
  if (first === undefined) return { kind: "ws_frame", batch: { items: [], rejects: [] } };
  if (!isObj(first)) return null;
  const date = new Date(receivedAt);
  if (isUserMessage(first)) {
    const batch: Batch<unknown> = { items: [], rejects: [] };
    a.forEach((m, i) => {
      const r = one(parseUserMessage(m), m, `messages[${i}]`);
      batch.items.push(...r.items);
      batch.rejects.push(...r.rejects);
    });
    return { kind: "ws_user", batch };
  }
  if ("event_type" in first) return { kind: "ws_frame", batch: wsMessages(a, receivedAt) };
  if ("bids" in first && "asks" in first) {
    return { kind: "clob_books", batch: parseBooks(a, receivedAt) };
  }
  if ("proxyWallet" in first) return { kind: "data_trades_v1", batch: parseTradesV1(a, date) };
  if ("ticker" in first || ("markets" in first && !("conditionId" in first))) {
    return { kind: "gamma_events", batch: parseGammaEventsPage(a, date) };
  }
  if ("conditionId" in first || "clobTokenIds" in first || "outcomes" in first) {
    return { kind: "gamma_markets", batch: parseGammaMarketsPage(a, date) };
  }
  if ("condition_id" in first && "tokens" in first) {
    return { kind: "clob_markets", batch: parseBatch(a, clobMarketSchema, "markets") };
  }
  if ("label" in first && "slug" in first) {
    return { kind: "gamma_tags", batch: parseBatch(a, gammaTagSchema, "tags") };
  }
  return null;
}

function detectObject(o: Obj, receivedAt: number): Detected | null {
  const date = new Date(receivedAt);
  if (typeof o.event_type === "string" && MARKET_WS.has(o.event_type)) {
    return { kind: "ws_frame", batch: wsMessages([o], receivedAt) };
  }
  if (isUserMessage(o)) return { kind: "ws_user", batch: one(parseUserMessage(o), o, "$") };
  if ("event_type" in o) return { kind: "ws_frame", batch: wsMessages([o], receivedAt) };
  if ("assets_ids" in o || "auth" in o) {
    return { kind: "ws_client", batch: one(parseClientMessage(o), o, "$") };
  }
  if ("topic" in o && "payload" in o) {
    return { kind: "rtds", batch: one(parseRtdsMessage(o), o, "$") };
  }
  if (isKeysetPage(o, "markets")) {
    return { kind: "gamma_markets_page", batch: parseGammaMarketsPage(o, date) };
  }
  if (isKeysetPage(o, "events")) {
    return { kind: "gamma_events_page", batch: parseGammaEventsPage(o, date) };
  }
  if ("bids" in o && "asks" in o) return { kind: "clob_book", batch: parseBooks([o], receivedAt) };
  if ("condition_id" in o && "tokens" in o) {
    return { kind: "clob_market", batch: one(clobMarketSchema.safeParse(o), o, "$") };
  }
  if ("taker_order_id" in o) {
    return { kind: "clob_trade", batch: one(userTradeSchema.safeParse(o), o, "$") };
  }
  // `data: null` is the documented empty v2 result.
  if ((Array.isArray(o.data) || o.data === null) && "pagination" in o) {
    const first = Array.isArray(o.data) ? o.data[0] : undefined;
    if (isObj(first) && "current_size" in first) {
      return { kind: "data_positions_v2", batch: parseV2Page(o, positionV2Schema) };
    }
    const kind = isObj(first) && "type" in first ? "data_activity_v2" : "data_trades_v2";
    return { kind, batch: parseTradesV2(o, date) };
  }
  if (Array.isArray(o.data) && "next_cursor" in o) {
    return { kind: "clob_markets_page", batch: parseClobMarketsPage(o) };
  }
  if ("history" in o) return { kind: "clob_price_history", batch: parsePriceHistory(o) };
  if ("mid" in o || "mid_price" in o) {
    return { kind: "clob_midpoint", batch: scalar(parseMidpoint(o), o, "mid") };
  }
  if ("price" in o && Object.keys(o).length <= 2) {
    return { kind: "clob_price", batch: scalar(parsePrice(o), o, "price") };
  }
  if ("base_fee" in o) {
    return { kind: "clob_fee_rate", batch: scalar(parseFeeRate(o), o, "baseFee") };
  }
  if ("ticker" in o) return { kind: "gamma_event", batch: parseGammaEventsPage([o], date) };
  // Keys only Gamma markets have: `question` alone also fits /markets/live-activity bodies.
  if ("id" in o && GAMMA_MARKET_KEYS.some((k) => k in o)) {
    return { kind: "gamma_market", batch: parseGammaMarketsPage([o], date) };
  }
  return null;
}

/** Detects the kind of one parsed JSON value and parses it. */
export function detectPayload(value: unknown, receivedAt: number): Detected | null {
  if (Array.isArray(value)) return detectArray(value, receivedAt);
  if (isObj(value)) return detectObject(value, receivedAt);
  return null;
}
