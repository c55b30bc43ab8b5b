/**
 * End-to-end tests of the entry point: `deno run main.ts` as a subprocess against a fresh
 * schema on the real PostgreSQL. Nothing is mocked.
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { recordGaps } from "../db/ops.ts";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";
import { withDatabase } from "./_db.ts";
import { startSimulator } from "../simulator/server.ts";
import { testWithin } from "./_time_limit.ts";
import { readBuildCommit, VERSION, versionText } from "../cli/build_info.ts";

/** Bounds each test: a hang fails it instead of the whole run. */
const test = testWithin(60_000);

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));

function pmcollect(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; signal?: AbortSignal } = {},
) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, ...args],
    cwd: options.cwd,
    signal: options.signal,
    env: { PMCOLLECT_HEALTH_PORT: "0", NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function output(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
) {
  const { code, stdout, stderr } = await pmcollect(args, options).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function events(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

test("main.ts --help is the overview; run --help lists every setting; replay --help its own", async () => {
  const overview = await output(["--help"]);
  assert.equal(overview.code, 0, overview.stderr);
  assert.match(overview.stdout, /pmcollect <command> --help/);
  assert.match(overview.stdout, /Exit codes:/);
  assert.ok(!overview.stdout.includes("PMCOLLECT_PRICES_INTERVAL_S"), "settings are run's page");

  const { code, stdout } = await output(["run", "--help"]);
  assert.equal(code, 0);
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    assert.ok(stdout.includes(`--${flagName(key)} <value>`), `flag of ${key}`);
    assert.ok(stdout.includes(`${key}  default: `), `variable of ${key}`);
    assert.ok(stdout.includes(SETTINGS[key].description), `description of ${key}`);
  }
  const replay = await output(["replay", "--help"]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /^pmcollect replay: /);
  assert.ok(replay.stdout.includes("--pace N"), replay.stdout);
});

test("main.ts exits 2 with one line for an unknown flag or a bad setting value", async () => {
  const unknown = await output(["--no-such-flag"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stdout, "");
  assert.equal(unknown.stderr.trimEnd().split("\n").length, 1);
  assert.match(unknown.stderr, /--no-such-flag/);

  const bad = await output(["--migrate"], { env: { PMCOLLECT_PRICES_INTERVAL_S: "abc" } });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trimEnd().split("\n").length, 1);
  assert.match(bad.stderr, /^pmcollect: PMCOLLECT_PRICES_INTERVAL_S: .*"abc"/);

  const flag = await output(["status", "--prices-interval-s=-5"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /PMCOLLECT_PRICES_INTERVAL_S/);
});

test("main.ts --migrate from another working directory applies the bundled migrations", () =>
  withDatabase("server", async (db) => {
    const cwd = await Deno.makeTempDir();
    try {
      const { code, stdout, stderr } = await output(["--migrate"], {
        cwd,
        env: { DATABASE_URL: db.url! },
      });
      assert.equal(code, 0, stderr);
      assert.match(stdout, new RegExp(`applied ${MIGRATIONS.map((m) => m.version).join(", ")}`));
      const config = events(stderr).find((e) => e.event === "config");
      assert.ok(config, "logs its config once");
      assert.deepEqual([...Deno.readDirSync(cwd)], [], "writes nothing into the cwd");
      const rows = await db.sql`select version from schema_migrations order by version`;
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));

      const status = await output(["migrate", "--status"], { env: { DATABASE_URL: db.url! } });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /version\s+name\s+state\s+checksum\s+applied_at/);
      assert.match(status.stdout, /0001\s+core\s+applied\s+[0-9a-f]{12}\s+\d{4}-/);

      // One connection outage listing 3 tokens, one books cycle listing 2, one `*` row.
      const at = new Date("2026-11-30T10:00:00Z");
      const gap = { startAt: at, endAt: new Date(at.getTime() + 60_000) };
      await recordGaps(db.sql, [
        {
          ...gap,
          collector: "trades",
          scope: "conn:1",
          cause: "disconnected",
          tokens: ["1", "2", "3"],
        },
        { ...gap, collector: "trades", scope: "*", cause: "downtime" },
        { ...gap, collector: "books", scope: "cycle:books", cause: "no_book", tokens: ["4", "5"] },
      ]);
      const report = await output(["status"], { env: { DATABASE_URL: db.url! } });
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stdout, /price_snapshots\s+0\s+0\s+-/);
      assert.ok(
        report.stdout.includes(
          "open gaps: 3 rows, 6 token-intervals (books 1 row, 2; trades 2 rows, 4)",
        ),
        report.stdout,
      );

      const disk = await output(["status"], {
        env: { DATABASE_URL: db.url!, PMCOLLECT_DISK_PATH: cwd, PMCOLLECT_HEALTH_PORT: "0" },
      });
      assert.match(
        disk.stdout,
        /^disk: \d+\.\d [KMGT]iB free of \d+\.\d [KMGT]iB \(\d+\.\d%\) at .+; growth: unknown \(no collector's \/healthz \(PMCOLLECT_HEALTH_PORT is 0\) to measure it\); days left: unknown$/m,
      );
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  }));

test("two main.ts --migrate at once both exit 0 and apply each migration once", () =>
  withDatabase("server", async (db) => {
    const env = { DATABASE_URL: db.url! };
    const results = await Promise.all([
      output(["--migrate"], { env }),
      output(["migrate"], { env }),
    ]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const applied = results.flatMap((r) => events(r.stderr))
      .filter((e) => e.event === "migration_applied").map((e) => e.version);
    assert.deepEqual(
      applied.sort((a, b) => Number(a) - Number(b)),
      MIGRATIONS.map((m) => m.version),
    );
    const [row] = await db.sql`select count(*)::int as n from schema_migrations`;
    assert.equal(row?.n, MIGRATIONS.length);
  }));

test("main.ts run collects from the simulator and exits 0 within the deadline on SIGTERM", () =>
  withDatabase("server", async (db) => {
    const simulator = await startSimulator({ markets: 40, seed: 7 });
    const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_run_" });
    const child = pmcollect(["run"], {
      env: {
        DATABASE_URL: db.url!,
        PMCOLLECT_SHUTDOWN_DEADLINE_S: "10",
        PMCOLLECT_DATA_DIR: dataDir,
        PMCOLLECT_GAMMA_URL: simulator.url,
        PMCOLLECT_CLOB_URL: simulator.url,
        PMCOLLECT_DATA_API_URL: simulator.url,
        PMCOLLECT_WS_MARKET_URL: simulator.wsUrl,
      },
    }).spawn();
    const seen: Record<string, unknown>[] = [];
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    while (!seen.some((e) => e.event === "cycle_done" && e.task === "markets")) {
      const { value, done } = await lines.read();
      assert.ok(!done, "run keeps going until signalled");
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      seen.push(...events(parts.join("\n")));
    }
    const started = performance.now();
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      buffer += value;
    }
    const status = await child.status;
    const stderr = await new Response(child.stderr).text();
    const elapsedMs = performance.now() - started;
    assert.equal(status.code, 0, stderr);
    assert.ok(elapsedMs < 10_000, `exited after ${elapsedMs} ms`);
    const after = events(buffer).map((e) => e.event);
    const order = ["shutdown_started", "collectors_stopped", "db_closed"].map((e) =>
      after.indexOf(e)
    );
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), after.join(","));
    assert.ok(seen.some((e) => e.event === "schema_ready"));
    const [row] = await db.sql`select count(*)::int as n from schema_migrations`;
    assert.equal(row?.n, MIGRATIONS.length);
    const [markets] = await db.sql`select count(*)::int as n from markets`;
    assert.ok((markets?.n ?? 0) > 0, "the markets collector stored the simulator's universe");
    await simulator.close();
    await Deno.remove(dataDir, { recursive: true });
  }));

test("main.ts inspect exits 0 / 1 / 2 for parsed / rejected / unreadable input", async () => {
  const fixture = (name: string) =>
    fromFileUrl(new URL(`./fixtures/polymarket/${name}`, import.meta.url));
  const trade = fixture("ws-market/last_trade_price_2024-08.json");
  // The same recorded trade with a price no parser may accept.
  const rejected = await Deno.makeTempFile({ suffix: ".json" });
  const bad = JSON.parse(await Deno.readTextFile(trade));
  await Deno.writeTextFile(rejected, JSON.stringify({ ...bad, price: "not a price" }));
  try {
    const cases: Array<[string, number]> = [
      [trade, 0],
      [fixture("ws-market/book_2026-08_initial_with_tick_size.json"), 0],
      [rejected, 1],
    ];
    for (const [file, expected] of cases) {
      const { code, stdout, stderr } = await output(["inspect", file]);
      assert.equal(code, expected, `inspect ${file}: ${stderr}`);
      assert.ok(stdout.length > 0 || stderr.length > 0, `inspect ${file} says something`);
    }
  } finally {
    await Deno.remove(rejected);
  }
  const missing = await output(["inspect", "/no/such/file.json"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read \/no\/such\/file\.json/);
});

/** Reads `child`'s stdout until a JSON line with `event` appears (or the stream ends). */
async function waitForEvent(
  child: Deno.ChildProcess,
  event: string,
): Promise<Record<string, unknown> | undefined> {
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return undefined;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      const found = events(parts.join("\n")).find((e) => e.event === event);
      if (found !== undefined) return found;
    }
  } finally {
    lines.releaseLock();
  }
}

Deno.test("main.ts drops the leading -- that `deno task start -- …` passes on", async () => {
  const version = await output(["--", "--version"]);
  assert.equal(version.code, 0, version.stderr);
  // The version from cli/build_info.ts; the commit from this checkout (run from source).
  const expected = versionText(readBuildCommit(Deno.env.toObject()));
  assert.equal(version.stdout.trim(), expected);
  assert.match(expected, new RegExp(`^pmcollect ${VERSION.replaceAll(".", "\\.")} \\(`));
  const help = await output(["--", "simulate", "--help"]);
  assert.equal(help.code, 0, help.stderr);
});

Deno.test("main.ts run names the health port and its setting when the port is taken, before starting", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // An unreachable database: had the check come after connecting, this would retry forever.
  const { code, stdout, stderr } = await pmcollect(["run"], {
    env: { DATABASE_URL: "postgres://u@127.0.0.1:1/none", PMCOLLECT_HEALTH_PORT: String(port) },
    signal: AbortSignal.timeout(30_000),
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 2, err);
  assert.equal(err.trimEnd().split("\n").length, 1, err);
  assert.match(err, new RegExp(`PMCOLLECT_HEALTH_PORT: port ${port} .*already in use`));
  const started = events(new TextDecoder().decode(stdout)).map((e) => e.event);
  assert.ok(!started.includes("db_connecting") && !started.includes("collecting"), `${started}`);
});

Deno.test("main.ts simulate --help lists every flag and exits 0", async () => {
  const { code, stdout } = await output(["simulate", "--help"]);
  assert.equal(code, 0);
  for (const flag of ["--port", "--hostname", "--markets", "--seed", "--tick-ms", "--faults"]) {
    assert.ok(stdout.includes(flag), flag);
  }
  for (const flag of ["--rate-limits", "--load", "malformed-frames"]) {
    assert.ok(stdout.includes(flag), flag);
  }
});

Deno.test("main.ts simulate exits 2 with one line for a bad flag value", async () => {
  for (
    const args of [["--port", "abc"], ["--markets", "-1"], ["--faults", "bogus=1"], [
      "--tick-ms",
      "1.5",
    ]]
  ) {
    const { code, stderr } = await output(["simulate", ...args]);
    assert.equal(code, 2, `${args}: ${stderr}`);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.match(stderr, new RegExp(args[0]!.replace("--", "") + "|bogus"));
  }
});

Deno.test("main.ts simulate starts although DATABASE_URL is invalid (it never uses it)", async () => {
  const child = pmcollect(["simulate", "--port", "0", "--markets", "5"], {
    env: { DATABASE_URL: "not a url" },
  }).spawn();
  const started = await waitForEvent(child, "simulator_started");
  child.kill("SIGTERM");
  await child.stdout.cancel().catch(() => {});
  const stderr = await new Response(child.stderr).text();
  const status = await child.status;
  assert.ok(started !== undefined, stderr);
  assert.match(String(started.url), /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(status.code, 0, stderr);
});

Deno.test("main.ts simulate names the port when the address is in use", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const { code, stderr } = await output(["simulate", "--port", String(port)]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
});

Deno.test("main.ts simulate --plant serves a planted scenario and its truth at /truth", async () => {
  const child = pmcollect([
    "simulate",
    "--port",
    "0",
    "--plant",
    "seed=3,durations=300/700,depth=40,delay-ms=0",
  ], { env: { DATABASE_URL: "not a url" } }).spawn();
  try {
    const started = await waitForEvent(child, "simulator_started");
    assert.ok(started !== undefined);
    assert.equal(started.mode, "plant");
    assert.match(String(started.wsUrl), /^ws:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(String(started.truthUrl));
    const body = await res.json() as {
      t0: number;
      truth: {
        channel: string;
        startAt: number;
        endAt: number;
        depth: string;
        expected: boolean;
      }[];
    };
    const planted = body.truth.filter((t) => t.expected);
    // Each channel planted once per duration, at the depth asked for, all after t0.
    assert.deepEqual(
      planted.map((t) => `${t.channel} ${t.endAt - t.startAt}`).toSorted(),
      [
        "implication 300",
        "implication 700",
        "neg_risk_basket 300",
        "neg_risk_basket 700",
        "neg_risk_conversion 300",
        "neg_risk_conversion 700",
      ],
    );
    assert.ok(planted.every((t) => t.depth === "40" && t.startAt > body.t0));
    assert.ok(body.truth.some((t) => !t.expected), "decoys are reported too");
    assert.equal(started.planted, planted.length);
  } finally {
    child.kill("SIGTERM");
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("main.ts simulate --plant exits 2 with one line for a bad SPEC", async () => {
  for (const spec of ["depth=-1", "bogus=1", "durations=300/x"]) {
    const { code, stderr } = await output(["simulate", "--plant", spec]);
    assert.equal(code, 2, `${spec}: ${stderr}`);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.match(stderr, /--plant|plant setting/);
  }
});
