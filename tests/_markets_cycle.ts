/**
 * Runs the markets collector for exactly one more cycle (with a long interval configured) and
 * stops it, for tests that step the collector between changes in the simulator.
 */
import { setTimeout as delay } from "node:timers/promises";
import { runMarketsCollector } from "../collectors/markets.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";

/** Runs the collector until `expectedRuns` markets cycles have finished, then aborts it. */
export async function oneMarketsCycle(deps: CollectorDeps, expectedRuns: number): Promise<void> {
  const controller = new AbortController();
  const running = runMarketsCollector(deps, controller.signal).catch((err) => {
    if (!controller.signal.aborted) throw err;
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const [r] = await deps.sql<{ n: number }[]>`
        select count(*)::int as n from collector_runs
        where collector = 'markets' and finished_at is not null`;
      if (r!.n >= expectedRuns) break;
      if (Date.now() > deadline) throw new Error("markets cycle did not finish");
      await delay(20);
    }
  } finally {
    controller.abort(new Error("cycle over"));
    await running;
  }
}
