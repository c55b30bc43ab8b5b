/**
 * The system's libsecp256k1 (bitcoin-core's C library; Debian/Ubuntu package `libsecp256k1-1`)
 * through Deno FFI, for the one operation order signing needs: a recoverable ECDSA signature of
 * a 32-byte digest, as r ‖ s ‖ v with v = 27 or 28. It signs about four times as fast as
 * `@noble/curves` in JavaScript and gives the same bytes: both use RFC 6979 deterministic nonces
 * (HMAC-SHA256, no extra entropy) and low s.
 *
 * What is used from the C API (`secp256k1.h`, `secp256k1_recovery.h`, 0.2.0 and later):
 * - `secp256k1_context_create(SECP256K1_CONTEXT_SIGN)`: one context per opened handle, made
 *   once; SIGN (0x201) is deprecated since 0.2.0 but treated as DEFAULT, and it is the flag
 *   that older builds need for signing.
 * - `secp256k1_context_randomize(ctx, seed32)`: blinding against side channels, once, with 32
 *   bytes from `crypto.getRandomValues`; it changes no signature.
 * - `secp256k1_ecdsa_sign_recoverable(ctx, sig65, msg32, seckey32, NULL, NULL)`: NULL nonce
 *   function = `secp256k1_nonce_function_default` (RFC 6979); the library's signatures are
 *   always low-s. The 65-byte `secp256k1_ecdsa_recoverable_signature` is opaque.
 * - `secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out64, &recid, sig65)`.
 *
 * The library is looked for under the names a Linux or macOS loader resolves (`LIBRARY_NAMES`:
 * sonames `.so.6` down to `.so.1`, then `.so`), or only at the path the caller gives. It is
 * not used, and the reason is returned, when it is missing, when the process lacks the ffi permission (queried first, so
 * nothing prompts), or when a known-answer signature (a fixed key and digest, the bytes noble
 * gives) comes out different: an ABI this module does not know never signs an order.
 *
 * The signing buffers are allocated once per handle; a call allocates only its 65-byte result.
 * The secret key is read in place, never copied.
 *
 * @example
 * ```ts
 * import { openNativeSecp256k1 } from "./_secp256k1_native.ts";
 * const opened = openNativeSecp256k1();
 * if (opened.ok) {
 *   const rsv = opened.native.sign(new Uint8Array(32).fill(1), new Uint8Array(32).fill(7));
 *   opened.native.close();
 * }
 * ```
 */

/** An opened libsecp256k1 with its own signing context. */
export interface NativeSecp256k1 {
  /** The name or path it was opened under. */
  readonly library: string;
  /**
   * r ‖ s ‖ v (65 bytes, v = 27 or 28) of a 32-byte `digest` under a valid 32-byte key.
   * @throws {RangeError} for a digest or key of another length; {Error} when the library
   * refuses to sign (an invalid key).
   */
  sign(digest: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Destroys the context and unloads the library; `sign` must not be called after. */
  close(): void;
}

/** Either the opened library or why it is not used. */
export type NativeOpenResult =
  | { readonly ok: true; readonly native: NativeSecp256k1 }
  | { readonly ok: false; readonly reason: string };

/** Options of `openNativeSecp256k1`. */
export interface NativeOpenOptions {
  /** Try only this name or path (e.g. from `PMCOLLECT_LIBSECP256K1`); default: the usual names. */
  readonly library?: string;
}

/**
 * The names tried in order when no path is given: the newest soname first (Debian 12 and Ubuntu
 * 24.04 ship 0.2.0 as `.so.1`, later releases 0.7 as `.so.6`), then the unversioned
 * development link.
 */
export const LIBRARY_NAMES: readonly string[] = [6, 5, 4, 3, 2, 1]
  .map((v) => Deno.build.os === "darwin" ? `libsecp256k1.${v}.dylib` : `libsecp256k1.so.${v}`)
  .concat(Deno.build.os === "darwin" ? ["libsecp256k1.dylib"] : ["libsecp256k1.so"]);

const SECP256K1_CONTEXT_SIGN = 0x201;

const SYMBOLS = {
  secp256k1_context_create: { parameters: ["u32"], result: "pointer" },
  secp256k1_context_destroy: { parameters: ["pointer"], result: "void" },
  secp256k1_context_randomize: { parameters: ["pointer", "buffer"], result: "i32" },
  secp256k1_ecdsa_sign_recoverable: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "pointer", "pointer"],
    result: "i32",
  },
  secp256k1_ecdsa_recoverable_signature_serialize_compact: {
    parameters: ["pointer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Known answer: key 0x07…07 (32 bytes) signing digest 0x01…01, as `@noble/curves` 2.0.1 signs
 * it (RFC 6979, low s); r ‖ s ‖ v.
 */
const KNOWN_KEY = new Uint8Array(32).fill(7);
const KNOWN_DIGEST = new Uint8Array(32).fill(1);
const KNOWN_SIGNATURE = "8964e5a86ae770d76a0cb2be7d946fa4a286039af48f75bd4651eb068a74fc7a" +
  "137695e117d53e4f1bd6050707d712c5dd185aee0265b4872a2c23d9dc4605941c";

/** Opens libsecp256k1 if it can be used here, else says why not (never throws). */
export function openNativeSecp256k1(options: NativeOpenOptions = {}): NativeOpenResult {
  const candidates = options.library === undefined ? LIBRARY_NAMES : [options.library];
  const missing: string[] = [];
  const failures: string[] = [];
  for (const name of candidates) {
    let permission: Deno.PermissionState;
    try {
      permission = Deno.permissions.querySync({ name: "ffi", path: name }).state;
    } catch (err) {
      return { ok: false, reason: `cannot query the ffi permission: ${String(err)}` };
    }
    if (permission !== "granted") return { ok: false, reason: "no ffi permission (--allow-ffi)" };
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(name, SYMBOLS);
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        return { ok: false, reason: "no ffi permission (--allow-ffi)" };
      }
      const message = err instanceof Error ? err.message : String(err);
      if (/No such file or directory|image not found|no such file/i.test(message)) {
        missing.push(name);
      } else failures.push(`${name}: ${message}`);
      continue;
    }
    const native = withContext(lib, name);
    if (native === null) {
      lib.close();
      failures.push(`${name}: cannot create or randomize a context`);
      continue;
    }
    let answer: string;
    try {
      answer = toHex(native.sign(KNOWN_DIGEST, KNOWN_KEY));
    } catch (err) {
      answer = `an error (${err instanceof Error ? err.message : String(err)})`;
    }
    if (answer !== KNOWN_SIGNATURE) {
      native.close();
      failures.push(`${name}: the known-answer signature came out different`);
      continue;
    }
    return { ok: true, native };
  }
  const notFound = missing.length === 0 ? [] : [`not found: ${missing.join(", ")}`];
  return {
    ok: false,
    reason: `libsecp256k1 not usable (${[...failures, ...notFound].join("; ")})`,
  };
}

function withContext(
  lib: Deno.DynamicLibrary<typeof SYMBOLS>,
  library: string,
): NativeSecp256k1 | null {
  const s = lib.symbols;
  const ctx = s.secp256k1_context_create(SECP256K1_CONTEXT_SIGN);
  if (ctx === null) return null;
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const randomized = s.secp256k1_context_randomize(ctx, seed);
  seed.fill(0);
  if (randomized !== 1) {
    s.secp256k1_context_destroy(ctx);
    return null;
  }
  const sig = new Uint8Array(65);
  const compact = new Uint8Array(64);
  const recid = new Int32Array(1);
  let open = true;
  return {
    library,
    sign(digest, secretKey) {
      if (!open) throw new Error("libsecp256k1 handle is closed");
      if (digest.length !== 32) throw new RangeError("The digest is not 32 bytes");
      if (secretKey.length !== 32) throw new RangeError("The secret key is not 32 bytes");
      if (s.secp256k1_ecdsa_sign_recoverable(ctx, sig, digest, secretKey, null, null) !== 1) {
        throw new Error("libsecp256k1 refused to sign (invalid secret key)");
      }
      s.secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, recid, sig);
      const out = new Uint8Array(65);
      out.set(compact, 0);
      out[64] = 27 + recid[0]!;
      return out;
    },
    close() {
      if (!open) return;
      open = false;
      s.secp256k1_context_destroy(ctx);
      lib.close();
    },
  };
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}
