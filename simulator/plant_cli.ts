/**
 * `pmcollect simulate --plant [SPEC]`: the planted-mispricing mode. It serves a
 * `plantScenario` (every channel planted at known instants, depths and durations, plus the
 * decoys no scanner may report) as a venue on `--port`: the market websocket, and Gamma, CLOB
 * and the Data API for its markets (`plant_server.ts`), so `pmcollect run` and `pmcollect
 * relations` take it in like the real venue. Its truth is JSON at `/truth`.
 *
 * SPEC is `name=value` pairs separated by commas: `seed=N`, `depth=SHARES` (hundredths,
 * default 12.37), `durations=MS/MS/…`, `quiet-ms=MS`, `noise-ms=MS`, `fee-bp=N` (taker fee
 * rate in 1e-4, default 200), `fee-exponent=N` (default 1), `convert-fee-bips=N` (the
 * adapter's fee, default 10; set PMCOLLECT_SCANNER_CONVERT_FEE_BIPS to it), `pair-tick=0.01|0.001`
 * (default 0.001), `delay-ms=MS` (wait before playing, default 3000), `play-on=subscribe|listen`
 * (count the delay from the first websocket subscription, the default, or from start) and
 * `max-book-age-ms=MS` (the scanner's staleness limit the silent-leg decoy is planted past,
 * default 10000 as PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS).
 *
 * @example
 * ```ts
 * import { parsePlantSpec } from "./plant_cli.ts";
 * parsePlantSpec("seed=7,durations=300/1500", 1).scenario.durationsMs; // [300, 1500]
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import { type PlantOptions, plantScenario } from "./plant.ts";
import { servePlantedScenario } from "./plant_server.ts";

export interface PlantSpec {
  readonly scenario: PlantOptions;
  readonly delayMs: number;
  readonly playOn: "subscribe" | "listen";
}

/** What `simulate --plant` plants unless told otherwise: the venue's costs, all of them. */
export const PLANT_DEFAULTS = {
  depth: "12.37",
  feeRateBp: 200,
  feeExponent: 1,
  convertFeeBips: 10,
  pairTick: "0.001",
  maxBookAgeMs: 10_000,
} as const satisfies PlantOptions;

const SETTINGS = [
  "seed",
  "depth",
  "durations",
  "quiet-ms",
  "noise-ms",
  "fee-bp",
  "fee-exponent",
  "convert-fee-bips",
  "pair-tick",
  "delay-ms",
  "play-on",
  "max-book-age-ms",
];

/** Parses SPEC over {@link PLANT_DEFAULTS}; `seed` defaults to `--seed`. Throws `Error` naming the bad part. */
export function parsePlantSpec(text: string, seed: number): PlantSpec {
  const scenario: { -readonly [K in keyof PlantOptions]: PlantOptions[K] } = {
    seed,
    ...PLANT_DEFAULTS,
  };
  let delayMs = 3000;
  let playOn: PlantSpec["playOn"] = "subscribe";
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
    else if (name === "depth") {
      if (!/^\d+(\.\d{1,2})?$/.test(raw) || Number(raw) <= 0) {
        throw new Error(`--plant depth needs shares > 0 in hundredths at most, got "${raw}"`);
      }
      scenario.depth = raw;
    } else if (name === "durations") scenario.durationsMs = raw.split("/").map((d) => number(d));
    else if (name === "quiet-ms") scenario.quietMs = number(raw);
    else if (name === "noise-ms") scenario.noiseMs = number(raw, false);
    else if (name === "fee-bp") scenario.feeRateBp = number(raw);
    else if (name === "fee-exponent") scenario.feeExponent = number(raw);
    else if (name === "convert-fee-bips") scenario.convertFeeBips = number(raw);
    else if (name === "pair-tick") {
      if (raw !== "0.01" && raw !== "0.001") {
        throw new Error(`--plant pair-tick must be 0.01 or 0.001, got "${raw}"`);
      }
      scenario.pairTick = raw;
    } else if (name === "delay-ms") delayMs = number(raw);
    else if (name === "play-on") {
      if (raw !== "subscribe" && raw !== "listen") {
        throw new Error(`--plant play-on must be subscribe or listen, got "${raw}"`);
      }
      playOn = raw;
    } else if (name === "max-book-age-ms") scenario.maxBookAgeMs = number(raw);
    else {
      throw new Error(
        `unknown --plant setting "${name}" (settings: ${SETTINGS.join(", ")})`,
      );
    }
  }
  if (scenario.durationsMs?.some((d) => d <= 0)) throw new Error("--plant durations must be > 0");
  if ((scenario.feeExponent ?? 1) > 4) throw new Error("--plant fee-exponent must be at most 4");
  return { scenario, delayMs, playOn };
}

/** Serves the planted scenario on `port` until `signal` aborts. */
export async function runPlantMode(
  spec: PlantSpec,
  deps: {
    readonly port: number;
    readonly hostname?: string;
    readonly signal: AbortSignal;
    readonly log: Logger;
  },
): Promise<void> {
  const scenario = plantScenario(spec.scenario);
  const server = servePlantedScenario(scenario, {
    delayMs: spec.delayMs,
    playOn: spec.playOn,
    port: deps.port,
    ...(deps.hostname === undefined ? {} : { hostname: deps.hostname }),
  });
  deps.log.info("simulator_started", {
    mode: "plant",
    gammaUrl: server.httpUrl,
    clobUrl: server.httpUrl,
    dataApiUrl: server.httpUrl,
    wsUrl: server.url,
    truthUrl: server.truthUrl,
    convertFeeBips: spec.scenario.convertFeeBips ?? 0,
    playOn: spec.playOn,
    delayMs: spec.delayMs,
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
