/**
 * `deno task demo`: pmcollect against the local simulator, nothing else needed. Starts the
 * simulator and the embedded database in this process, the collector daemon as a child
 * (`main.ts run` with the four venue URLs pointed at the simulator), prints where to look
 * (`status`, `/healthz`, `/metrics`, the log file) and stops everything on Ctrl-C.
 *
 * The embedded database is served on a loopback port so that `status`, `status --quality` and
 * `backfill` can run next to the daemon (each process gets one connection); the printed
 * commands carry that DATABASE_URL, the data directory and health port the daemon uses (so
 * `status` reports this disk and this collector's growth and scanner), and the simulator's
 * URLs. They are run from the repository (where `deno task start` is defined).
 *
 * @example
 * ```sh
 * deno task demo                                  # 100 markets, data in ./data/demo
 * deno task demo --markets 500 --tick-ms 50 --health-port 9465
 * ```
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { startSimulator } from "../simulator/server.ts";
import { serveEmbeddedDatabase } from "../db/client.ts";
import { assertHealthPortFree } from "../runtime/health.ts";
import { printText } from "../runtime/log.ts";

const USAGE = `Usage: deno task demo [--markets N] [--seed N] [--tick-ms N] [--data-dir DIR]
                      [--health-port N]
Runs the simulator and the collector (embedded database) together until Ctrl-C.`;

const { values } = parseArgs({
  args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
  options: {
    markets: { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
    "tick-ms": { type: "string", default: "100" },
    "data-dir": { type: "string", default: "./data/demo" },
    "health-port": { type: "string", default: "9464" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
const print = (line = "") => printText("stdout", line);
if (values.help) {
  print(USAGE);
  Deno.exit(0);
}
const whole = (name: string, text: string): number => {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
    printText("stderr", `demo: --${name} must be a whole number ≥ 0, got "${text}"`);
    Deno.exit(2);
  }
  return n;
};
const markets = whole("markets", values.markets);
const healthPort = whole("health-port", values["health-port"]);
const dataDir = resolve(values["data-dir"]);
try {
  assertHealthPortFree(healthPort);
} catch (err) {
  printText("stderr", `demo: ${(err as Error).message} (demo: --health-port)`);
  Deno.exit(2);
}

const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => stop.abort(sig));
}

await Deno.mkdir(dataDir, { recursive: true });
const sim = await startSimulator({
  port: 0,
  markets,
  seed: whole("seed", values.seed),
  tickMs: whole("tick-ms", values["tick-ms"]),
});
const db = await serveEmbeddedDatabase(dataDir, { maxConnections: 8 });
const venue: Record<string, string> = {
  PMCOLLECT_GAMMA_URL: sim.url,
  PMCOLLECT_CLOB_URL: sim.url,
  PMCOLLECT_DATA_API_URL: sim.url,
  PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
};
// One connection per process: they share PGlite's one session.
const database: Record<string, string> = {
  DATABASE_URL: db.url,
  PMCOLLECT_DB_POOL_SIZE: "1",
  PMCOLLECT_TIMESCALE: "off",
};
const logFile = resolve(dataDir, "pmcollect.log");
const log = await Deno.open(logFile, { create: true, append: true });
const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const config = fileURLToPath(new URL("../deno.json", import.meta.url));
const daemon = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--v8-flags=--max-semi-space-size=8,--heap-growing-percent=50",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "--allow-sys",
    "--config",
    config,
    main,
    "run",
  ],
  env: {
    ...venue,
    ...database,
    PMCOLLECT_DATA_DIR: dataDir,
    PMCOLLECT_HEALTH_PORT: String(healthPort),
  },
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
}).spawn();

/** Copies the daemon's JSON lines to the log file; warnings and errors also to the terminal. */
async function follow(stream: ReadableStream<Uint8Array>): Promise<void> {
  let buffer = "";
  const encoder = new TextEncoder();
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      await log.write(encoder.encode(line + "\n"));
      if (line.includes('"level":"warn"') || line.includes('"level":"error"')) {
        printText("stderr", `collector: ${line}`);
      } else if (line.includes('"event":"collecting"')) {
        banner();
      } else if (!line.startsWith("{") && line.trim() !== "") {
        printText("stderr", `collector: ${line}`);
      }
    }
  }
}

function banner(): void {
  const env = (vars: Record<string, string>) =>
    Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(" ");
  print("");
  print(`pmcollect demo: the simulator (${markets} markets) at ${sim.url}, the collector on the`);
  print(`embedded database in ${db.location}. Rows arrive within a minute. Where to look:`);
  print("");
  // As the daemon runs: its database, its data directory (free disk) and its /healthz port
  // (growth, the scanner), so each command reads this demo's collector and no other.
  const own = {
    ...database,
    PMCOLLECT_DATA_DIR: dataDir,
    PMCOLLECT_HEALTH_PORT: String(healthPort),
  };
  print(`  what is collected:  ${env(own)} deno task start status`);
  print(`  data quality:       ${env({ ...own, ...venue })} deno task start status --quality`);
  print(`  backfill:           ${env({ ...own, ...venue })} deno task start backfill --gaps-only`);
  print(
    healthPort === 0
      ? "  health, metrics:    off (--health-port 0)"
      : `  health:             curl -s http://127.0.0.1:${healthPort}/healthz`,
  );
  if (healthPort !== 0) {
    print(`  metrics:            curl -s http://127.0.0.1:${healthPort}/metrics`);
  }
  print(`  collector log:      ${logFile}`);
  print(`  simulator flags:    deno task start simulate --help`);
  print("");
  print("Ctrl-C stops both.");
}

const following = Promise.all([follow(daemon.stdout), follow(daemon.stderr)]);
const exited = daemon.status;
await Promise.race([exited, new Promise((r) => stop.signal.addEventListener("abort", r))]);
let code = 0;
if (stop.signal.aborted) {
  print("demo: stopping the collector and the simulator");
  try {
    daemon.kill("SIGTERM");
  } catch {
    // already exited
  }
  code = (await exited).code === 0 ? 0 : 1;
} else {
  printText(
    "stderr",
    `demo: the collector exited with code ${(await exited).code}; see ${logFile}`,
  );
  code = 1;
}
await following;
log.close();
await sim.close();
await db.stop();
print("demo: stopped");
Deno.exit(code);
