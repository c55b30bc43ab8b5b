/**
 * `pmcollect simulate --plant [SPEC]`: the planted-mispricing mode. It serves a
 * `plantScenario` (every channel planted at known instants, depths and durations, plus the
 * decoys no scanner may report) as the venue's market websocket on `--port`, and its truth as
 * JSON at `/truth`: `{ startedAt, t0, truth }`, where a planted instant t happened at
 * `startedAt + (t − t0)` on the wall clock. SPEC is `name=value` pairs separated by commas:
 * `seed=N`, `depth=SHARES`, `durations=MS/MS/…`, `noise-ms=MS`, `fee-bp=N`, `delay-ms=MS`
 * (wait before playing, default 1000) and `max-book-age-ms=MS` (the scanner's staleness limit
 * the silent-leg decoy is planted past).
 *
 * @example
 * ```ts
 * import { parsePlantSpec } from "./plant_cli.ts";
 * parsePlantSpec("seed=7,durations=300/1500", 1); // { scenario: { seed: 7, durationsMs: [300, 1500] }, delayMs: 1000 }
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import { type PlantOptions, plantScenario } from "./plant.ts";
import { servePlantedScenario } from "./plant_server.ts";

export interface PlantSpec {
  readonly scenario: PlantOptions;
  readonly delayMs: number;
}

/** Parses SPEC; `seed` defaults to `--seed`. Throws `Error` naming the bad part. */
export function parsePlantSpec(text: string, seed: number): PlantSpec {
  const scenario: { -readonly [K in keyof PlantOptions]: PlantOptions[K] } = { seed };
  let delayMs = 1000;
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const [name = "", raw = ""] = part.split("=");
    const number = (value: string, integer = true) => {
      const n = Number(value);
      if (
        value.trim() === "" || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))
      ) {
        throw new Error(`--plant ${name} needs a number ≥ 0, got "${value}"`);
      }
      return n;
    };
    if (name === "seed") scenario.seed = number(raw);
    else if (name === "depth") scenario.depth = number(raw);
    else if (name === "durations") scenario.durationsMs = raw.split("/").map((d) => number(d));
    else if (name === "noise-ms") scenario.noiseMs = number(raw, false);
    else if (name === "fee-bp") scenario.feeRateBp = number(raw);
    else if (name === "delay-ms") delayMs = number(raw);
    else if (name === "max-book-age-ms") scenario.maxBookAgeMs = number(raw);
    else {
      throw new Error(
        `unknown --plant setting "${name}" (settings: seed, depth, durations, noise-ms, ` +
          `fee-bp, delay-ms, max-book-age-ms)`,
      );
    }
  }
  if (scenario.durationsMs?.some((d) => d <= 0)) throw new Error("--plant durations must be > 0");
  return { scenario, delayMs };
}

/** Serves the planted scenario on `port` until `signal` aborts. */
export async function runPlantMode(
  spec: PlantSpec,
  deps: { readonly port: number; readonly signal: AbortSignal; readonly log: Logger },
): Promise<void> {
  const scenario = plantScenario(spec.scenario);
  const server = servePlantedScenario(scenario, { delayMs: spec.delayMs, port: deps.port });
  deps.log.info("simulator_started", {
    mode: "plant",
    wsUrl: server.url,
    truthUrl: server.truthUrl,
    relations: scenario.relations.length,
    planted: scenario.truth.filter((t) => t.expected).length,
    decoys: scenario.truth.filter((t) => !t.expected).length,
    events: scenario.events.length,
  });
  if (!deps.signal.aborted) {
    await new Promise<void>((resolve) =>
      deps.signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
  await server.close();
  deps.log.info("simulator_stopped", { mode: "plant" });
}
