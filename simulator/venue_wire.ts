/**
 * The trading wire of the simulated venue: the `POST /order` body as the official client sends
 * it (parsed with zod; a V1 order is told apart by its V1-only fields), and the objects the
 * venue answers with — open orders, trades, the user channel's `order` and `trade` messages —
 * with the venue's field names.
 *
 * @example
 * ```ts
 * import { parseOrderRequest } from "./venue_wire.ts";
 * const parsed = parseOrderRequest({ order: {}, owner: "k", orderType: "GTC" });
 * parsed.kind; // "invalid"
 * ```
 */
import { z } from "zod";
import type { OrderV2Fields } from "./_eip712.ts";
import { formatScaled } from "./universe.ts";

/** Order types the venue takes. */
export type OrderType = "GTC" | "GTD" | "FOK" | "FAK";

/** A parsed `POST /order` body. */
export interface OrderRequest {
  order: OrderV2Fields & { expiration: string; signature: string };
  owner: string;
  orderType: OrderType;
  postOnly: boolean;
  deferExec: boolean;
}

const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .transform((v) => typeof v === "number" ? BigInt(v).toString() : v);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const ZERO32 = "0x" + "0".repeat(64);

const orderV2 = z.object({
  salt: uint,
  maker: address,
  signer: address,
  tokenId: uint,
  makerAmount: uint,
  takerAmount: uint,
  side: z.enum(["BUY", "SELL"]),
  signatureType: z.number().int().min(0).max(3),
  timestamp: uint,
  expiration: uint.optional(),
  metadata: bytes32.optional(),
  builder: bytes32.optional(),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
});

const body = z.object({
  order: z.record(z.string(), z.unknown()),
  owner: z.string(),
  orderType: z.enum(["GTC", "GTD", "FOK", "FAK"]).default("GTC"),
  postOnly: z.boolean().default(false),
  deferExec: z.boolean().default(false),
});

/** Parses one order request: ok, a V1 order (stale client), or invalid. */
export function parseOrderRequest(
  value: unknown,
): { kind: "ok"; request: OrderRequest } | { kind: "v1" } | { kind: "invalid" } {
  const outer = body.safeParse(value);
  if (!outer.success) return { kind: "invalid" };
  const raw = outer.data.order;
  if ("feeRateBps" in raw || "nonce" in raw) return { kind: "v1" };
  const o = orderV2.safeParse(raw);
  if (!o.success) return { kind: "invalid" };
  const d = o.data;
  return {
    kind: "ok",
    request: {
      order: {
        salt: d.salt,
        maker: d.maker,
        signer: d.signer,
        tokenId: d.tokenId,
        makerAmount: d.makerAmount,
        takerAmount: d.takerAmount,
        side: d.side === "BUY" ? 0 : 1,
        signatureType: d.signatureType,
        timestamp: d.timestamp,
        metadata: d.metadata ?? ZERO32,
        builder: d.builder ?? ZERO32,
        expiration: d.expiration ?? "0",
        signature: d.signature,
      },
      owner: outer.data.owner,
      orderType: outer.data.orderType,
      postOnly: outer.data.postOnly,
      deferExec: outer.data.deferExec,
    },
  };
}

/** Shares in book hundredths as a decimal string. */
export function shares(hundredths: number): string {
  return formatScaled(hundredths, 2);
}

/** Collateral or share base units (1e-6) as a decimal string. */
export function units(value: bigint): string {
  const negative = value < 0n;
  const s = (negative ? -value : value).toString().padStart(7, "0");
  const frac = s.slice(-6).replace(/0+$/, "");
  const text = frac === "" ? s.slice(0, -6) : `${s.slice(0, -6)}.${frac}`;
  return negative ? `-${text}` : text;
}

/** A user-channel or REST object (snake_case wire names). */
export type WireObject = Record<string, unknown>;
