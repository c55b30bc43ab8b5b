/**
 * `deno task demo` end to end: the simulator and the daemon start together on a fresh embedded
 * database, the printed `status` command shows collected rows and, as printed, reads this
 * demo's collector (its health port: growth, relations, the scanner) and disk, `/healthz`
 * answers, and one SIGINT stops both.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const CONFIG = fileURLToPath(new URL("deno.json", ROOT));

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs the printed `… deno task start status` as `deno run main.ts status` with its env. */
async function status(printed: string): Promise<string> {
  const vars = printed.replace(/ deno task start status$/, "").split(" ");
  const env = Object.fromEntries(vars.map((v) => v.split("=", 2) as [string, string]));
  const { stdout, stderr, code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      CONFIG,
      fileURLToPath(new URL("main.ts", ROOT)),
      "status",
    ],
    env,
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return text;
}

Deno.test("deno task demo shows collected rows in status within a minute and stops on SIGINT", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_demo_" });
  const healthPort = freePort();
  const demo = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      fileURLToPath(new URL("scripts/demo.ts", ROOT)),
      "--markets",
      "20",
      "--tick-ms",
      "50",
      "--data-dir",
      dataDir,
      "--health-port",
      String(healthPort),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).spawn();
  const started = performance.now();
  const reader = demo.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    while (!out.includes("Ctrl-C stops both.")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `demo ended early: ${out}`);
      out += value;
    }
    const printed = out.match(/what is collected: +(.+)$/m)?.[1] ?? "";
    assert.ok(printed.endsWith(" deno task start status"), out);
    assert.match(
      printed,
      /DATABASE_URL=postgres:\/\/postgres(:[^@ ]+)?@127\.0\.0\.1:\d+\/postgres /,
    );
    for (const what of ["status --quality", "backfill --gaps-only", "/healthz", "/metrics"]) {
      assert.ok(out.includes(what), what);
    }
    let trades = 0;
    let text = "";
    // Until trades are in and the scanner has reported once (it starts after the listener).
    while (
      (trades === 0 || text.includes("scanner: starting")) &&
      performance.now() - started < 60_000
    ) {
      text = await status(printed);
      trades = Number(text.match(/^trades +(\d+)/m)?.[1] ?? 0);
    }
    assert.ok(trades > 0, "status shows trades within a minute");
    // As printed, status reads this demo's collector (its health port) and its disk.
    assert.ok(printed.includes(`PMCOLLECT_HEALTH_PORT=${healthPort} `), printed);
    assert.ok(printed.includes(`PMCOLLECT_DATA_DIR=${dataDir} `), printed);
    const collector = `the running collector (127.0.0.1:${healthPort})`;
    assert.match(text, /^disk: \d+\.\d [KMGT]iB free of /m);
    assert.ok(text.includes(`measured by ${collector}`) || text.includes(`${collector} has`), text);
    assert.match(text, /^relations: \d+ confirmed, .*\(last refresh: /m);
    assert.ok(text.includes(`per ${collector}`), text);
    const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    assert.equal(health.status, 200, await health.text());
  } finally {
    demo.kill("SIGINT");
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const { code } = await demo.status;
  await demo.stderr.cancel();
  assert.equal(code, 0, out);
  assert.match(out, /demo: stopped/);
  await assert.rejects(fetch(`http://127.0.0.1:${healthPort}/healthz`), TypeError);
  await Deno.remove(dataDir, { recursive: true });
});
