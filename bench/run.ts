/**
 * `deno task bench`: every benchmark in turn, each printing rates and the ratio against a
 * baseline measured in the same run (these machines are noisy: compare ratios, not absolutes).
 * `deno task bench -- writer parse` runs only the named ones.
 */
import { runParseBench } from "./parse_bench.ts";
import { runRestBench } from "./rest_bench.ts";
import { runSimulatorBench } from "./simulator_bench.ts";
import { runTradesBench } from "./trades_bench.ts";
import { runWriterBench } from "./writer_bench.ts";

const BENCHES: Record<string, { title: string; run: () => Promise<string[]> }> = {
  writer: { title: "bulk price writer vs psql \\copy (issue 3)", run: () => runWriterBench() },
  parse: { title: "websocket frame parsing vs JSON.parse (issue 4)", run: () => runParseBench() },
  simulator: { title: "simulator websocket send rate (issue 4)", run: () => runSimulatorBench() },
  rest: { title: "prices and books cycles vs bare fetch (issue 5)", run: () => runRestBench() },
  trades: { title: "websocket trades into PostgreSQL (issue 6)", run: () => runTradesBench() },
};

const wanted = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
for (const name of wanted) {
  const bench = BENCHES[name];
  if (bench === undefined) {
    throw new Error(`Unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(", ")}`);
  }
  // deno-lint-ignore no-console
  console.log(`\n## ${name}: ${bench.title}`);
  // deno-lint-ignore no-console
  for (const line of await bench.run()) console.log(line);
}
