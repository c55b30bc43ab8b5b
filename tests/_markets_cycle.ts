/**
 * Runs a collector for exactly one more cycle (with a long interval configured) and stops it,
 * for tests that step the markets or books collector between changes in the simulator.
 */
import { setTimeout as delay } from "node:timers/promises";
import { runMarketsCollector } from "../collectors/markets.ts";
import { runBooksCollector } from "../collectors/books.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";

type Run = (deps: CollectorDeps, signal: AbortSignal) => Promise<void>;

/** Runs the markets collector until `expectedRuns` markets cycles have finished, then aborts it. */
export function oneMarketsCycle(deps: CollectorDeps, expectedRuns: number): Promise<void> {
  return oneCycle(deps, "markets", runMarketsCollector, expectedRuns);
}

/** Runs the books collector until `expectedRuns` books cycles have finished, then aborts it. */
export function oneBooksCycle(deps: CollectorDeps, expectedRuns: number): Promise<void> {
  return oneCycle(deps, "books", runBooksCollector, expectedRuns);
}

/** Runs `run` until `collector_runs` holds `expectedRuns` finished `collector` runs. */
async function oneCycle(
  deps: CollectorDeps,
  collector: string,
  run: Run,
  expectedRuns: number,
): Promise<void> {
  const controller = new AbortController();
  const running = run(deps, controller.signal).catch((err) => {
    if (!controller.signal.aborted) throw err;
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const [r] = await deps.sql<{ n: number }[]>`
        select count(*)::int as n from collector_runs
        where collector = ${collector} and finished_at is not null`;
      if (r!.n >= expectedRuns) break;
      if (Date.now() > deadline) throw new Error(`${collector} cycle did not finish`);
      await delay(20);
    }
  } finally {
    controller.abort(new Error("cycle over"));
    await running;
  }
}
