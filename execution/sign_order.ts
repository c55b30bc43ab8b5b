/**
 * EIP-712 signing of CTF Exchange V2 orders (polymarket-api.md §4.2–4.3). The order hashes use
 * `_keccak256.ts` (WebAssembly; the domain separators and checksums, computed once, noble's
 * keccak); the salt noble's SHA-256; the signature the `backend` of the options
 * (`signer_backend.ts`: the system's libsecp256k1 or `@noble/curves`, the same bytes; noble when
 * none is given).
 *
 * - Domain `{name: "Polymarket CTF Exchange", version: "2", chainId: 137, verifyingContract}`,
 *   where the contract is the NegRisk CTF Exchange V2 for a neg-risk market and the CTF
 *   Exchange V2 otherwise. Both separators are computed once, at import.
 * - Struct `Order(uint256 salt, address maker, address signer, uint256 tokenId,
 *   uint256 makerAmount, uint256 takerAmount, uint8 side, uint8 signatureType,
 *   uint256 timestamp, bytes32 metadata, bytes32 builder)`; side 0 = BUY, 1 = SELL; timestamp
 *   in ms. `expiration` is not signed in V2: it travels in the JSON body only.
 * - The order hash (keccak256(0x1901 ‖ domain separator ‖ struct hash)) is the venue's
 *   `orderID`: the ledger records it before sending, so a restart can look the order up.
 * - The signature is 65 bytes r ‖ s ‖ v with low s and v = 27 or 28 (RFC 6979 deterministic k,
 *   as viem and ethers sign), as 0x-prefixed hex.
 * - Salt: `saltFromClientOrderId` takes the first 6 bytes (48 bits) of
 *   SHA-256("polyarb/order-salt/v1:" + clientOrderId), so the same intent signed with the
 *   same timestamp always gives the same order hash, and the salt stays an exact JSON number
 *   (< 2^53, as the official client's salts are).
 *
 * Signature types: 0 (EOA: maker = signer = the key's address), 1 (POLY_PROXY) and
 * 2 (POLY_GNOSIS_SAFE) (maker = the funder wallet, signer = the key's address). Type 3
 * (POLY_1271, deposit wallets; an ERC-7739-wrapped signature checked through ERC-1271) is NOT
 * supported: `signOrder` throws for it.
 *
 * @example
 * ```ts
 * import { addressOf, saltFromClientOrderId, signOrder, ZERO_BYTES32 } from "./sign_order.ts";
 * const key = new Uint8Array(32).fill(7);
 * const me = addressOf(key);
 * const signed = signOrder({
 *   salt: saltFromClientOrderId("c-1"), maker: me, signer: me, tokenId: 123n,
 *   makerAmount: 5_200_000n, takerAmount: 10_000_000n, side: "BUY", signatureType: 0,
 *   timestamp: 1_780_000_000_000n, expiration: 0, metadata: ZERO_BYTES32, builder: ZERO_BYTES32,
 * }, key, { negRisk: false });
 * signed.orderHash; // "0x…" (the venue's orderID)
 * ```
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Side } from "./broker.ts";
import { keccak256 } from "./_keccak256.ts";
import { NOBLE_BACKEND, type SignBackend } from "./signer_backend.ts";

/** Polygon mainnet. */
export const CHAIN_ID = 137;
/** CTF Exchange V2 (polymarket-api.md §4.2). */
export const CTF_EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B";
/** NegRisk CTF Exchange V2. */
export const NEG_RISK_CTF_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59";
/** The default `metadata` and `builder`. */
export const ZERO_BYTES32 = `0x${"00".repeat(32)}`;

/** 0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE (3 POLY_1271 is not supported here). */
export type SignatureType = 0 | 1 | 2;

/** The V2 order before signing; amounts in 6-decimal base units. */
export interface UnsignedOrder {
  readonly salt: bigint;
  /** The funder (EIP-55 checksummed): the key's address for type 0. */
  readonly maker: string;
  /** The key's address (EIP-55 checksummed). */
  readonly signer: string;
  readonly tokenId: bigint;
  readonly makerAmount: bigint;
  readonly takerAmount: bigint;
  readonly side: Side;
  readonly signatureType: SignatureType;
  /** Unix ms. */
  readonly timestamp: bigint;
  /** Unix seconds; 0 for none. Not signed. */
  readonly expiration: number;
  readonly metadata: string;
  readonly builder: string;
}

/** A signed order and its hash (the venue's orderID). */
export interface SignedOrder extends UnsignedOrder {
  /** 0x + 65 bytes (r ‖ s ‖ v). */
  readonly signature: string;
  /** 0x + 32 bytes. */
  readonly orderHash: string;
}

const ORDER_TYPE =
  "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount," +
  "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata," +
  "bytes32 builder)";
const DOMAIN_TYPE =
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const ORDER_TYPE_HASH = keccak_256(utf8ToBytes(ORDER_TYPE));
const SALT_PREFIX = "polyarb/order-salt/v1:";
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The EIP-712 domain separator of an exchange contract on Polygon. */
export function domainSeparator(verifyingContract: string): Uint8Array {
  const words = new Uint8Array(5 * 32);
  words.set(keccak_256(utf8ToBytes(DOMAIN_TYPE)), 0);
  words.set(keccak_256(utf8ToBytes("Polymarket CTF Exchange")), 32);
  words.set(keccak_256(utf8ToBytes("2")), 64);
  putUint(words, 96, BigInt(CHAIN_ID));
  putAddress(words, 128, verifyingContract);
  return keccak_256(words);
}

const SEPARATORS = {
  plain: domainSeparator(CTF_EXCHANGE_V2),
  negRisk: domainSeparator(NEG_RISK_CTF_EXCHANGE_V2),
};

/** The EIP-712 struct hash of an order. */
export function orderStructHash(order: UnsignedOrder): Uint8Array {
  return keccak256(structWords(order));
}

/** The digest that is signed; as 0x-hex it is the venue's orderID. */
export function orderDigest(order: UnsignedOrder, options: { negRisk: boolean }): Uint8Array {
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(options.negRisk ? SEPARATORS.negRisk : SEPARATORS.plain, 2);
  keccak256(structWords(order), message.subarray(34));
  return keccak256(message);
}

/** The 12 words the struct hash is taken over. */
function structWords(order: UnsignedOrder): Uint8Array {
  const words = new Uint8Array(12 * 32);
  words.set(ORDER_TYPE_HASH, 0);
  putUint(words, 32, order.salt);
  putAddress(words, 64, order.maker);
  putAddress(words, 96, order.signer);
  putUint(words, 128, order.tokenId);
  putUint(words, 160, order.makerAmount);
  putUint(words, 192, order.takerAmount);
  words[255] = order.side === "BUY" ? 0 : 1;
  words[287] = order.signatureType;
  putUint(words, 288, order.timestamp);
  putBytes32(words, 320, order.metadata, "metadata");
  putBytes32(words, 352, order.builder, "builder");
  return words;
}

/** Options of `signOrder`. */
export interface SignOrderOptions {
  /** The neg-risk exchange's domain. */
  readonly negRisk: boolean;
  /** Who computes the ECDSA signature (`signer_backend.ts`); default noble. Same bytes. */
  readonly backend?: SignBackend;
}

/**
 * Signs `order` for the V2 exchange of its market with the 32-byte secret key.
 * @throws {RangeError} for signature type 3, a signer that is not the key's address, or a
 * maker that differs from the signer under type 0.
 */
export function signOrder(
  order: UnsignedOrder,
  secretKey: Uint8Array,
  options: SignOrderOptions,
): SignedOrder {
  if (order.signatureType !== 0 && order.signatureType !== 1 && order.signatureType !== 2) {
    throw new RangeError(`Signature type ${order.signatureType} is not supported (0, 1 or 2)`);
  }
  if (order.signatureType === 0 && order.maker.toLowerCase() !== order.signer.toLowerCase()) {
    throw new RangeError("An EOA order (signature type 0) has maker = signer");
  }
  const digest = orderDigest(order, options);
  const signature = (options.backend ?? NOBLE_BACKEND).signDigest(digest, secretKey);
  return {
    ...order,
    signature: `0x${bytesToHex(signature)}`,
    orderHash: `0x${bytesToHex(digest)}`,
  };
}

/** The deterministic salt of a client order id: 48 bits of a SHA-256 (see the header). */
export function saltFromClientOrderId(clientOrderId: string): bigint {
  const hash = sha256(utf8ToBytes(SALT_PREFIX + clientOrderId));
  // 48 bits: exact as a double, so one BigInt at the end instead of six bigint steps.
  const high = hash[0]! * 256 + hash[1]!;
  const low = ((hash[2]! << 24) | (hash[3]! << 16) | (hash[4]! << 8) | hash[5]!) >>> 0;
  return BigInt(high * 2 ** 32 + low);
}

/** The EIP-55 checksummed address of a 32-byte secp256k1 secret key. */
export function addressOf(secretKey: Uint8Array): string {
  const publicKey = secp256k1.getPublicKey(secretKey, false);
  return checksumAddress(`0x${bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12))}`);
}

/**
 * EIP-55 mixed-case form of a 20-byte hex address.
 * @throws {TypeError} when `address` is not 0x + 40 hex digits.
 */
export function checksumAddress(address: string): string {
  const lower = bytesToHex(addressBytes(address));
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    out += parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

function addressBytes(address: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`Not an address: ${address}`);
  return hexToBytes(address.slice(2));
}

/** Writes a 20-byte address right-aligned into the (zeroed) word at `offset`. */
function putAddress(words: Uint8Array, offset: number, address: string): void {
  if (address.length !== 42 || !putHex(words, offset + 12, address, 2)) {
    throw new TypeError(`Not an address: ${address}`);
  }
}

/** Writes a 0x + 32-byte hex value into the word at `offset`; all zeros (the default) is a no-op. */
function putBytes32(words: Uint8Array, offset: number, hex: string, name: string): void {
  if (hex === ZERO_BYTES32) return;
  if (hex.length !== 66 || !putHex(words, offset, hex, 2)) {
    throw new TypeError(`${name} is not 0x + 32 bytes`);
  }
}

/**
 * Decodes the hex digits of `text` from `from` (after a "0x" there) into `words` at `offset`;
 * false when the prefix or a digit is wrong.
 */
function putHex(words: Uint8Array, offset: number, text: string, from: number): boolean {
  if (text.charCodeAt(0) !== 48 || (text.charCodeAt(1) | 32) !== 120) return false; // "0x"
  for (let i = from, at = offset; i < text.length; i += 2, at++) {
    const hi = nibble(text.charCodeAt(i));
    const lo = nibble(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return false;
    words[at] = (hi << 4) | lo;
  }
  return true;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1; // a-f, A-F
}

/** Writes a uint256 big-endian into the 32-byte word at `offset` (the word starts zeroed). */
function putUint(words: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`Not a uint256: ${value}`);
  if (value <= MAX_SAFE) {
    // Salts, amounts and timestamps: exact as a double, no bigint arithmetic.
    let n = Number(value);
    for (let at = offset + 31; n > 0; at--) {
      words[at] = n % 256;
      n = Math.floor(n / 256);
    }
    return;
  }
  // Token ids: through hex text, far cheaper than 32 rounds of bigint shifts.
  const hex = value.toString(16);
  let at = offset + 32 - ((hex.length + 1) >> 1);
  let i = 0;
  if (hex.length % 2 === 1) words[at++] = nibble(hex.charCodeAt(i++));
  for (; i < hex.length; i += 2) {
    words[at++] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
  }
}
