/**
 * Client→server websocket messages (market/user subscriptions, runtime subscribe/unsubscribe),
 * RTDS messages and Gamma tags: payloads the collector sends or only inspects.
 *
 * @example
 * ```ts
 * import { parseClientMessage } from "./client_schema.ts";
 * parseClientMessage({ assets_ids: ["1"], type: "market" }).success; // true
 * ```
 */
import { z } from "zod";

/** A subscription message, with credentials reduced to a flag (never echoed). */
export interface ClientMessage {
  kind: "client_subscribe";
  channel: "market" | "user";
  operation: "subscribe" | "unsubscribe";
  assetIds: string[];
  markets: string[];
  customFeatureEnabled: boolean;
  initialDump: boolean | null;
  hasAuth: boolean;
}

const clientSchema = z.object({
  assets_ids: z.array(z.string()).nullish(),
  markets: z.array(z.string()).nullish(),
  type: z.enum(["market", "user", "MARKET", "USER"]).nullish(),
  operation: z.enum(["subscribe", "unsubscribe"]).nullish(),
  custom_feature_enabled: z.boolean().nullish(),
  initial_dump: z.boolean().nullish(),
  auth: z.object({}).passthrough().nullish(),
}).refine((m) => m.type != null || m.operation != null, "needs type or operation")
  .transform((m): ClientMessage => ({
    kind: "client_subscribe",
    channel: m.type?.toLowerCase() === "user" || m.auth != null ? "user" : "market",
    operation: m.operation ?? "subscribe",
    assetIds: m.assets_ids ?? [],
    markets: m.markets ?? [],
    customFeatureEnabled: m.custom_feature_enabled ?? false,
    initialDump: m.initial_dump ?? null,
    hasAuth: m.auth != null,
  })) satisfies z.ZodType<ClientMessage>;

/** Parses a client→server subscription message. */
export function parseClientMessage(raw: unknown): z.ZodSafeParseResult<ClientMessage> {
  return clientSchema.safeParse(raw);
}

/** An RTDS message (`wss://ws-live-data.polymarket.com`); the payload is kept as sent. */
export interface RtdsMessage {
  kind: "rtds";
  topic: string;
  type: string;
  timestamp: number | null;
  payload: unknown;
}

const rtdsSchema = z.object({
  topic: z.string(),
  type: z.string(),
  timestamp: z.number().nullish(),
  payload: z.unknown(),
}).transform((m): RtdsMessage => ({
  kind: "rtds",
  topic: m.topic,
  type: m.type,
  timestamp: m.timestamp ?? null,
  payload: m.payload,
}));

/** Parses one RTDS message. */
export function parseRtdsMessage(raw: unknown): z.ZodSafeParseResult<RtdsMessage> {
  return rtdsSchema.safeParse(raw);
}

/** A Gamma tag (`GET /tags`). */
export interface GammaTag {
  id: string;
  label: string;
  slug: string;
}

/** Wire schema of a Gamma tag. */
export const gammaTagSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  label: z.string(),
  slug: z.string(),
}) satisfies z.ZodType<GammaTag>;
