/**
 * Whether this machine can sign with the system's libsecp256k1 (`execution/_secp256k1_native.ts`),
 * for the tests that need it. `.ci/run` installs the library when it is missing and apt-get is
 * there; where it still cannot be opened, those tests are registered as ignored, with the reason
 * in their name, rather than passing without having run.
 *
 * @example
 * ```ts
 * import { nativeTest } from "./_native_signing.ts";
 * nativeTest("native signing agrees with noble", () => {});
 * ```
 */
import { openNativeSecp256k1 } from "../execution/_secp256k1_native.ts";

const opened = openNativeSecp256k1();
if (opened.ok) opened.native.close();

/** Null when libsecp256k1 can be used here, else why not. */
export const NATIVE_UNAVAILABLE: string | null = opened.ok ? null : opened.reason;

/** `Deno.test`, ignored (the reason in its name) where libsecp256k1 cannot be opened. */
export function nativeTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test({
    name: NATIVE_UNAVAILABLE === null ? name : `${name} [ignored: ${NATIVE_UNAVAILABLE}]`,
    ignore: NATIVE_UNAVAILABLE !== null,
    fn,
  });
}
