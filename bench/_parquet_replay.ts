/**
 * The Parquet replay of an export folder, timed in a process of its own, as a research consumer
 * runs it: `replayParquetBatches` a few rounds (the first also compiles the loop), then
 * `replayBookEventsFromParquet` one event at a time. Run by the stream bench (`parquetReplay`);
 * prints one JSON object. In the bench's own process, right after the database replay, the same
 * replay measured 0.7-1.0 M rows/s where a fresh process gives 1.4-2.1 M: what the database
 * replay leaves in V8's heap and JIT state is not what a consumer of the files has.
 *
 * @example
 * ```sh
 * deno run -A bench/_parquet_replay.ts ./export 3
 * ```
 */
import { printText } from "../runtime/log.ts";
import { replayBookEventsFromParquet, replayParquetBatches } from "../stream/replay_parquet.ts";

/** Seconds per round in batches, the events each round gave, and seconds one at a time. */
export interface ParquetReplayTimes {
  readonly rounds: number[];
  readonly events: number;
  readonly oneByOne: number;
}

async function measure(dir: string, rounds: number): Promise<ParquetReplayTimes> {
  const seconds: number[] = [];
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    const t = performance.now();
    let n = 0;
    for await (const batch of replayParquetBatches(dir)) n += batch.length;
    seconds.push((performance.now() - t) / 1000);
    if (round > 0 && n !== events) {
      throw new Error(`round ${round} gave ${n} events, not ${events}`);
    }
    events = n;
  }
  const t = performance.now();
  let one = 0;
  for await (const _ of replayBookEventsFromParquet(dir)) one++;
  if (one !== events) throw new Error(`one at a time gave ${one} events, in batches ${events}`);
  return { rounds: seconds, events, oneByOne: (performance.now() - t) / 1000 };
}

if (import.meta.main) {
  const [dir, rounds] = Deno.args;
  if (dir === undefined) throw new Error("usage: _parquet_replay.ts DIR [ROUNDS]");
  printText("stdout", JSON.stringify(await measure(dir, Number(rounds ?? 3))));
}
