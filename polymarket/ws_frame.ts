/**
 * `parseWsFrame`: one market-websocket text frame → messages, rejects and the PONG flag.
 * Routes on `event_type` first; the high-rate kinds use hand-written readers, the rare
 * custom-feature kinds use zod. Never throws.
 *
 * @example
 * ```ts
 * import { parseWsFrame } from "./ws_frame.ts";
 * parseWsFrame("PONG", 0).pong; // true
 * parseWsFrame("[]", 0).messages.length; // 0
 * ```
 */
import { z } from "zod";
import {
  conditionIdSchema,
  decimalSchema,
  eventIdSchema,
  marketIdSchema,
  storableTextSchema,
  tokenIdSchema,
} from "./ids.ts";
import {
  optionalDecimalSchema,
  optionalLooseBoolSchema,
  optionalSignedDecimalTextSchema,
  optionalTextSchema,
  timestampSchema,
  unixMsSchema,
} from "./_wire.ts";
import { isObj, type Obj } from "./_fast.ts";
import { describeIssues, type Reject } from "./batch.ts";
import {
  readBestBidAsk,
  readBook,
  readPriceChange,
  readTickSizeChange,
  readTrade,
  type WsMarketResolvedMessage,
  type WsMessage,
  type WsNewMarketMessage,
} from "./ws_schema.ts";

/** The result of parsing one frame. */
export interface WsFrame {
  messages: WsMessage[];
  /** At most `maxRejects` of the frame's rejects, raw excerpts short. */
  rejects: Reject[];
  /** Rejects past `maxRejects` in this frame: counted, not kept. */
  rejectsOmitted: number;
  /** True when the frame was the text `PONG` (keepalive answer). */
  pong: boolean;
}

/** Limits of `parseWsFrame`. */
export interface WsFrameLimits {
  /** A longer frame (in characters, ≈ bytes of JSON) is one reject, not parsed. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** Rejects kept per frame (default 10); the rest are counted in `rejectsOmitted`. */
  readonly maxRejects?: number;
}

/** Default of `PMCOLLECT_WS_MAX_FRAME_BYTES`. */
export const WS_MAX_FRAME_BYTES = 8 * 1024 * 1024;
const MAX_REJECTS = 10;
/** Characters of an unparsed frame kept as the raw of its reject. */
const RAW_EXCERPT = 200;

const newMarketSchema = z.object({
  id: marketIdSchema,
  market: conditionIdSchema,
  question: optionalTextSchema,
  slug: optionalTextSchema,
  assets_ids: z.array(tokenIdSchema).nullish(),
  clob_token_ids: z.array(tokenIdSchema).nullish(),
  outcomes: z.array(storableTextSchema()).nullish(),
  event_message: z.object({ id: eventIdSchema }).nullish(),
  order_price_min_tick_size: z.union([z.literal(""), decimalSchema]).nullish(),
  timestamp: unixMsSchema,
  description: optionalTextSchema,
  group_item_title: optionalTextSchema,
  sports_market_type: optionalTextSchema,
  line: optionalSignedDecimalTextSchema,
  game_start_time: timestampSchema,
  fees_enabled: optionalLooseBoolSchema,
  taker_base_fee: optionalDecimalSchema,
  fee_schedule: z.object({
    exponent: optionalDecimalSchema,
    rate: optionalDecimalSchema,
    taker_only: optionalLooseBoolSchema,
    rebate_rate: optionalDecimalSchema,
  }).nullish(),
});

const marketResolvedSchema = z.object({
  id: marketIdSchema.nullish(),
  market: conditionIdSchema,
  assets_ids: z.array(tokenIdSchema).nullish(),
  winning_asset_id: tokenIdSchema,
  winning_outcome: optionalTextSchema,
  timestamp: unixMsSchema,
});

function readNewMarket(o: Obj, receivedAt: number): WsNewMarketMessage | string {
  const r = newMarketSchema.safeParse(o);
  if (!r.success) return describeIssues(r.error);
  const m = r.data;
  return {
    kind: "new_market",
    market: m.market,
    timestamp: m.timestamp,
    receivedAt,
    marketId: m.id,
    question: m.question,
    slug: m.slug,
    tokenIds: m.assets_ids ?? m.clob_token_ids ?? [],
    outcomes: m.outcomes ?? [],
    eventId: m.event_message?.id ?? null,
    tickSize: m.order_price_min_tick_size || null,
    description: m.description,
    groupItemTitle: m.group_item_title,
    sportsMarketType: m.sports_market_type,
    line: m.line,
    gameStartTime: m.game_start_time,
    feesEnabled: m.fees_enabled,
    takerBaseFee: m.taker_base_fee,
    feeSchedule: m.fee_schedule == null ? null : {
      exponent: m.fee_schedule.exponent,
      rate: m.fee_schedule.rate,
      takerOnly: m.fee_schedule.taker_only,
      rebateRate: m.fee_schedule.rebate_rate,
    },
  };
}

function readMarketResolved(o: Obj, receivedAt: number): WsMarketResolvedMessage | string {
  const r = marketResolvedSchema.safeParse(o);
  if (!r.success) return describeIssues(r.error);
  const m = r.data;
  return {
    kind: "market_resolved",
    market: m.market,
    timestamp: m.timestamp,
    receivedAt,
    marketId: m.id ?? null,
    tokenIds: m.assets_ids ?? [],
    winningTokenId: m.winning_asset_id,
    winningOutcome: m.winning_outcome,
  };
}

/** Parses one message object; returns the message or a reject reason. */
export function parseWsMessage(o: unknown, receivedAt: number): WsMessage | string {
  if (!isObj(o)) return "message is not an object";
  const type = o.event_type;
  try {
    switch (type) {
      case "price_change":
        return readPriceChange(o, receivedAt);
      case "last_trade_price":
        return readTrade(o, receivedAt);
      case "book":
        return readBook(o, receivedAt);
      case "tick_size_change":
        return readTickSizeChange(o, receivedAt);
      case "best_bid_ask":
        return readBestBidAsk(o, receivedAt);
      case "new_market":
        return readNewMarket(o, receivedAt);
      case "market_resolved":
        return readMarketResolved(o, receivedAt);
      case undefined:
        return "missing event_type";
      default:
        return `unknown event_type ${String(type)}`;
    }
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Parses a market-websocket text frame (object, array of objects, `[]` or `PONG`). A frame
 * over `maxFrameBytes` is not parsed (one reject); at most `maxRejects` rejects are kept.
 */
export function parseWsFrame(
  text: string,
  receivedAt: number,
  limits: WsFrameLimits = {},
): WsFrame {
  const messages: WsMessage[] = [];
  const rejects: Reject[] = [];
  const maxRejects = limits.maxRejects ?? MAX_REJECTS;
  let rejectsOmitted = 0;
  const reject = (path: string, reason: string, raw: unknown) => {
    if (rejects.length < maxRejects) rejects.push({ path, reason, raw });
    else rejectsOmitted++;
  };
  const first = text.charCodeAt(0);
  // '{' or '[': skip the PONG check on the hot path.
  if (first !== 123 && first !== 91 && text.trim() === "PONG") {
    return { messages, rejects, rejectsOmitted, pong: true };
  }
  const maxBytes = limits.maxFrameBytes ?? WS_MAX_FRAME_BYTES;
  if (text.length > maxBytes) {
    const reason = `frame too large: ${text.length} characters (limit ${maxBytes})`;
    reject("frame", reason, text.slice(0, RAW_EXCERPT));
    return { messages, rejects, rejectsOmitted, pong: false };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
    reject("frame", reason, text.slice(0, RAW_EXCERPT));
    return { messages, rejects, rejectsOmitted, pong: false };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const m = parseWsMessage(value[i], receivedAt);
      if (typeof m === "string") reject(`frame[${i}]`, m, value[i]);
      else messages.push(m);
    }
  } else {
    const m = parseWsMessage(value, receivedAt);
    if (typeof m === "string") reject("frame", m, value);
    else messages.push(m);
  }
  return { messages, rejects, rejectsOmitted, pong: false };
}
