/**
 * The CLOB's L1 authentication (polymarket-api.md §4.1): the wallet signs the EIP-712
 * `ClobAuth` message (domain `{name: "ClobAuthDomain", version: "1", chainId: 137}`, struct
 * `ClobAuth(address address, string timestamp, uint256 nonce, string message)` with the fixed
 * message "This message attests that I control the given wallet"), sent as `POLY_ADDRESS`,
 * `POLY_SIGNATURE`, `POLY_TIMESTAMP` (unix seconds) and `POLY_NONCE`. With it,
 * `GET /auth/derive-api-key` returns the API credentials of (address, nonce); an address that
 * has none yet creates them with `POST /auth/api-key`. The credentials are the same every time
 * for the same nonce, so live trading derives them at each start instead of storing them.
 *
 * The key's address signs even for signature types 1 and 2 (the API key belongs to the signer,
 * not the funder). The key stays a `SecretKey` until the one signature is made.
 *
 * @example
 * ```ts ignore
 * import { deriveApiCredentials } from "./l1_auth.ts";
 * const credentials = await deriveApiCredentials(config.api.clobUrl, key, { signal });
 * ```
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { z } from "zod";
import { SecretKey } from "../keys/age_key.ts";
import { HttpStatusError, TransportError } from "../polymarket/errors.ts";
import type { ApiCredentials } from "./l2_headers.ts";
import { addressOf, CHAIN_ID } from "./sign_order.ts";

const CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet";
const DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)";
const CLOB_AUTH_TYPE = "ClobAuth(address address,string timestamp,uint256 nonce,string message)";

/** The four L1 headers. */
export interface L1Headers {
  readonly POLY_ADDRESS: string;
  readonly POLY_SIGNATURE: string;
  readonly POLY_TIMESTAMP: string;
  readonly POLY_NONCE: string;
}

/** The EIP-712 digest of `ClobAuth` for `address` at `timestampSec` with `nonce`. */
export function clobAuthDigest(address: string, timestampSec: number, nonce: bigint): Uint8Array {
  const text = (s: string) => keccak_256(utf8ToBytes(s));
  const domain = keccak_256(concatBytes(
    text(DOMAIN_TYPE),
    text("ClobAuthDomain"),
    text("1"),
    uint256(BigInt(CHAIN_ID)),
  ));
  const struct = keccak_256(concatBytes(
    text(CLOB_AUTH_TYPE),
    uint256(BigInt(address)),
    text(String(timestampSec)),
    uint256(nonce),
    text(CLOB_AUTH_MESSAGE),
  ));
  return keccak_256(concatBytes(new Uint8Array([0x19, 0x01]), domain, struct));
}

/** The L1 headers of the key's address at `timestampSec` (unix seconds). */
export function l1Headers(key: SecretKey, timestampSec: number, nonce = 0n): L1Headers {
  const secret = secretBytes(key);
  const address = addressOf(secret);
  const digest = clobAuthDigest(address, timestampSec, nonce);
  const recovered = secp256k1.sign(digest, secret, { prehash: false, format: "recovered" });
  const signature = new Uint8Array(65);
  signature.set(recovered.subarray(1), 0);
  signature[64] = 27 + recovered[0]!;
  return {
    POLY_ADDRESS: address,
    POLY_SIGNATURE: `0x${bytesToHex(signature)}`,
    POLY_TIMESTAMP: String(timestampSec),
    POLY_NONCE: String(nonce),
  };
}

/** The venue's answer (`{apiKey, secret, passphrase}`). */
const credentialsSchema = z.object({
  apiKey: z.string().min(1),
  secret: z.string().min(1),
  passphrase: z.string().min(1),
});

/**
 * The API credentials of the key's address: derived, or created when the address has none.
 * @throws {HttpStatusError} when the venue refuses both (the message never quotes a secret).
 */
export async function deriveApiCredentials(
  clobUrl: string,
  key: SecretKey,
  options: {
    readonly signal?: AbortSignal;
    readonly timeoutMs?: number;
    readonly nonce?: bigint;
    readonly now?: () => number;
  } = {},
): Promise<ApiCredentials> {
  const now = options.now ?? Date.now;
  const call = async (method: "GET" | "POST", path: string) => {
    const headers = l1Headers(key, Math.floor(now() / 1000), options.nonce ?? 0n);
    const signal = AbortSignal.any([
      ...(options.signal === undefined ? [] : [options.signal]),
      AbortSignal.timeout(options.timeoutMs ?? 10_000),
    ]);
    let res: Response;
    try {
      res = await fetch(new URL(path, withSlash(clobUrl)), {
        method,
        headers: { ...headers },
        signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new TransportError(`Cannot reach /${path}`, { cause: err, endpoint: `/${path}` });
    }
    const json: unknown = await res.json().catch(() => null);
    const parsed = credentialsSchema.safeParse(json);
    return res.ok && parsed.success ? parsed.data : res.status;
  };
  let answer = await call("GET", "auth/derive-api-key");
  if (typeof answer === "number") answer = await call("POST", "auth/api-key");
  if (typeof answer === "number") {
    throw new HttpStatusError(`Cannot derive or create API credentials: HTTP ${answer}`, {
      status: answer,
      endpoint: "/auth/api-key",
    });
  }
  return {
    apiKey: answer.apiKey,
    secret: new SecretKey(answer.secret),
    passphrase: new SecretKey(answer.passphrase),
  };
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function uint256(value: bigint): Uint8Array {
  return hexToBytes(value.toString(16).padStart(64, "0"));
}

/** 32 bytes of the hex key (0x optional); the error never quotes it. */
function secretBytes(key: SecretKey): Uint8Array {
  const text = key.reveal().trim();
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new TypeError("The trading key is not 32 bytes of hex (64 hex digits, 0x optional)");
  }
  return hexToBytes(hex);
}
