/**
 * `pmcollect simulate`: starts the simulator with flags and runs until the signal aborts.
 *
 * @example
 * ```ts
 * import { runSimulateCommand } from "./cli.ts";
 * import { createLogger } from "../runtime/log.ts";
 * const controller = new AbortController();
 * // await runSimulateCommand(["--markets", "5000", "--port", "8787"], { signal: controller.signal, log: createLogger() });
 * ```
 */
import { parseArgs } from "node:util";
import type { Logger } from "../runtime/log.ts";
import type { FaultSpec } from "./faults.ts";
import { startSimulator } from "./server.ts";
import type { ActivityMode } from "./activity_model.ts";
import { parsePlantSpec, runPlantMode } from "./plant_cli.ts";
import { HISTORY_MAX_MARKETS } from "./history.ts";

/** `pmcollect simulate --help`. */
export const SIMULATE_HELP = `Usage: pmcollect simulate [flags]
  (before the binary exists: deno task start simulate [flags])

A local Polymarket (Gamma, CLOB, Data API and the market websocket on one loopback port)
for tests and demos. It never touches the database. It also takes orders like the venue:
API keys (L1/L2 auth), POST /order(s), cancels, /data/orders, /data/trades,
/balance-allowance, Data API /positions and /v2/positions, and the user websocket
(/ws/user); orders match against the same books the market websocket publishes.

Flags:
  --port N            port to listen on (default 8787; 0 = any free port)
  --hostname H        address to bind (default 127.0.0.1)
  --markets N         markets in the simulated universe (default 1000)
  --seed N            random seed: the same seed gives the same universe (default 1)
  --closed-markets N  a closed history of N resolved markets with price histories, served by
                      Gamma closed=true lists and /prices-history, whose quotes distort a
                      hidden probability in documented ways (docs/models.md, Simulator;
                      default 0); the hidden path is at GET /_test/hidden?market=ID
  --tick-ms N         milliseconds between world steps (trades, book changes; default 100)
  --rate-limits       enforce the venue's documented rate limits (429 with Retry-After)
  --load              load mode: trades as fast as possible on subscribed markets
  --activity MODE     how markets move (default busy): busy = a fixed number of events per
                      tick on every subscribed market (load tests); realistic = the venue's
                      measured rates, heavy-tailed, most markets quiet for hours
                      (docs/activity_model.md)
  --balance USD       pUSD every trading account starts with (default 10000)
  --settle-ms N       a trade's MATCHED → MINED and MINED → CONFIRMED delay (default 2000)
  --faults LIST       inject faults, comma-separated name=value:
                        latency=MS          delay every response by MS
                        fail=N              answer the next N requests with HTTP 503
                        rate-limit=N        answer the next N requests with HTTP 429
                        maintenance=MS      CLOB answers 425 (maintenance) for MS after start
                        malformed-pages=N   N malformed elements in the next pages
                        malformed-frames=N  N malformed websocket messages
  --plant [SPEC]      planted-mispricing mode instead of the universe: a small venue
                      (Gamma, CLOB, Data API and the market websocket on --port) whose
                      books carry every channel (basket, conversion, implication)
                      planted at known instants, depths and durations, plus decoys;
                      the truth (relation keys as the scanner reports them, exact
                      profit after fees) is JSON at /truth. SPEC, comma-separated:
                        seed=N  depth=SHARES (12.37)  durations=MS/MS/...  quiet-ms=MS
                        noise-ms=MS  fee-bp=N (200)  fee-exponent=N (1)
                        convert-fee-bips=N (10)  pair-tick=0.01|0.001 (0.001)
                        delay-ms=MS (3000)  play-on=subscribe|listen (subscribe)
                        max-book-age-ms=MS (10000)
                      Run the collector with PMCOLLECT_WS_TOKENS_PER_CONNECTION=1 and
                      PMCOLLECT_SCANNER_CONVERT_FEE_BIPS=<convert-fee-bips> (README).
  -h, --help          this text

Examples:
  pmcollect simulate --port 8787 --markets 5000
  pmcollect simulate --markets 46500 --activity realistic --faults latency=50,fail=5
  pmcollect simulate --port 8787 --plant seed=7,durations=300/1500

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 failure (the port in use), 2 a bad flag value.

Point pmcollect at it with PMCOLLECT_GAMMA_URL, PMCOLLECT_CLOB_URL, PMCOLLECT_DATA_API_URL
(all http://HOST:PORT) and PMCOLLECT_WS_MARKET_URL (ws://HOST:PORT/ws/market), or run
\`deno task demo\`, which does it for you.
`;

/** A bad `simulate` flag value: main.ts prints it and exits 2. */
export class SimulateUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimulateUsageError";
  }
}

/**
 * Parses `--port`, `--markets`, `--seed`, `--closed-markets`, `--tick-ms`, `--rate-limits`, `--load`,
 * `--activity busy|realistic` (default busy; see simulator/activity_model.ts) and
 * `--faults latency=50,fail=5,rate-limit=3,maintenance=2000,malformed-pages=1,malformed-frames=1`,
 * `--balance USD` and `--settle-ms N` (the trading venue, `venue.ts`) and `--plant [SPEC]` (the planted-mispricing mode, `plant_cli.ts`).
 * `--help` writes {@link SIMULATE_HELP} with `deps.write` and returns.
 * @throws {SimulateUsageError} for a bad flag value.
 */
export async function runSimulateCommand(
  argv: string[],
  deps: { signal: AbortSignal; log: Logger; write?: (text: string) => void },
): Promise<void> {
  const { values } = parseArgs({
    // A bare `--plant` (no SPEC) means the default scenario.
    args: argv.map((a, i) =>
      a === "--plant" && (i + 1 === argv.length || argv[i + 1]!.startsWith("-")) ? "--plant=" : a
    ),
    options: {
      help: { type: "boolean", short: "h", default: false },
      port: { type: "string", default: "8787" },
      hostname: { type: "string", default: "127.0.0.1" },
      markets: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      "closed-markets": { type: "string", default: "0" },
      "tick-ms": { type: "string", default: "100" },
      "rate-limits": { type: "boolean", default: false },
      load: { type: "boolean", default: false },
      activity: { type: "string", default: "busy" },
      faults: { type: "string", default: "" },
      balance: { type: "string", default: "10000" },
      "settle-ms": { type: "string", default: "2000" },
      plant: { type: "string" },
    },
    strict: true,
  });
  if (values.help) {
    deps.write?.(SIMULATE_HELP);
    return;
  }
  const numeric = (name: string, text: string) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
      throw new SimulateUsageError(`--${name} must be a whole number ≥ 0, got "${text}"`);
    }
    return n;
  };
  const activity = values.activity as ActivityMode;
  if (activity !== "busy" && activity !== "realistic") {
    throw new SimulateUsageError(`--activity must be busy or realistic, got "${activity}"`);
  }
  const port = numeric("port", values.port);
  if (numeric("closed-markets", values["closed-markets"]) > HISTORY_MAX_MARKETS) {
    throw new SimulateUsageError(`--closed-markets must be at most ${HISTORY_MAX_MARKETS}`);
  }
  if (port > 65535) throw new SimulateUsageError(`--port must be at most 65535, got ${port}`);
  if (values.plant !== undefined) {
    let spec;
    try {
      spec = parsePlantSpec(values.plant, numeric("seed", values.seed));
    } catch (err) {
      throw new SimulateUsageError((err as Error).message);
    }
    const where = { port, hostname: values.hostname };
    return await runPlantMode(spec, { ...where, signal: deps.signal, log: deps.log });
  }
  const options = {
    activity,
    hostname: values.hostname,
    port,
    markets: numeric("markets", values.markets),
    seed: numeric("seed", values.seed),
    closedMarkets: numeric("closed-markets", values["closed-markets"]),
    tickMs: numeric("tick-ms", values["tick-ms"]),
    rateLimits: values["rate-limits"],
    faults: parseFaults(values.faults),
    trading: {
      collateral: balanceOf(values.balance),
      settleMs: numeric("settle-ms", values["settle-ms"]),
    },
    signal: deps.signal,
  };
  let sim;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new Error(
      `Cannot start the simulator: ${values.hostname}:${port} is already in use ` +
        `(choose another with --port, or --port 0 for any free port)`,
      { cause: err },
    );
  }
  if (values.load) sim.control.load(true);
  deps.log.info("simulator_started", {
    url: sim.url,
    gammaUrl: sim.url,
    clobUrl: sim.url,
    dataApiUrl: sim.url,
    wsUrl: sim.wsUrl,
    userWsUrl: sim.userWsUrl,
    controlUrl: `${sim.url}/__control`,
    markets: sim.universe.markets.length,
    closedMarkets: sim.history?.count ?? 0,
  });
  if (!deps.signal.aborted) {
    await new Promise<void>((resolve) =>
      deps.signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
  await sim.close();
  deps.log.info("simulator_stopped", { sentTrades: sim.control.sentTrades() });
}

/** `--balance`: a decimal amount of pUSD with at most 6 places. */
function balanceOf(text: string): string {
  if (!/^\d+(\.\d{1,6})?$/.test(text)) {
    throw new SimulateUsageError(`--balance must be an amount of pUSD ≥ 0, got "${text}"`);
  }
  return text;
}

/** Parses the `--faults` list (`name=value` pairs separated by commas). */
export function parseFaults(text: string): FaultSpec {
  const spec: FaultSpec = {};
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const [name, raw = "1"] = part.split("=");
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new SimulateUsageError(`--faults ${name} needs a number ≥ 0, got "${raw}"`);
    }
    if (name === "latency") spec.latencyMs = n;
    else if (name === "fail") spec.failNext = { count: n };
    else if (name === "rate-limit") spec.rateLimitNext = { count: n };
    else if (name === "maintenance") spec.maintenanceMs = n;
    else if (name === "malformed-pages") spec.malformedPages = n;
    else if (name === "malformed-frames") spec.malformedFrames = n;
    else {
      throw new SimulateUsageError(
        `unknown fault "${name}" (faults: latency, fail, rate-limit, maintenance, ` +
          `malformed-pages, malformed-frames)`,
      );
    }
  }
  return spec;
}
