/**
 * `deno task bench`: every benchmark in turn, each printing rates and the ratio against a
 * baseline measured in the same run (these machines are noisy: compare ratios, not absolutes).
 * `deno task bench -- writer parse` runs only the named ones.
 *
 * Each benchmark runs in its own process, with the program's V8 flags, so the RSS one reports
 * is its own and not what an earlier benchmark left behind (the writer's million rows alone
 * leave more than a gigabyte resident).
 */
import { fileURLToPath } from "node:url";
import { RUNTIME_V8_FLAGS } from "../tests/_runtime_flags.ts";
import { printText } from "../runtime/log.ts";

const BENCHES: Record<string, { title: string; file: string }> = {
  writer: { title: "bulk price writer vs psql \\copy (issue 3)", file: "writer_bench.ts" },
  parse: { title: "websocket frame parsing vs JSON.parse (issue 4)", file: "parse_bench.ts" },
  simulator: { title: "simulator websocket send rate (issue 4)", file: "simulator_bench.ts" },
  rest: { title: "prices and books cycles vs bare fetch (issue 5)", file: "rest_bench.ts" },
  trades: { title: "websocket trades into PostgreSQL (issue 6)", file: "trades_bench.ts" },
  edge: { title: "edge engine per evaluation, 40-market group (issue 16)", file: "edge_bench.ts" },
  scanner: {
    title: "40-leg group change, detection latency at 20× venue rate, replay (issue 17)",
    file: "scanner_bench.ts",
  },
  scanner_venue: {
    title: "the daemon at venue scale, 46,500 markets, scanner with every relation (issue 27)",
    file: "scanner_venue_bench.ts",
  },
  propose: {
    title: "lexical relation proposals, 50,000 markets (issue 16)",
    file: "propose_bench.ts",
  },
  storage: {
    title: "a simulated week under the server's own jobs, per table and stream (issues 14, 26)",
    file: "storage_bench.ts",
  },
  books: {
    title:
      "compressed books per row and per distinct book, by column, before/after 0023 (issue 26)",
    file: "books_bench.ts",
  },
  stream: {
    title: "market-channel recorder: ingest, bytes/event, bookAt, replay (issue 15)",
    file: "stream_bench.ts",
  },
  pack: {
    title: "packing two 6-hour windows recorded at venue rate, ≤ 5 min each (issue 26)",
    file: "pack_venue_bench.ts",
  },
  broker: {
    title: "order build + sign latency, paper matching with 1,000 resting orders (issue 29)",
    file: "broker_bench.ts",
  },
  model: {
    title: "calibrated models vs market and oracle, walk-forward at t-24h (issue 28)",
    file: "model_bench.ts",
  },
  execution: {
    title: "decision to broker p99, paper trading a venue day, planted P&L (issue 30)",
    file: "execution_bench.ts",
  },
};

const wanted = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
let failed = 0;
for (const name of wanted) {
  const bench = BENCHES[name];
  if (bench === undefined) {
    throw new Error(`Unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(", ")}`);
  }
  printText("stdout", `\n## ${name}: ${bench.title}`);
  const file = fileURLToPath(new URL(bench.file, import.meta.url));
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...RUNTIME_V8_FLAGS, file],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) {
    failed++;
    printText("stderr", `benchmark ${name} failed`);
  }
}
if (failed > 0) Deno.exit(1);
