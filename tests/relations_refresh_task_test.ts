/**
 * The relation registry's refresh task against a real PostgreSQL schema filled by the markets
 * collector from the simulator (which plants neg-risk events): nobody runs `pmcollect
 * relations`, yet the registry holds confirmed partitions after one refresh, a catalog that
 * fills after the task started is refreshed soon after, and the scanner (its clock frozen, so
 * no timed reload can fire) reloads on the task's notice after saying once why it idled.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { createLogger } from "../runtime/log.ts";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { until } from "./_trades_harness.ts";
import { listRelations } from "../relations/registry.ts";
import {
  catalogFingerprint,
  RefreshNotice,
  type RefreshOutcome,
  type RelationsRefreshDeps,
  runRelationsRefresh,
} from "../relations/refresh_task.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { runScanner } from "../scanner/run.ts";

const SIMULATOR = { seed: 11, markets: 300 };

/** Runs `run` until the returned stop() is awaited; a rejection other than the abort fails. */
function start(run: (signal: AbortSignal) => Promise<void>): () => Promise<void> {
  const controller = new AbortController();
  const running = run(controller.signal).catch((err) => {
    if (!controller.signal.aborted) throw err;
  });
  return async () => {
    controller.abort(new Error("test over"));
    await running;
  };
}

/**
 * The refresh task on the env's database, polling every 20 ms, with an hour's schedule; its
 * outcomes are collected. `extra` overrides or adds deps (a notice, a deferral bound).
 */
function startRefresh(
  deps: CollectorDeps,
  extra: Partial<RelationsRefreshDeps> = {},
): { outcomes: RefreshOutcome[]; stop: () => Promise<void> } {
  const outcomes: RefreshOutcome[] = [];
  const stop = start((signal) =>
    runRelationsRefresh({
      sql: deps.sql,
      log: deps.log.child({ task: "relations" }),
      intervalMs: 3_600_000,
      pollMs: 20,
      onRefreshed: (o) => outcomes.push(o),
      ...extra,
    }, signal)
  );
  return { outcomes, stop };
}

Deno.test("relations refresh: a collected catalog with neg-risk events has confirmed partitions after the task's first refresh", async () => {
  await using env = await createCollectorEnv({ simulator: SIMULATOR });
  const { deps, lines } = env;
  await oneMarketsCycle(deps, 1);
  assert.equal((await listRelations(deps.sql)).length, 0, "nobody ran `relations`");
  const { outcomes, stop } = startRefresh(deps);
  try {
    await until(() => outcomes.length >= 1, 30_000);
  } finally {
    await stop();
  }
  const first = outcomes[0]!;
  assert.equal(first.reason, "start");
  const partitions = await listRelations(deps.sql, { type: "partition", status: "confirmed" });
  assert.ok(partitions.length > 0, "a confirmed partition after one refresh");
  assert.equal(
    first.byStatus.confirmed,
    (await listRelations(deps.sql, { status: "confirmed" })).length,
  );
  assert.ok(first.derived >= partitions.length && first.written >= first.derived);
  // An unchanged catalog is not refreshed again before the schedule says so.
  assert.equal(outcomes.filter((o) => o.reason !== "start").length, 0, JSON.stringify(outcomes));
  const logged = lines.filter((l) => l.event === "relations_refreshed");
  assert.equal(logged.length, outcomes.length);
  assert.equal(logged[0]!.derived, first.derived);
  assert.equal(typeof logged[0]!.durationMs, "number");
  assert.deepEqual(logged[0]!.byStatus, first.byStatus);
});

Deno.test("relations refresh: a catalog filled after the task started is refreshed, and the idle scanner reloads on the notice", async () => {
  await using env = await createCollectorEnv({ simulator: SIMULATOR });
  const { deps, lines } = env;
  const notice = new RefreshNotice();
  const { outcomes, stop: stopRefresh } = startRefresh(deps, { notice });
  const feed = createScannerFeed();
  feed.bindResync(() => {});
  const frozen = Date.now();
  const stopScanner = start((signal) =>
    runScanner({
      ...deps,
      log: deps.log.child({ task: "scanner" }),
      now: () => frozen,
      feed,
      registry: notice,
    }, signal)
  );
  const scannerLines = () => lines.filter((l) => l.task === "scanner");
  try {
    await until(() => outcomes.length >= 1, 30_000);
    assert.equal(outcomes[0]!.derived, 0, "an empty catalog derives nothing");
    await until(() => scannerLines().some((l) => l.event === "scanner_idle"), 30_000);
    const before = await catalogFingerprint(deps.sql);
    await oneMarketsCycle(deps, 1);
    assert.notEqual(await catalogFingerprint(deps.sql), before);
    await until(() => outcomes.some((o) => (o.byStatus.confirmed ?? 0) > 0), 30_000);
    assert.ok(outcomes.slice(1).every((o) => o.reason === "catalog_changed"));
    assert.ok(notice.generation > 0);
    // Its clock is frozen: only the notice can have made it reload.
    await until(
      () =>
        scannerLines().some((l) =>
          l.event === "scanner_relations_reloaded" && Number(l.relations) > 0
        ),
      30_000,
    );
  } finally {
    await stopScanner();
    await stopRefresh();
  }
  const idle = scannerLines().filter((l) => l.event === "scanner_idle");
  assert.equal(idle.length, 1, "said once");
  assert.equal(idle[0]!.reason, "no confirmed relations yet");
  const started = scannerLines().find((l) => l.event === "scanner_started");
  assert.equal(started?.relations, 0);
});

Deno.test("relations refresh: a database that is away is said once and polled, not a crash", async () => {
  const lines: { event: string; level: string }[] = [];
  const log = createLogger({}, { write: (l) => lines.push(JSON.parse(l)) });
  // Nothing listens on port 1: every statement fails with a connection error.
  const sql = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1, connect_timeout: 1 });
  const controller = new AbortController();
  const running = runRelationsRefresh(
    { sql, log, intervalMs: 3_600_000, pollMs: 50 },
    controller.signal,
  );
  await until(() => lines.length > 0, 10_000);
  // Several more polls fail while the database stays away: still one line.
  await sleep(300);
  controller.abort(new Error("test over"));
  await assert.rejects(
    running,
    (err: Error) => err.name === "AbortError" || /test over/.test(String(err)),
  );
  await sql.end({ timeout: 1 });
  assert.deepStrictEqual(lines.map((l) => [l.level, l.event]), [["warn", "relations_db_down"]]);
});

Deno.test("relations refresh: while nothing is derived yet, a catalog still filling is refreshed at the next poll", async () => {
  await using env = await createCollectorEnv({ simulator: SIMULATOR });
  const { deps } = env;
  // Waiting for a catalog that keeps moving would take an hour here.
  const { outcomes, stop: stopRefresh } = startRefresh(deps, { maxDeferMs: 3_600_000 });
  let churning = true;
  const churn = (async () => {
    // A first markets cycle in progress: the catalog changes between every two polls.
    for (let i = 0; churning; i++) {
      await deps.sql`insert into markets (market_id) values (${`filling-${i}`})`;
      await sleep(5);
    }
  })();
  try {
    await until(() => outcomes.length >= 1, 30_000);
    assert.equal(outcomes[0]!.derived, 0);
    await until(() => outcomes.some((o) => o.reason === "catalog_changed"), 5_000);
  } finally {
    churning = false;
    await churn;
    await stopRefresh();
  }
});
