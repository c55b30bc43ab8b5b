/**
 * Parse throughput: `parseWsFrame` against bare `JSON.parse` on a realistic mix of recorded
 * market-websocket frames (mostly `price_change` and `last_trade_price`, some `book`).
 *
 * @example
 * ```ts
 * import { runParseBench } from "./parse_bench.ts";
 * const lines = await runParseBench({ durationMs: 200 });
 * ```
 */
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { atLeast, BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/ws-market/", import.meta.url);

/** Options for `runParseBench`. */
export interface ParseBenchOptions {
  /** Total measuring time per contender (split into alternating rounds); default 2000 ms. */
  durationMs?: number;
}

async function readFixture(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

/** Builds the frame mix: ~70% price_change, ~25% last_trade_price, ~5% book, one msg per frame. */
export async function buildFrameMix(): Promise<string[]> {
  const sequence = await readFixture("sequence_book_then_price_changes_2026-09.json") as unknown[];
  const priceChanges = sequence.filter((m) =>
    (m as { event_type?: string }).event_type === "price_change"
  );
  const books = [
    sequence[0],
    await readFixture("book_2026-08_initial_with_tick_size.json"),
  ];
  const trades = [
    await readFixture("last_trade_price_2024-08.json"),
    await readFixture("last_trade_price_with_tx_hash_2026-08.json"),
  ];
  const frames: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = i % 20;
    if (r === 0) frames.push(JSON.stringify([books[(i / 20) % 2]]));
    else if (r <= 5) frames.push(JSON.stringify(trades[i % 2]));
    else frames.push(JSON.stringify(priceChanges[i % priceChanges.length]));
  }
  return frames;
}

function measure(frames: string[], durationMs: number, parse: (text: string) => number): number {
  let messages = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (const f of frames) sink += parse(f);
    messages += frames.length;
    elapsed = performance.now() - start;
  }
  if (sink < 0) throw new Error("unreachable");
  return messages / (elapsed / 1000);
}

/** Runs the benchmark and returns printable lines with both rates and the ratio. */
export async function runParseBench(
  options: ParseBenchOptions = {},
): Promise<{ lines: string[]; targets: TargetCheck[] }> {
  const durationMs = options.durationMs ?? (BENCH_SHORT ? 500 : 2000);
  const frames = await buildFrameMix();
  const bare = (t: string) => (JSON.parse(t) === null ? 0 : 1);
  const full = (t: string) => parseWsFrame(t, 0).messages.length;
  // Alternate short rounds and keep each contender's best: the host is shared, so
  // interference from other processes would otherwise land on one contender only.
  const rounds = 10;
  let bareRate = 0;
  let fullRate = 0;
  measure(frames, durationMs / rounds, bare);
  measure(frames, durationMs / rounds, full);
  for (let i = 0; i < rounds; i++) {
    bareRate = Math.max(bareRate, measure(frames, durationMs / rounds, bare));
    fullRate = Math.max(fullRate, measure(frames, durationMs / rounds, full));
  }
  const ratio = fullRate / bareRate;
  return {
    lines: [
      `parse_bench frames=${frames.length} mix=70% price_change, 25% last_trade_price, 5% book`,
      `JSON.parse    ${Math.round(bareRate).toLocaleString("en-US")} msgs/s`,
      `parseWsFrame  ${Math.round(fullRate).toLocaleString("en-US")} msgs/s`,
      `ratio parseWsFrame/JSON.parse ${ratio.toFixed(2)}`,
    ],
    targets: [atLeast("ratio parseWsFrame/JSON.parse", ratio, 0.5)],
  };
}

if (import.meta.main) {
  const { lines, targets } = await runParseBench();
  finishBench(lines, targets);
}
