/**
 * Live trading's account (docs/execution.md, "Live trading"), read before the database opens:
 * the key file decrypted with its identity (keys/age_key.ts) into the `OrderSigner` for the
 * configured signature type and funder, and the API credentials, when a file of them is given,
 * decrypted the same way (age-encrypted JSON `{apiKey, secret, passphrase}`); otherwise
 * `execution/l1_auth.ts` derives them at the start. Any failure is a `ConfigError` naming the
 * setting (the run command exits 2 with its one line); no message quotes the key or a secret.
 *
 * @example
 * ```ts ignore
 * import { openLiveAccount } from "./live_account.ts";
 * const account = await openLiveAccount(config.executor.live!);
 * account.signer.address; // the key's address; String(account.key) is "[redacted]"
 * ```
 */
import { z } from "zod";
import { loadKey, SecretKey } from "../keys/age_key.ts";
import { ConfigError, type LiveConfig } from "../runtime/config.ts";
import type { Logger } from "../runtime/log.ts";
import type { ApiCredentials } from "./l2_headers.ts";
import { OrderSigner } from "./signer.ts";

/** The key in memory, as a signer, and the API credentials when they were given. */
export interface LiveAccount {
  readonly signer: OrderSigner;
  /** Kept for the L1 signature that derives the credentials (prints as `[redacted]`). */
  readonly key: SecretKey;
  readonly credentials: ApiCredentials | null;
}

/**
 * Decrypts the key (and the credentials file, if any) and builds the signer.
 * @throws {ConfigError} naming the setting whose file or value is unusable.
 */
export async function openLiveAccount(
  live: LiveConfig,
  options: { readonly log?: Logger } = {},
): Promise<LiveAccount> {
  const decrypt = async (setting: string, path: string): Promise<SecretKey> => {
    try {
      return await loadKey(path, live.keyIdentity);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound
        ? `no such file (${path} or ${live.keyIdentity})`
        : err instanceof Error
        ? err.message
        : String(err);
      throw new ConfigError(setting, `cannot read the live account: ${why}`);
    }
  };
  const key = await decrypt("PMCOLLECT_KEY_FILE", live.keyFile);
  let signer: OrderSigner;
  try {
    signer = new OrderSigner(key, {
      signatureType: live.signatureType,
      ...(live.funder === null ? {} : { funder: live.funder }),
      backend: live.signer,
      ...(live.libsecp256k1 === null ? {} : { library: live.libsecp256k1 }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
  } catch (err) {
    // The key and the funder fail as TypeErrors; PMCOLLECT_SIGNER=native without a library as
    // an Error.
    const setting = !(err instanceof TypeError)
      ? (live.libsecp256k1 === null ? "PMCOLLECT_SIGNER" : "PMCOLLECT_LIBSECP256K1")
      : live.funder === null
      ? "PMCOLLECT_KEY_FILE"
      : "PMCOLLECT_FUNDER";
    throw new ConfigError(setting, err instanceof Error ? err.message : String(err));
  }
  let credentials: ApiCredentials | null = null;
  if (live.credentialsFile !== null) {
    const setting = "PMCOLLECT_API_CREDENTIALS_FILE";
    const text = (await decrypt(setting, live.credentialsFile)).reveal();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch { /* reported below, without the text */ }
    const parsed = credentialsFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(setting, "expected JSON {apiKey, secret, passphrase} once decrypted");
    }
    credentials = {
      apiKey: parsed.data.apiKey,
      secret: new SecretKey(parsed.data.secret),
      passphrase: new SecretKey(parsed.data.passphrase),
    };
  }
  return { signer, key, credentials };
}

const credentialsFileSchema = z.object({
  apiKey: z.string().min(1),
  secret: z.string().min(1),
  passphrase: z.string().min(1),
});
