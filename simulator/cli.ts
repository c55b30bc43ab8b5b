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

/**
 * Parses `--port`, `--markets`, `--seed`, `--tick-ms`, `--rate-limits`, `--load`,
 * `--activity busy|realistic` (default busy; see simulator/activity_model.ts) and
 * `--faults latency=50,fail=5,rate-limit=3,maintenance=2000,malformed-pages=1,malformed-frames=1`.
 */
export async function runSimulateCommand(
  argv: string[],
  deps: { signal: AbortSignal; log: Logger },
): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "8787" },
      hostname: { type: "string", default: "127.0.0.1" },
      markets: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      "tick-ms": { type: "string", default: "100" },
      "rate-limits": { type: "boolean", default: false },
      load: { type: "boolean", default: false },
      activity: { type: "string", default: "busy" },
      faults: { type: "string", default: "" },
    },
    strict: true,
  });
  const numeric = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) {
      throw new RangeError(`--${name} must be a non-negative number`);
    }
    return n;
  };
  const activity = values.activity;
  if (activity !== "busy" && activity !== "realistic") {
    throw new RangeError("--activity must be busy or realistic");
  }
  const sim = await startSimulator({
    activity,
    hostname: values.hostname,
    port: numeric("port", values.port),
    markets: numeric("markets", values.markets),
    seed: numeric("seed", values.seed),
    tickMs: numeric("tick-ms", values["tick-ms"]),
    rateLimits: values["rate-limits"],
    faults: parseFaults(values.faults),
    signal: deps.signal,
  });
  if (values.load) sim.control.load(true);
  deps.log.info("simulator_started", {
    url: sim.url,
    gammaUrl: sim.url,
    clobUrl: sim.url,
    dataApiUrl: sim.url,
    wsUrl: sim.wsUrl,
    controlUrl: `${sim.url}/__control`,
    markets: sim.universe.markets.length,
  });
  if (!deps.signal.aborted) {
    await new Promise<void>((resolve) =>
      deps.signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
  await sim.close();
  deps.log.info("simulator_stopped", { sentTrades: sim.control.sentTrades() });
}

/** Parses the `--faults` list (`name=value` pairs separated by commas). */
export function parseFaults(text: string): FaultSpec {
  const spec: FaultSpec = {};
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const [name, raw = "1"] = part.split("=");
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new RangeError(`--faults ${name} needs a number`);
    if (name === "latency") spec.latencyMs = n;
    else if (name === "fail") spec.failNext = { count: n };
    else if (name === "rate-limit") spec.rateLimitNext = { count: n };
    else if (name === "maintenance") spec.maintenanceMs = n;
    else if (name === "malformed-pages") spec.malformedPages = n;
    else if (name === "malformed-frames") spec.malformedFrames = n;
    else throw new RangeError(`unknown fault: ${name}`);
  }
  return spec;
}
