/**
 * No secret in any output, ever: `main.ts` as a subprocess on every failure path that handles
 * a secret (DATABASE_URLs the parser rejects, an unreachable server, a port that is not
 * PostgreSQL, a database that does not exist, an identity file with a typo), with a planted
 * password or key searched for in stdout and stderr (which carry the JSON log).
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { encryptKey } from "../keys/age_key.ts";
import { TEST_DATABASE_URL } from "./_db.ts";
import { freePort } from "./_e2e_harness.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));
const PLANTED = "Zq7planted";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs main.ts; with `stopAfterMs` sends SIGTERM after that long. */
async function pmcollect(
  args: string[],
  env: Record<string, string>,
  stopAfterMs?: number,
): Promise<Outcome> {
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, ...args],
    env: { PMCOLLECT_HEALTH_PORT: "0", NO_COLOR: "1", PMCOLLECT_SHUTDOWN_DEADLINE_S: "5", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = stopAfterMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGTERM"), stopAfterMs);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

function assertNoSecret(outcome: Outcome, secret: string, what: string): void {
  for (const stream of ["stdout", "stderr"] as const) {
    assert.equal(
      outcome[stream].includes(secret),
      false,
      `${what}: ${stream} holds the secret:\n${outcome[stream]}`,
    );
  }
}

function server(port: number, path = "/pm"): string {
  return `postgres://app:${PLANTED}@127.0.0.1:${port}${path}`;
}

Deno.test("secrets: DATABASE_URLs the parser rejects exit 2 with one line and no password", async () => {
  const variants: [string, RegExp][] = [
    [`postgres://app:${PLANTED}#x@127.0.0.1:5432/pm`, /'#'.*percent-encode/],
    [`postgres://app:${PLANTED}@127.0.0.1:port/pm`, /not a valid URL/],
    [`postgres://app:${PLANTED}@[::1/pm`, /not a valid URL/],
    [`postgres://app:${PLANTED}%zz@127.0.0.1/pm`, /'%' not followed/],
    [`postgres://app:${PLANTED}@127.0.0.1:5432`, /names no database/],
    ["postgres://", /names no host/],
  ];
  for (const [url, why] of variants) {
    for (const command of [["run"], ["status"], ["migrate"]]) {
      const out = await pmcollect(command, { DATABASE_URL: url });
      const what = `${command[0]} with ${why}`;
      assert.equal(out.code, 2, `${what}: ${out.stderr}`);
      assert.equal(out.stdout, "", what);
      const lines = out.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${what}: one line`);
      assert.match(lines[0]!, /^pmcollect: DATABASE_URL: /, what);
      assert.match(lines[0]!, why, what);
      assertNoSecret(out, PLANTED, what);
    }
  }
});

Deno.test("secrets: an unreachable server, a missing database and a non-PostgreSQL port leak no password", async () => {
  const closed = freePort();
  const waiting = await pmcollect(["run"], {
    DATABASE_URL: server(closed),
    PMCOLLECT_DB_CONNECT_RETRY_S: "0.2",
  }, 3_000);
  assert.match(waiting.stdout, /db_unreachable/, "the retries are logged");
  assert.match(waiting.stdout, /"config"/, "the configuration is logged");
  assertNoSecret(waiting, PLANTED, "unreachable server");

  const upstream = new URL(TEST_DATABASE_URL);
  upstream.password = PLANTED;
  upstream.pathname = "/no_such_database_pmcollect";
  const missing = await pmcollect(["status"], { DATABASE_URL: upstream.toString() });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /does not exist/);
  assertNoSecret(missing, PLANTED, "missing database");

  const controller = new AbortController();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    () => new Response("not a database"),
  );
  try {
    const notPg = await pmcollect(["migrate"], { DATABASE_URL: server(http.addr.port) });
    assert.equal(notPg.code, 1, notPg.stderr);
    assert.ok(notPg.ms < 20_000, `exited after ${notPg.ms} ms, before any shutdown deadline`);
    assert.match(notPg.stderr, /HTTP\/1\.1 400 Bad Request.*not PostgreSQL/);
    assertNoSecret(notPg, PLANTED, "HTTP server on the database port");
  } finally {
    controller.abort();
    await http.finished;
  }
});

Deno.test("secrets: key check with a mistyped identity prints no key material", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_secrets_" });
  try {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    await Deno.writeTextFile(`${dir}/k.age`, await encryptKey("0xdeadbeef", recipient), {
      mode: 0o600,
    });
    const typo = identity.slice(0, 40) + (identity[40] === "Q" ? "P" : "Q") + identity.slice(41);
    await Deno.writeTextFile(`${dir}/id.txt`, `${typo}\n`, { mode: 0o600 });
    await Deno.chmod(`${dir}/k.age`, 0o600);
    await Deno.chmod(`${dir}/id.txt`, 0o600);
    const out = await pmcollect(
      ["key", "check", "--key", `${dir}/k.age`, "--identity", `${dir}/id.txt`],
      {},
    );
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /not a valid age identity/);
    assertNoSecret(out, typo.slice(15, 45), "identity with a typo");
    assertNoSecret(out, identity.slice(15, 45), "identity with a typo");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
