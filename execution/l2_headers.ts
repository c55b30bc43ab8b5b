/**
 * The CLOB's L2 (API key) authentication headers (polymarket-api.md §4.1), as
 * `@polymarket/clob-client-v2` 1.1.0 builds them (`createL2Headers`, `buildPolyHmacSignature`):
 * `POLY_SIGNATURE` = HMAC-SHA256, keyed with the base64url-decoded API secret, over
 * `timestamp + METHOD + requestPath + body` (body omitted when there is none; the path without
 * host or query string), encoded url-safe base64 with its `=` padding kept. The body must be
 * the exact text that is sent (`order_body.ts`).
 *
 * The secret and passphrase stay `SecretKey`s until the moment they are used.
 *
 * @example
 * ```ts
 * import { l2Headers } from "./l2_headers.ts";
 * import { SecretKey } from "../keys/age_key.ts";
 * const headers = await l2Headers("0xYourAddress", {
 *   apiKey: "uuid", secret: new SecretKey("c2VjcmV0"), passphrase: new SecretKey("pass"),
 * }, { method: "DELETE", requestPath: "/cancel-all" }, Math.floor(Date.now() / 1000));
 * headers.POLY_SIGNATURE; // url-safe base64, padding kept
 * ```
 */
import type { SecretKey } from "../keys/age_key.ts";

/** The API credentials the venue issued for an address (`POST /auth/api-key`). */
export interface ApiCredentials {
  readonly apiKey: string;
  /** base64url text, as issued. */
  readonly secret: SecretKey;
  readonly passphrase: SecretKey;
}

/** What the HMAC covers. */
export interface L2Request {
  readonly method: "GET" | "POST" | "DELETE" | "PUT";
  /** The path as sent, without host or query string ("/order"). */
  readonly requestPath: string;
  /** The exact body text; absent when the request has none. */
  readonly body?: string;
}

/** The five L2 headers, in the client's order. */
export interface L2Headers {
  readonly POLY_ADDRESS: string;
  readonly POLY_SIGNATURE: string;
  readonly POLY_TIMESTAMP: string;
  readonly POLY_API_KEY: string;
  readonly POLY_PASSPHRASE: string;
}

/**
 * The L2 headers of one request from `address` at `timestampSec` (unix seconds; the venue's
 * `GET /time` when the local clock may be off).
 */
export async function l2Headers(
  address: string,
  credentials: ApiCredentials,
  request: L2Request,
  timestampSec: number,
): Promise<L2Headers> {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError(`Not a unix timestamp in seconds: ${timestampSec}`);
  }
  return {
    POLY_ADDRESS: address,
    POLY_SIGNATURE: await l2Signature(credentials.secret, request, timestampSec),
    POLY_TIMESTAMP: String(timestampSec),
    POLY_API_KEY: credentials.apiKey,
    POLY_PASSPHRASE: credentials.passphrase.reveal(),
  };
}

/** The `POLY_SIGNATURE` value alone. */
export async function l2Signature(
  secret: SecretKey,
  request: L2Request,
  timestampSec: number,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    decodeSecret(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const message = `${timestampSec}${request.method}${request.requestPath}${request.body ?? ""}`;
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)),
  );
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
}

/** base64url (or plain base64), padded or not, to bytes; the error never quotes the secret. */
function decodeSecret(secret: SecretKey): Uint8Array<ArrayBuffer> {
  const text = secret.reveal().trim().replaceAll("-", "+").replaceAll("_", "/");
  if (text === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TypeError("The API secret is not base64url text");
  }
  const unpadded = text.replace(/=+$/, "");
  let binary: string;
  try {
    binary = atob(unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4));
  } catch {
    throw new TypeError("The API secret is not base64url text");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
