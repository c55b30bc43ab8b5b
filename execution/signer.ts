/**
 * The one holder of the trading key: an `OrderSigner` is built from the `SecretKey` that
 * `keys/age_key.ts` decrypted into memory, parses it once into 32 bytes kept in a private
 * field, and turns an `OrderRequest` into a signed, ready-to-post V2 order. The key is never
 * returned, logged or printed (inspecting the signer shows its address only).
 *
 * `buildSignedOrder(request, market, nowMs)` checks the venue's rules (`order_rules.ts`),
 * computes the amounts as the official client does (`order_amounts.ts`), derives the salt from
 * the client order id and uses `nowMs` as the signed timestamp (`sign_order.ts`), so the same
 * request built at the same `nowMs` always has the same order hash: record `order.orderHash`
 * (the venue's orderID) with the client order id before sending.
 *
 * The ECDSA signature is computed by the system's libsecp256k1 through FFI when it can be
 * opened (an order then builds and signs about 4× faster), else by `@noble/curves`; the bytes
 * are the same either way (`signer_backend.ts`). `signer.backend` says which, and the `log`
 * option gets one `order_signer_ready` line with it. The native library reads the key in
 * place; no copy is made.
 *
 * @example
 * ```ts
 * import { loadKey } from "../keys/age_key.ts";
 * import { OrderSigner } from "./signer.ts";
 * import { orderBody } from "./order_body.ts";
 * const signer = new OrderSigner(await loadKey("key.age", "identity.txt"));
 * const post = signer.buildSignedOrder(
 *   { clientOrderId: "c-1", tokenId: "123", side: "BUY", orderType: "GTC", price: "0.52",
 *     size: "10", postOnly: false, expiration: null },
 *   { tickSize: "0.01", minOrderSize: "5", negRisk: false },
 *   Date.now(),
 * );
 * const body = orderBody(post, "api-key-uuid");
 * ```
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import type { SecretKey } from "../keys/age_key.ts";
import type { Logger } from "../runtime/log.ts";
import type { OrderRequest } from "./broker.ts";
import type { OrderPost } from "./order_body.ts";
import { orderAmounts } from "./order_amounts.ts";
import { checkOrder, type MarketRules, type RuleCode } from "./order_rules.ts";
import {
  addressOf,
  checksumAddress,
  saltFromClientOrderId,
  type SignatureType,
  signOrder,
  ZERO_BYTES32,
} from "./sign_order.ts";
import {
  chooseSignBackend,
  type SignBackend,
  type SignBackendChoice,
  type SignBackendName,
} from "./signer_backend.ts";

/** How the key trades: as itself (type 0) or for a proxy/safe funder wallet (types 1, 2). */
export interface OrderSignerOptions {
  /** Default 0 (EOA). Type 3 (POLY_1271 deposit wallets) is not supported. */
  readonly signatureType?: SignatureType;
  /**
   * The wallet that holds the funds (the order's maker); required for types 1 and 2. Printed
   * in EIP-55 form in the order (the official client prints it as given).
   */
  readonly funder?: string;
  /**
   * Who computes the ECDSA signature (`signer_backend.ts`): "auto" (default) uses the system's
   * libsecp256k1 through FFI when it can be opened, else `@noble/curves`; "native" requires
   * the library (throws without it); "noble" never tries it. The signatures are identical.
   */
  readonly backend?: SignBackendChoice;
  /** Only this libsecp256k1 name or path (`PMCOLLECT_LIBSECP256K1`); default the usual names. */
  readonly library?: string;
  /** Gets one `order_signer_ready` line naming the backend (and why native was not used). */
  readonly log?: Logger;
}

/** An order the venue's rules refuse, with the venue's own text where it is known. */
export class OrderRuleError extends Error {
  readonly code: RuleCode;
  readonly clientOrderId: string;
  constructor(code: RuleCode, message: string, clientOrderId: string) {
    super(message);
    this.name = "OrderRuleError";
    this.code = code;
    this.clientOrderId = clientOrderId;
  }
}

/** Signs V2 orders with a key held in memory only. */
export class OrderSigner {
  readonly #secret: Uint8Array;
  /** The key's address (the order's signer and, for type 0, its maker). */
  readonly address: string;
  /** The order's maker: the funder for types 1 and 2, else the key's address. */
  readonly maker: string;
  readonly signatureType: SignatureType;
  readonly #backend: SignBackend;
  /** Why "auto" fell back to noble, else null. */
  readonly fallbackReason: string | null;

  /**
   * @throws {TypeError} when the key is not 32 bytes of hex (with or without 0x) or not a
   * valid secp256k1 key (the message never quotes it), or the funder is missing or malformed;
   * {Error} when `backend` is "native" and libsecp256k1 cannot be used.
   */
  constructor(key: SecretKey, options: OrderSignerOptions = {}) {
    this.#secret = parseSecretKey(key);
    this.address = addressOf(this.#secret);
    this.signatureType = options.signatureType ?? 0;
    if (this.signatureType === 0) {
      if (
        options.funder !== undefined && options.funder.toLowerCase() !== this.address.toLowerCase()
      ) {
        throw new TypeError("A funder other than the key's address needs signature type 1 or 2");
      }
      this.maker = this.address;
    } else if (this.signatureType === 1 || this.signatureType === 2) {
      if (options.funder === undefined) {
        throw new TypeError(`Signature type ${this.signatureType} needs the funder wallet address`);
      }
      this.maker = parseFunder(options.funder);
    } else {
      throw new TypeError(`Signature type ${this.signatureType} is not supported (0, 1 or 2)`);
    }
    const chosen = chooseSignBackend({ backend: options.backend, library: options.library });
    this.#backend = chosen.backend;
    this.fallbackReason = chosen.fallbackReason;
    options.log?.info("order_signer_ready", {
      address: this.address,
      signatureType: this.signatureType,
      backend: this.#backend.name,
      library: this.#backend.library,
      ...(chosen.fallbackReason === null ? {} : { fallbackReason: chosen.fallbackReason }),
    });
  }

  /** The implementation that signs: "native" (libsecp256k1) or "noble". */
  get backend(): SignBackendName {
    return this.#backend.name;
  }

  /** The libsecp256k1 name or path the native backend opened, else null. */
  get library(): string | null {
    return this.#backend.library;
  }

  /**
   * Checks, prices and signs `request` for `market`, with `nowMs` (unix ms) as its timestamp.
   * @throws {OrderRuleError} when the venue's rules refuse the order.
   */
  buildSignedOrder(request: OrderRequest, market: MarketRules, nowMs: number): OrderPost {
    const verdict = checkOrder(request, market, nowMs);
    if (!verdict.ok) throw new OrderRuleError(verdict.code, verdict.error, request.clientOrderId);
    const { makerAmount, takerAmount } = orderAmounts(request, market.tickSize);
    const order = signOrder(
      {
        salt: saltFromClientOrderId(request.clientOrderId),
        maker: this.maker,
        signer: this.address,
        tokenId: BigInt(request.tokenId),
        makerAmount,
        takerAmount,
        side: request.side,
        signatureType: this.signatureType,
        timestamp: BigInt(Math.floor(nowMs)),
        expiration: request.expiration ?? 0,
        metadata: ZERO_BYTES32,
        builder: ZERO_BYTES32,
      },
      this.#secret,
      { negRisk: market.negRisk, backend: this.#backend },
    );
    return { order, orderType: request.orderType, postOnly: request.postOnly };
  }

  toString(): string {
    return `OrderSigner(${this.address})`;
  }
  toJSON(): {
    address: string;
    maker: string;
    signatureType: SignatureType;
    backend: SignBackendName;
  } {
    return {
      address: this.address,
      maker: this.maker,
      signatureType: this.signatureType,
      backend: this.backend,
    };
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** The funder in EIP-55 form; a mixed-case address must carry a valid checksum. */
function parseFunder(funder: string): string {
  const checksummed = checksumAddress(funder);
  const mixed = funder !== funder.toLowerCase() &&
    funder.slice(2) !== funder.slice(2).toUpperCase();
  if (mixed && funder !== checksummed) {
    throw new TypeError(`The funder ${funder} has a bad EIP-55 checksum (mistyped?)`);
  }
  return checksummed;
}

function parseSecretKey(key: SecretKey): Uint8Array {
  const text = key.reveal().trim();
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new TypeError("The trading key is not 32 bytes of hex (64 hex digits, 0x optional)");
  }
  const bytes = hexToBytes(hex);
  if (!secp256k1.utils.isValidSecretKey(bytes)) {
    throw new TypeError("The trading key is not a valid secp256k1 secret key");
  }
  return bytes;
}
