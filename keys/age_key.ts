/**
 * The trading key at rest: age-encrypted to an X25519 recipient, decrypted only into memory,
 * wrapped so that it never prints. Key and identity files readable by group or others are
 * refused before they are read.
 *
 * Also the `pmcollect key ...` subcommand (`runKeyCommand`), and a `deno run` entry point for
 * tests and for operators without the compiled binary.
 *
 * @example
 * ```ts
 * import { encryptKey, loadKey } from "./age_key.ts";
 * await Deno.writeTextFile("key.age", await encryptKey("0xabc...", "age1..."), { mode: 0o600 });
 * const key = await loadKey("key.age", "identity.txt");
 * String(key); // "[redacted]"
 * key.reveal(); // "0xabc..." — pass it straight to the signer, never to a logger
 * ```
 */
import { armor, Decrypter, Encrypter, generateIdentity, identityToRecipient } from "age-encryption";
import { parseArgs } from "node:util";

const REDACTED = "[redacted]";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

/** A secret held in memory only; every way of printing it prints `[redacted]`. */
export class SecretKey {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The plaintext, for the one caller that signs with it. */
  reveal(): string {
    return this.#value;
  }
  /** Length in bytes (UTF-8), safe to log. */
  get byteLength(): number {
    return new TextEncoder().encode(this.#value).byteLength;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/** A key or identity file that group or others can read. */
export class KeyFileModeError extends Error {
  readonly path: string;
  readonly mode: number;
  constructor(path: string, mode: number) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    super(
      `Cannot use ${path}: mode ${octal} lets group or others read it; run: chmod 600 ${path}`,
    );
    this.name = "KeyFileModeError";
    this.path = path;
    this.mode = mode & 0o777;
  }
}

/** Encrypts `plaintext` to one age recipient (`age1...`); returns ASCII-armored text. */
export async function encryptKey(plaintext: string, recipient: string): Promise<string> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return armor.encode(await encrypter.encrypt(plaintext));
}

/** Throws `KeyFileModeError` unless `path` is a regular file that only its owner can read. */
export async function assertPrivateFile(path: string): Promise<void> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new TypeError(`Cannot use ${path}: not a regular file`);
  if (info.mode !== null && (info.mode & 0o077) !== 0) throw new KeyFileModeError(path, info.mode);
}

/** Decrypts the key file with the identity file into memory. */
export async function loadKey(path: string, identityPath: string): Promise<SecretKey> {
  await assertPrivateFile(identityPath);
  await assertPrivateFile(path);
  const identities = await parseIdentities(await Deno.readTextFile(identityPath), identityPath);
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  const bytes = await Deno.readFile(path);
  const ciphertext = startsWithArmor(bytes) ? armor.decode(new TextDecoder().decode(bytes)) : bytes;
  try {
    return new SecretKey(await decrypter.decrypt(ciphertext, "text"));
  } catch {
    // No cause: the library's messages can quote an identity (key material) verbatim.
    throw new Error(`Cannot decrypt ${path} with ${identityPath}: wrong identity or damaged file`);
  }
}

/** What `checkKeyFile` learned without revealing the key. */
export interface KeyFileReport {
  readonly path: string;
  readonly identityPath: string;
  readonly byteLength: number;
}

/** Checks modes and that the key decrypts; never returns or prints the plaintext. */
export async function checkKeyFile(path: string, identityPath: string): Promise<KeyFileReport> {
  const key = await loadKey(path, identityPath);
  return { path, identityPath, byteLength: key.byteLength };
}

/** Options of `runKeyCommand`. */
export interface KeyCommandOptions {
  /** Where human-readable lines go (never the key itself). */
  readonly log: (line: string) => void;
}

const USAGE = `usage:
  pmcollect key keygen --out FILE
  pmcollect key encrypt --recipient age1... --in FILE --out FILE
  pmcollect key check --key FILE --identity FILE`;

/**
 * `pmcollect key <keygen|encrypt|check> ...`; `argv` starts after "key". Returns the exit code
 * (0 ok, 1 failure, 2 usage).
 */
export async function runKeyCommand(
  argv: readonly string[],
  options: KeyCommandOptions,
): Promise<number> {
  const { log } = options;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: "string" },
        in: { type: "string" },
        recipient: { type: "string" },
        key: { type: "string" },
        identity: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    log(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, ...rest] = positionals;
  if (values.help === true || verb === undefined || rest.length > 0) {
    log(USAGE);
    return values.help === true ? 0 : 2;
  }
  try {
    if (verb === "keygen" && values.out !== undefined) {
      const identity = await generateIdentity();
      const recipient = await identityToRecipient(identity);
      const text = `# created: ${
        new Date().toISOString()
      }\n# public key: ${recipient}\n${identity}\n`;
      await writePrivateFile(values.out, text);
      log(`wrote identity ${values.out} (mode 0600); public key (recipient): ${recipient}`);
      return 0;
    }
    if (
      verb === "encrypt" && values.recipient !== undefined && values.in !== undefined &&
      values.out !== undefined
    ) {
      const plaintext = (await Deno.readTextFile(values.in)).trim();
      if (plaintext === "") throw new Error(`Cannot encrypt ${values.in}: the file is empty`);
      await writePrivateFile(values.out, await encryptKey(plaintext, values.recipient));
      log(`wrote ${values.out} (mode 0600); now delete the plaintext: shred -u ${values.in}`);
      return 0;
    }
    if (verb === "check" && values.key !== undefined && values.identity !== undefined) {
      const report = await checkKeyFile(values.key, values.identity);
      log(`ok: ${report.path} decrypts with ${report.identityPath} (${report.byteLength} bytes)`);
      return 0;
    }
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  log(USAGE);
  return 2;
}

/** Creates `path` with mode 0600; refuses to overwrite. */
async function writePrivateFile(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new Error(`Cannot write ${path}: it exists; move it away first`, { cause: err });
    }
    throw err;
  }
  await Deno.chmod(path, 0o600);
}

/**
 * The identities of an identity file, each checked (bech32 checksum included) here, where the
 * error can name the line without quoting it: age-encryption's own message repeats the whole
 * secret key.
 */
async function parseIdentities(text: string, identityPath: string): Promise<string[]> {
  const lines = text.split("\n").map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((l) => l.text !== "" && !l.text.startsWith("#"));
  if (lines.length === 0 || lines.some((l) => !l.text.startsWith("AGE-SECRET-KEY-"))) {
    throw new Error(`Cannot read ${identityPath}: expected age identities (AGE-SECRET-KEY-1...)`);
  }
  for (const { line, text } of lines) {
    const valid = await identityToRecipient(text).then(() => true, () => false);
    if (!valid) {
      throw new Error(
        `Cannot read ${identityPath}: line ${line} is not a valid age identity ` +
          "(bad checksum or character: is it mistyped or truncated?)",
      );
    }
  }
  return lines.map((l) => l.text);
}

function startsWithArmor(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  return head.startsWith(ARMOR_BEGIN);
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  const code = await runKeyCommand(Deno.args, { log: (line) => console.error(line) });
  Deno.exit(code);
}
