/**
 * Which secp256k1 implementation signs the order digests: the system's libsecp256k1 through
 * FFI (`_secp256k1_native.ts`, about four times as fast) when it can be opened, else
 * `@noble/curves` in JavaScript. Both give byte-identical signatures (RFC 6979, low s,
 * r ‖ s ‖ v with v = 27/28), so the choice changes latency, never an order.
 *
 * - `"auto"` (the default): native when usable, else noble, with the reason kept.
 * - `"native"`: native or throw (tests and benches that must measure it).
 * - `"noble"`: noble always (`PMCOLLECT_SIGNER=noble`).
 *
 * @example
 * ```ts
 * import { chooseSignBackend } from "./signer_backend.ts";
 * const { backend, fallbackReason } = chooseSignBackend({ backend: "auto" });
 * backend.name; // "native" or "noble"
 * ```
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { openNativeSecp256k1 } from "./_secp256k1_native.ts";

/** The implementation that signs. */
export type SignBackendName = "native" | "noble";
/** What the caller asks for. */
export type SignBackendChoice = "auto" | SignBackendName;

/** Signs 32-byte digests into 65-byte r ‖ s ‖ v (v = 27 or 28). */
export interface SignBackend {
  readonly name: SignBackendName;
  /** The library's name or path for native, else null. */
  readonly library: string | null;
  signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** Options of `chooseSignBackend`. */
export interface SignBackendOptions {
  /** Default "auto". */
  readonly backend?: SignBackendChoice;
  /** Only this libsecp256k1 name or path (`PMCOLLECT_LIBSECP256K1`); default the usual names. */
  readonly library?: string;
}

/** The chosen backend and, when "auto" fell back to noble, why. */
export interface ChosenSignBackend {
  readonly backend: SignBackend;
  readonly fallbackReason: string | null;
}

/** `@noble/curves` secp256k1 (pure JavaScript). */
export const NOBLE_BACKEND: SignBackend = Object.freeze({
  name: "noble",
  library: null,
  signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
    const recovered = secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" });
    const signature = new Uint8Array(65);
    signature.set(recovered.subarray(1), 0);
    signature[64] = 27 + recovered[0]!;
    return signature;
  },
});

/**
 * The backend to sign with.
 * @throws {Error} when `backend` is "native" and libsecp256k1 cannot be used (with the reason).
 */
export function chooseSignBackend(options: SignBackendOptions = {}): ChosenSignBackend {
  const choice = options.backend ?? "auto";
  if (choice === "noble") return { backend: NOBLE_BACKEND, fallbackReason: null };
  const opened = openNativeSecp256k1(
    options.library === undefined ? {} : { library: options.library },
  );
  if (!opened.ok) {
    if (choice === "native") throw new Error(`Cannot sign natively: ${opened.reason}`);
    return { backend: NOBLE_BACKEND, fallbackReason: opened.reason };
  }
  const { native } = opened;
  return {
    backend: Object.freeze({
      name: "native",
      library: native.library,
      signDigest: (digest: Uint8Array, secretKey: Uint8Array) => native.sign(digest, secretKey),
    }),
    fallbackReason: null,
  };
}
