/**
 * The venue's two auth levels. L1 (`POLY_ADDRESS`, `POLY_SIGNATURE`, `POLY_TIMESTAMP`,
 * `POLY_NONCE`): an EIP-712 `ClobAuth` signature by the wallet, which creates or derives API
 * credentials. L2 (`POLY_ADDRESS`, `POLY_SIGNATURE`, `POLY_TIMESTAMP`, `POLY_API_KEY`,
 * `POLY_PASSPHRASE`): an HMAC-SHA256 keyed with the base64url-decoded secret over
 * `timestamp + METHOD + path + body`, sent url-safe base64. Credentials are deterministic per
 * (address, nonce) and simulator seed, so "derive" returns what "create" returned.
 *
 * @example
 * ```ts
 * import { ApiKeys } from "./clob_auth.ts";
 * const keys = new ApiKeys(1);
 * // const creds = await keys.credentialsFor("0xabc…", 0n);
 * ```
 */
import { clobAuthDigest, recoverSigner } from "./_eip712.ts";

/** API credentials as the venue returns them. */
export interface ApiCredentials {
  apiKey: string;
  secret: string;
  passphrase: string;
}

/** An authenticated L2 caller. */
export interface ApiKeyOwner extends ApiCredentials {
  /** Lower-case address that created the key. */
  address: string;
}

/** L2 signatures older or newer than this are refused (seconds). */
const MAX_SKEW_SECONDS = 300;
const encoder = new TextEncoder();

/** The venue's API keys: created by L1, checked on every L2 call. */
export class ApiKeys {
  readonly #seed: number;
  readonly #byKey = new Map<string, ApiKeyOwner>();
  readonly #now: () => number;

  /** Keys derive from `seed`; `now` (ms) bounds timestamp skew. */
  constructor(seed: number, now: () => number = Date.now) {
    this.#seed = seed;
    this.#now = now;
  }

  /** The deterministic credentials of (address, nonce); registers them. */
  async credentialsFor(address: string, nonce: bigint): Promise<ApiCredentials> {
    const material = await hmac(
      encoder.encode(`polyarb-simulator:${this.#seed}`),
      `${address.toLowerCase()}:${nonce}`,
    );
    const hex = Array.from(material, (b) => b.toString(16).padStart(2, "0")).join("");
    const apiKey = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${
      hex.slice(17, 20)
    }-${hex.slice(20, 32)}`;
    const secretBytes = await hmac(material, "secret");
    const secret = btoa(String.fromCharCode(...secretBytes)).replace(/\+/g, "-").replace(
      /\//g,
      "_",
    );
    const passphrase = hex.slice(32, 64);
    const creds = { apiKey, secret, passphrase };
    this.#byKey.set(apiKey, { ...creds, address: address.toLowerCase() });
    return creds;
  }

  /** The owner of an API key, or undefined. */
  owner(apiKey: string): ApiKeyOwner | undefined {
    return this.#byKey.get(apiKey);
  }

  /** Verifies L1 headers; returns the address and nonce, or an error text. */
  verifyL1(headers: Headers): { address: string; nonce: bigint } | { error: string } {
    const address = headers.get("POLY_ADDRESS") ?? "";
    const signature = headers.get("POLY_SIGNATURE") ?? "";
    const timestamp = headers.get("POLY_TIMESTAMP") ?? "";
    const nonceText = headers.get("POLY_NONCE") ?? "0";
    if (!/^0x[0-9a-fA-F]{40}$/.test(address) || !/^\d+$/.test(nonceText) || timestamp === "") {
      return { error: "Invalid L1 Request headers" };
    }
    const nonce = BigInt(nonceText);
    const signer = recoverSigner(clobAuthDigest(address, timestamp, nonce), signature);
    if (signer !== address.toLowerCase()) return { error: "Invalid L1 Request headers" };
    return { address: signer, nonce };
  }

  /**
   * Verifies L2 headers over the request's method, path (no query) and exact body text;
   * returns the key's owner, or null (the venue answers 401).
   */
  async verifyL2(
    headers: Headers,
    request: { method: string; path: string; body: string },
  ): Promise<ApiKeyOwner | null> {
    const owner = this.#byKey.get(headers.get("POLY_API_KEY") ?? "");
    if (owner === undefined) return null;
    if (headers.get("POLY_PASSPHRASE") !== owner.passphrase) return null;
    if ((headers.get("POLY_ADDRESS") ?? "").toLowerCase() !== owner.address) return null;
    const timestamp = headers.get("POLY_TIMESTAMP") ?? "";
    if (!/^\d+$/.test(timestamp)) return null;
    if (Math.abs(Number(timestamp) - this.#now() / 1000) > MAX_SKEW_SECONDS) return null;
    const expected = await l2Signature(owner.secret, {
      timestamp,
      method: request.method,
      path: request.path,
      body: request.body,
    });
    return headers.get("POLY_SIGNATURE") === expected ? owner : null;
  }
}

/** The L2 HMAC signature (url-safe base64, padding kept) as the official client builds it. */
export async function l2Signature(
  secret: string,
  message: { timestamp: string; method: string; path: string; body: string },
): Promise<string> {
  const normalized = secret.replace(/-/g, "+").replace(/_/g, "/");
  const padded = normalized + "=".repeat((4 - normalized.length % 4) % 4);
  const key = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  const mac = await hmac(key, message.timestamp + message.method + message.path + message.body);
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_");
}

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(text)));
}
