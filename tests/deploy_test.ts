/**
 * Deployment scripts against real things: smoke.sh against the local PostgreSQL and a local
 * /healthz, install.sh placing files under a temporary root. Docker, systemd and the compiled
 * binary are out of reach here (see docs/deploy.md, "What CI checks").
 */
import assert from "node:assert/strict";
import postgres from "postgres";

const TEST_DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";
const DEPLOY = new URL("../deploy/", import.meta.url).pathname;

interface Fixture {
  sql: postgres.Sql;
  url: string;
  healthz: string;
  setHealth(status: number): void;
}

/** A fresh schema with the four tables smoke.sh watches, and a local /healthz. */
async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const schema = `deploy_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  // libpq (psql) does not decode "+" as a space, so percent-encode by hand.
  const separator = TEST_DATABASE_URL.includes("?") ? "&" : "?";
  const url = `${TEST_DATABASE_URL}${separator}options=${
    encodeURIComponent(`-c search_path=${schema}`)
  }`;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let status = 200;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    return path === "/healthz"
      ? new Response(status === 200 ? "ok" : "unhealthy", { status })
      : new Response("not found", { status: 404 });
  });
  try {
    await sql.unsafe(`
      create table markets (market_id text primary key,
        updated_at timestamptz not null default now());
      create table price_snapshots (ts timestamptz not null, token_id text not null);
      create table book_snapshots (ts timestamptz not null, token_id text not null);
      create table trades (ts timestamptz not null, token_id text not null);
      insert into markets (market_id) values ('old');
      insert into trades values (now() - interval '1 day', 't0');`);
    await fn({
      sql,
      url,
      healthz: `http://127.0.0.1:${server.addr.port}/healthz`,
      setHealth: (s) => (status = s),
    });
  } finally {
    await server.shutdown();
    await sql.end();
    await admin.unsafe(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

async function insertOneOfEach(sql: postgres.Sql, n: number): Promise<void> {
  await sql`insert into markets (market_id) values (${`m${n}`})`;
  await sql`insert into price_snapshots values (now(), ${`t${n}`})`;
  await sql`insert into book_snapshots values (now(), ${`t${n}`})`;
  await sql`insert into trades values (now(), ${`t${n}`})`;
}

/** Runs smoke.sh; calls `onWatching` once it has taken its "before" counts. */
async function runSmoke(
  args: string[],
  onWatching: () => Promise<void> = async () => {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("bash", {
    args: [`${DEPLOY}smoke.sh`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DATABASE_URL: "", PMCOLLECT_ENV_FILE: "/nonexistent" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  let called = false;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    stdout += chunk;
    if (!called && stdout.includes("watching ")) {
      called = true;
      await onWatching();
    }
  }
  const { code } = await child.status;
  return { code, output: stdout + (await stderr) };
}

Deno.test("smoke.sh passes when /healthz is 200 and all four tables grow", async () => {
  await withFixture(async ({ sql, url, healthz }) => {
    const result = await runSmoke(
      ["--wait", "2", "--no-systemctl", "--healthz", healthz, "--database-url", url],
      () => insertOneOfEach(sql, 1),
    );
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /ok: trades grew by 1 rows/);
    assert.match(result.output, /ok: markets grew by 1 rows/);
    assert.match(result.output, /smoke: OK/);
  });
});

Deno.test("smoke.sh fails naming every table that did not grow", async () => {
  await withFixture(async ({ sql, url, healthz }) => {
    const result = await runSmoke(
      ["--wait", "2", "--no-systemctl", "--healthz", healthz, "--database-url", url],
      async () => {
        await sql`insert into price_snapshots values (now(), 't1')`;
      },
    );
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /ok: price_snapshots grew/);
    assert.match(result.output, /FAIL: trades did not grow in 2s \(0 -> 0 recent rows\)/);
    assert.match(result.output, /FAIL: markets did not grow/);
    assert.match(result.output, /FAIL: book_snapshots did not grow/);
    assert.match(result.output, /smoke: FAILED \(3 problems\)/);
  });
});

Deno.test("smoke.sh fails when /healthz is not 200 or the tables are missing", async () => {
  await withFixture(async ({ sql, url, healthz, setHealth }) => {
    setHealth(503);
    const unhealthy = await runSmoke(
      ["--wait", "1", "--no-systemctl", "--healthz", healthz, "--database-url", url],
      () => insertOneOfEach(sql, 2),
    );
    assert.equal(unhealthy.code, 1, unhealthy.output);
    assert.match(unhealthy.output, /FAIL: http:\/\/127\.0\.0\.1:\d+\/healthz answered 503/);

    setHealth(200);
    const missing = await runSmoke([
      "--wait",
      "1",
      "--no-systemctl",
      "--healthz",
      healthz,
      "--database-url",
      url,
      "--tables",
      "markets:updated_at quotes:ts",
    ]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /relation "quotes" does not exist/);
    assert.match(missing.output, /FAIL: cannot count rows/);
  });
});

Deno.test("smoke.sh rejects bad arguments with exit 2", async () => {
  const result = await runSmoke(["--wait", "soon", "--database-url", "postgres://x"]);
  assert.equal(result.code, 2);
  assert.match(result.output, /--wait must be whole seconds/);
});

async function mode(path: string): Promise<string> {
  return ((await Deno.stat(path)).mode! & 0o777).toString(8);
}

async function install(root: string, binary: string): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("bash", {
    args: [`${DEPLOY}install.sh`, "--binary", binary],
    env: { PMCOLLECT_INSTALL_ROOT: root },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text };
}

Deno.test("install.sh places files with private modes and upgrades in place", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_install_" });
  try {
    const root = `${dir}/root`;
    const binary = `${dir}/pmcollect`;
    await Deno.writeTextFile(binary, "#!/bin/sh\necho v1\n", { mode: 0o755 });
    const first = await install(root, binary);
    assert.equal(first.code, 0, first.output);
    // System steps are printed, not run.
    assert.match(first.output, /would run: useradd --system .* pmcollect/);
    assert.match(first.output, /would run: docker compose -p pmcollect .* up -d/);
    assert.match(first.output, /would run: systemd-run .*User=pmcollect.*pmcollect --migrate/);
    assert.match(first.output, /would run: systemctl restart pmcollect.service/);

    assert.equal(await mode(`${root}/etc/pmcollect`), "700");
    assert.equal(await mode(`${root}/etc/pmcollect/pmcollect.env`), "600");
    assert.equal(await mode(`${root}/etc/pmcollect/db.env`), "600");
    assert.equal(await mode(`${root}/var/lib/pmcollect`), "700");
    assert.equal(await mode(`${root}/opt/pmcollect/pmcollect`), "755");
    assert.equal(
      await Deno.readTextFile(`${root}/etc/systemd/system/pmcollect.service`),
      await Deno.readTextFile(`${DEPLOY}pmcollect.service`),
    );
    await Deno.stat(`${root}/etc/systemd/journald.conf.d/pmcollect.conf`);
    await Deno.stat(`${root}/opt/pmcollect/docker-compose.yml`);
    const env = await Deno.readTextFile(`${root}/etc/pmcollect/pmcollect.env`);
    const password = env.match(/^DATABASE_URL=postgres:\/\/pmcollect:([0-9a-f]{48})@127/m)?.[1];
    assert.ok(password !== undefined, env);
    const dbEnv = await Deno.readTextFile(`${root}/etc/pmcollect/db.env`);
    assert.match(dbEnv, new RegExp(`^POSTGRES_PASSWORD=${password}$`, "m"));

    // Upgrade: new binary in place, previous kept, settings untouched, no temp files left.
    await Deno.writeTextFile(`${root}/etc/pmcollect/pmcollect.env`, `${env}EXTRA=1\n`);
    await Deno.writeTextFile(binary, "#!/bin/sh\necho v2\n", { mode: 0o755 });
    const second = await install(root, binary);
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, /kept existing .*pmcollect\.env/);
    assert.doesNotMatch(second.output, /restart systemd-journald/);
    assert.match(await Deno.readTextFile(`${root}/opt/pmcollect/pmcollect`), /v2/);
    assert.match(await Deno.readTextFile(`${root}/opt/pmcollect/pmcollect.prev`), /v1/);
    assert.match(await Deno.readTextFile(`${root}/etc/pmcollect/pmcollect.env`), /EXTRA=1/);
    const leftovers = [];
    for await (const e of Deno.readDir(`${root}/opt/pmcollect`)) {
      if (e.name.includes(".new.")) leftovers.push(e.name);
    }
    assert.deepEqual(leftovers, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install.sh refuses a missing binary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_install_" });
  try {
    const result = await install(`${dir}/root`, `${dir}/nope`);
    assert.equal(result.code, 1);
    assert.match(result.output, /no binary: build it with 'deno task compile'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deployment files keep the promises docs/deploy.md makes", async () => {
  const unit = await Deno.readTextFile(`${DEPLOY}pmcollect.service`);
  for (
    const line of [
      "Restart=always",
      "RestartSec=5",
      "User=pmcollect",
      "LimitCORE=0",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/pmcollect",
      "EnvironmentFile=/etc/pmcollect/pmcollect.env",
      "ExecStart=/opt/pmcollect/pmcollect run",
      "KillSignal=SIGTERM",
    ]
  ) assert.match(unit, new RegExp(`^${line}$`, "m"), line);
  const stop = Number(unit.match(/^TimeoutStopSec=(\d+)$/m)?.[1]);
  assert.ok(stop > 20, "TimeoutStopSec must exceed the app's 20 s shutdown deadline");

  const compose = await Deno.readTextFile(`${DEPLOY}docker-compose.yml`);
  assert.match(compose, /image: timescale\/timescaledb:2\.\d+\.\d+-pg\d+$/m);
  const ports = [...compose.matchAll(/^\s+- "([^"]*:5432)"$/gm)].map((m) => m[1]);
  assert.deepEqual(ports, ["127.0.0.1:5432:5432"]);
  assert.doesNotMatch(compose, /POSTGRES_PASSWORD: [^$]/);
});

Deno.test("docker build . from the root finds the Dockerfile, and everything it copies is in the context", async () => {
  const root = new URL("../", import.meta.url);
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", root));
  // Sources of COPY without --from must exist in the repository and not be .dockerignore'd.
  const ignored = (await Deno.readTextFile(new URL(".dockerignore", root))).split("\n")
    .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const must of [".git", "data/", "dist/", "node_modules/"]) {
    assert.ok(ignored.includes(must), `.dockerignore keeps ${must} out of the context`);
  }
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)];
  assert.ok(copies.length >= 2, "COPY lines found");
  for (const [, sources] of copies) {
    for (const source of sources!.split(/\s+/)) {
      if (source === ".") continue;
      await Deno.stat(new URL(source, root)); // throws NotFound when missing
      assert.ok(!ignored.some((i) => source.startsWith(i.replace(/\/$/, ""))), source);
    }
  }
  // The compiled binary comes from `deno task compile`, on the Deno the project pins.
  assert.match(dockerfile, /^RUN .*deno task compile$/m);
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  const pinned = ci.match(/2\.\d+\.\d+/)?.[0];
  assert.ok(pinned !== undefined && dockerfile.includes(`FROM denoland/deno:${pinned} `), pinned);
  // No Dockerfile is left in deploy/ to drift from the one users build.
  await assert.rejects(Deno.stat(`${DEPLOY}Dockerfile`), Deno.errors.NotFound);
  const compose = await Deno.readTextFile(`${DEPLOY}docker-compose.yml`);
  assert.match(compose, /build:\n\s+context: \.\.\n\s+dockerfile: Dockerfile\n/);
});
