import assert from "node:assert/strict";
import { generateIdentity, identityToRecipient } from "age-encryption";
import {
  checkKeyFile,
  encryptKey,
  KeyFileModeError,
  loadKey,
  runKeyCommand,
  SecretKey,
} from "./age_key.ts";

const PLAINTEXT = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_key_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeIdentity(dir: string): Promise<{ identityPath: string; recipient: string }> {
  const identity = await generateIdentity();
  const identityPath = `${dir}/identity.txt`;
  await Deno.writeTextFile(identityPath, `# test identity\n${identity}\n`, { mode: 0o600 });
  await Deno.chmod(identityPath, 0o600);
  return { identityPath, recipient: await identityToRecipient(identity) };
}

Deno.test("loadKey() decrypts what encryptKey() wrote, into a redacted SecretKey", async () => {
  await withTempDir(async (dir) => {
    const { identityPath, recipient } = await writeIdentity(dir);
    const keyPath = `${dir}/key.age`;
    const armored = await encryptKey(PLAINTEXT, recipient);
    assert.ok(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert.ok(!armored.includes(PLAINTEXT));
    await Deno.writeTextFile(keyPath, armored, { mode: 0o600 });
    await Deno.chmod(keyPath, 0o600);

    const key = await loadKey(keyPath, identityPath);
    assert.equal(key.reveal(), PLAINTEXT);
    assert.equal(String(key), "[redacted]");
    assert.equal(`${key}`, "[redacted]");
    assert.equal(JSON.stringify({ key }), '{"key":"[redacted]"}');
    assert.equal(Deno.inspect(key), "[redacted]");
    assert.equal(Deno.inspect({ nested: [key] }).includes(PLAINTEXT), false);
    const report = await checkKeyFile(keyPath, identityPath);
    assert.equal(report.byteLength, PLAINTEXT.length);
  });
});

Deno.test("loadKey() refuses a wrong identity without printing the key", async () => {
  await withTempDir(async (dir) => {
    const { recipient } = await writeIdentity(dir);
    const other = `${dir}/other.txt`;
    await Deno.writeTextFile(other, `${await generateIdentity()}\n`, { mode: 0o600 });
    await Deno.chmod(other, 0o600);
    const keyPath = `${dir}/key.age`;
    await Deno.writeTextFile(keyPath, await encryptKey(PLAINTEXT, recipient), { mode: 0o600 });
    await Deno.chmod(keyPath, 0o600);
    await assert.rejects(loadKey(keyPath, other), /Cannot decrypt .*key\.age/);
  });
});

Deno.test("loadKey() refuses 0644 key and identity files, naming file, mode and fix", async () => {
  await withTempDir(async (dir) => {
    const { identityPath, recipient } = await writeIdentity(dir);
    const keyPath = `${dir}/key.age`;
    await Deno.writeTextFile(keyPath, await encryptKey(PLAINTEXT, recipient));
    await Deno.chmod(keyPath, 0o644);
    await assert.rejects(loadKey(keyPath, identityPath), (err: unknown) => {
      assert.ok(err instanceof KeyFileModeError);
      assert.equal(err.path, keyPath);
      assert.equal(err.mode, 0o644);
      assert.match(err.message, /key\.age: mode 0644 .*chmod 600 .*key\.age/);
      return true;
    });
    await Deno.chmod(keyPath, 0o600);
    await Deno.chmod(identityPath, 0o640);
    await assert.rejects(checkKeyFile(keyPath, identityPath), /identity\.txt: mode 0640/);
  });
});

Deno.test("SecretKey prints [redacted] through console-style formatting", () => {
  const key = new SecretKey(PLAINTEXT);
  assert.equal(Deno.inspect([key], { depth: 5 }), "[ [redacted] ]");
  assert.equal(key.byteLength, 66);
});

Deno.test("runKeyCommand() keygen, encrypt, check: 0600 files, key never in output", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    assert.equal(await runKeyCommand(["keygen", "--out", `${dir}/id.txt`], { log }), 0);
    assert.equal((await Deno.stat(`${dir}/id.txt`)).mode! & 0o777, 0o600);
    const recipient = lines[0]?.match(/(age1[0-9a-z]+)/)?.[1];
    assert.ok(recipient !== undefined, lines.join("\n"));
    // keygen refuses to overwrite an identity.
    assert.equal(await runKeyCommand(["keygen", "--out", `${dir}/id.txt`], { log }), 1);

    await Deno.writeTextFile(`${dir}/plain.txt`, `${PLAINTEXT}\n`, { mode: 0o600 });
    const encrypt = ["encrypt", "--recipient", recipient, "--in", `${dir}/plain.txt`];
    assert.equal(await runKeyCommand([...encrypt, "--out", `${dir}/k.age`], { log }), 0);
    assert.equal((await Deno.stat(`${dir}/k.age`)).mode! & 0o777, 0o600);
    const check = ["check", "--key", `${dir}/k.age`, "--identity", `${dir}/id.txt`];
    assert.equal(await runKeyCommand(check, { log }), 0);
    assert.equal(await runKeyCommand(["frobnicate"], { log }), 2);
    assert.equal(lines.some((l) => l.includes(PLAINTEXT)), false);
    assert.equal((await loadKey(`${dir}/k.age`, `${dir}/id.txt`)).reveal(), PLAINTEXT);
  });
});

Deno.test("key command as a subprocess never writes the plaintext to stdout or stderr", async () => {
  await withTempDir(async (dir) => {
    const entry = new URL("./age_key.ts", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", entry, ...args],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      return {
        code: out.code,
        text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      };
    };
    const outputs: string[] = [];
    const keygen = await run("keygen", "--out", `${dir}/id.txt`);
    outputs.push(keygen.text);
    assert.equal(keygen.code, 0, keygen.text);
    const recipient = keygen.text.match(/(age1[0-9a-z]+)/)?.[1];
    assert.ok(recipient !== undefined);
    await Deno.writeTextFile(`${dir}/plain.txt`, PLAINTEXT, { mode: 0o600 });
    const enc = await run(
      "encrypt",
      "--recipient",
      recipient,
      "--in",
      `${dir}/plain.txt`,
      "--out",
      `${dir}/k.age`,
    );
    outputs.push(enc.text);
    assert.equal(enc.code, 0, enc.text);
    const ok = await run("check", "--key", `${dir}/k.age`, "--identity", `${dir}/id.txt`);
    outputs.push(ok.text);
    assert.equal(ok.code, 0, ok.text);
    assert.match(ok.text, /ok: .*decrypts/);
    await Deno.chmod(`${dir}/k.age`, 0o644);
    const refused = await run("check", "--key", `${dir}/k.age`, "--identity", `${dir}/id.txt`);
    outputs.push(refused.text);
    assert.equal(refused.code, 1);
    assert.match(refused.text, /mode 0644.*chmod 600/);
    const all = outputs.join("\n");
    assert.equal(all.includes(PLAINTEXT), false);
    assert.equal(all.includes(PLAINTEXT.slice(2, 20)), false);
    assert.equal(all.includes("AGE-SECRET-KEY-"), false);
  });
});

Deno.test("runKeyCommand() check with a one-character typo in the identity names the line, not the key", async () => {
  await withTempDir(async (dir) => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const keyPath = `${dir}/key.age`;
    await Deno.writeTextFile(keyPath, await encryptKey(PLAINTEXT, recipient), { mode: 0o600 });
    await Deno.chmod(keyPath, 0o600);
    const at = 30;
    const typo = identity.slice(0, at) + (identity[at] === "Q" ? "P" : "Q") +
      identity.slice(at + 1);
    const identityPath = `${dir}/identity.txt`;
    await Deno.writeTextFile(identityPath, `# typed by hand\n${typo}\n`, { mode: 0o600 });
    await Deno.chmod(identityPath, 0o600);
    const lines: string[] = [];
    const code = await runKeyCommand(["check", "--key", keyPath, "--identity", identityPath], {
      log: (line) => lines.push(line),
    });
    const text = lines.join("\n");
    assert.equal(code, 1);
    assert.match(text, /line 2 is not a valid age identity/);
    for (const secret of [typo, identity]) {
      assert.equal(text.includes(secret.slice(16, 40)), false, "no key material in the error");
    }
    assert.equal(text.includes("AGE-SECRET-KEY-1"), false);
  });
});
