/**
 * The EIP-712 arithmetic the simulated venue verifies: the CLOB's `ClobAuth` message (L1 auth),
 * the exchange's V2 `Order` struct (and V1's, to tell a stale client apart), domain separators
 * and signer recovery from a 65-byte `r‖s‖v` signature. Written from the EIP-712 rules and the
 * struct definitions in the official client; the simulator verifies, it never signs.
 *
 * @example
 * ```ts
 * import { orderDigest, recoverSigner } from "./_eip712.ts";
 * // const digest = orderDigest(order, { version: "2", verifyingContract: EXCHANGE_V2 });
 * // recoverSigner(digest, order.signature) === order.signer.toLowerCase()
 * ```
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

/** Polygon mainnet, the only chain the simulator serves. */
export const CHAIN_ID = 137n;
/** CTF Exchange V2 (normal markets). */
export const EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B";
/** NegRisk CTF Exchange V2 (neg-risk markets). */
export const NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59";
/** The fixed text every L1 `ClobAuth` signature attests. */
export const CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet";

/** The signed fields of a V2 order (decimal strings for uint256, 0x-hex for the rest). */
export interface OrderV2Fields {
  salt: string;
  maker: string;
  signer: string;
  tokenId: string;
  makerAmount: string;
  takerAmount: string;
  /** 0 = BUY, 1 = SELL. */
  side: 0 | 1;
  signatureType: number;
  timestamp: string;
  metadata: string;
  builder: string;
}

const encoder = new TextEncoder();
const ORDER_V2_TYPE = "Order(uint256 salt,address maker,address signer,uint256 tokenId," +
  "uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp," +
  "bytes32 metadata,bytes32 builder)";
const CLOB_AUTH_TYPE = "ClobAuth(address address,string timestamp,uint256 nonce,string message)";
const DOMAIN_TYPE =
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const DOMAIN_TYPE_NO_CONTRACT = "EIP712Domain(string name,string version,uint256 chainId)";

/** keccak256 of bytes. */
export function keccak(bytes: Uint8Array): Uint8Array {
  return keccak_256(bytes);
}

/** Lower-case 0x-hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const s = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`Not hex: ${hex}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function word(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 256n) throw new RangeError(`Not a uint256: ${value}`);
  return fromHex(value.toString(16).padStart(64, "0"));
}

function addressWord(address: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`Not an address: ${address}`);
  return word(BigInt(address));
}

function bytes32Word(hex: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`Not bytes32: ${hex}`);
  return fromHex(hex);
}

function stringWord(text: string): Uint8Array {
  return keccak(encoder.encode(text));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function digest(domainSeparator: Uint8Array, structHash: Uint8Array): Uint8Array {
  return keccak(concat([new Uint8Array([0x19, 0x01]), domainSeparator, structHash]));
}

/** The exchange's domain separator for a domain version ("1", "2", "3") and contract. */
export function exchangeDomain(version: string, verifyingContract: string): Uint8Array {
  return keccak(concat([
    stringWord(DOMAIN_TYPE),
    stringWord("Polymarket CTF Exchange"),
    stringWord(version),
    word(CHAIN_ID),
    addressWord(verifyingContract),
  ]));
}

/** The EIP-712 digest of a V2 order (its hash is the venue's order id). */
export function orderDigest(
  order: OrderV2Fields,
  domain: { version: string; verifyingContract: string },
): Uint8Array {
  const structHash = keccak(concat([
    stringWord(ORDER_V2_TYPE),
    word(BigInt(order.salt)),
    addressWord(order.maker),
    addressWord(order.signer),
    word(BigInt(order.tokenId)),
    word(BigInt(order.makerAmount)),
    word(BigInt(order.takerAmount)),
    word(BigInt(order.side)),
    word(BigInt(order.signatureType)),
    word(BigInt(order.timestamp)),
    bytes32Word(order.metadata),
    bytes32Word(order.builder),
  ]));
  return digest(exchangeDomain(domain.version, domain.verifyingContract), structHash);
}

/** The EIP-712 digest of the L1 `ClobAuth` message. */
export function clobAuthDigest(address: string, timestamp: string, nonce: bigint): Uint8Array {
  const domain = keccak(concat([
    stringWord(DOMAIN_TYPE_NO_CONTRACT),
    stringWord("ClobAuthDomain"),
    stringWord("1"),
    word(CHAIN_ID),
  ]));
  const structHash = keccak(concat([
    stringWord(CLOB_AUTH_TYPE),
    addressWord(address),
    stringWord(timestamp),
    word(nonce),
    stringWord(CLOB_AUTH_MESSAGE),
  ]));
  return digest(domain, structHash);
}

/**
 * The lower-case address that signed `digest`, or null when `signature` is not a valid
 * 65-byte `r‖s‖v` secp256k1 signature (v = 27/28 or 0/1).
 */
export function recoverSigner(digestBytes: Uint8Array, signature: string): string | null {
  let raw: Uint8Array;
  try {
    raw = fromHex(signature);
  } catch {
    return null;
  }
  if (raw.length !== 65) return null;
  const v = raw[64] >= 27 ? raw[64] - 27 : raw[64];
  if (v !== 0 && v !== 1) return null;
  try {
    const recovered = concat([new Uint8Array([v]), raw.subarray(0, 64)]);
    const publicKey = secp256k1.recoverPublicKey(recovered, digestBytes, { prehash: false });
    const point = secp256k1.Point.fromBytes(publicKey).toBytes(false);
    return toHex(keccak(point.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}
