/**
 * `pmcollect status` beside a running collector: the daemon's own tasks (the relation refresh
 * task, the scanner, the disk guard with injected readings and clock) run under the supervisor
 * with `/healthz` served on a free port, over a real PostgreSQL schema filled by the markets
 * collector from the simulator. Status must show the registry's counts and last refresh, the
 * relations the scanner holds, growth as the disk guard measured it and finite days left; and
 * a collector on another database must not be believed.
 */
import assert from "node:assert/strict";
import { createCollectorEnv } from "./_collector_env.ts";
import { oneMarketsCycle } from "./_markets_cycle.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";
import { migrate } from "../db/migrate.ts";
import { until } from "./_trades_harness.ts";
import { runStatusCommand } from "../cli/status_command.ts";
import { runDiskGuard } from "../cli/_disk.ts";
import { loadConfig } from "../runtime/config.ts";
import { serveHealth } from "../runtime/health.ts";
import { silentLogger } from "../runtime/log.ts";
import { createShedState } from "../runtime/shed.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { runRelationsRefresh } from "../relations/refresh_task.ts";
import { countRelationsByStatus } from "../relations/registry.ts";
import { RefreshNotice } from "../relations/refresh_task.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { runScanner } from "../scanner/run.ts";
import { loadScanRelations } from "../scanner/_load.ts";

const MIB = 2 ** 20;

Deno.test("status reads the running collector: registry counts, the scanner's relations, measured growth and days left", async () => {
  await using env = await createCollectorEnv({ simulator: { seed: 11, markets: 300 } });
  const { deps } = env;
  await oneMarketsCycle(deps, 1);
  const [{ schema }] = await deps.sql<{ schema: string }[]>`select current_schema() as schema`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_status_" });
  const config = loadConfig({ DATABASE_URL: url.toString(), PMCOLLECT_DISK_PATH: dir });
  // The disk's use grows 1 MiB a sample, a sample a minute: 1440 MiB a day.
  let used = 0;
  let clock = Date.now();
  const read = () => Promise.resolve({ freeBytes: 700 * MIB - used, totalBytes: 1024 * MIB });
  const notice = new RefreshNotice();
  const feed = createScannerFeed();
  feed.bindResync(() => {});
  const log = silentLogger();
  const root = new AbortController();
  const supervisor = runSupervisor([
    {
      name: "relations",
      run: (signal, context) =>
        runRelationsRefresh({ sql: deps.sql, log, intervalMs: 3_600_000, context, notice }, signal),
    },
    {
      name: "scanner",
      run: (signal, context) =>
        runScanner({ ...deps, config, log, context, feed, registry: notice }, signal),
    },
    {
      name: "disk",
      run: (signal, context) =>
        runDiskGuard({
          config,
          sql: deps.sql,
          shed: createShedState(),
          log,
          context,
          read: () => (used += MIB, read()),
          now: () => clock += 60_000,
          intervalMs: 5,
        }, signal),
    },
  ], { signal: root.signal, log });
  const server = serveHealth(supervisor, { port: 0, signal: root.signal, log });
  const report = (task: string) => supervisor.health().find((t) => t.name === task)!.report;
  const status = async (port: number, database = url.toString()): Promise<string[]> => {
    const lines: string[] = [];
    const code = await runStatusCommand(
      loadConfig({
        DATABASE_URL: database,
        PMCOLLECT_DISK_PATH: dir,
        PMCOLLECT_HEALTH_PORT: String(port),
      }),
      { log, signal: new AbortController().signal, write: (l) => lines.push(...l.split("\n")) },
    );
    assert.equal(code, 0);
    return lines;
  };
  try {
    await until(() => Number(report("scanner").relations ?? 0) > 0, 30_000);
    await until(() => typeof report("disk").growthBytesPerDay === "number", 30_000);
    const lines = await status(server.port);
    const text = lines.join("\n");
    const byStatus = await countRelationsByStatus(deps.sql);
    const relationsLine = lines.find((l) => l.startsWith("relations: "));
    assert.ok(
      relationsLine?.startsWith(
        `relations: ${byStatus.confirmed} confirmed, ${byStatus.incomplete ?? 0} incomplete, ` +
          `${byStatus.proposed ?? 0} proposed, 0 stale, 0 rejected (last refresh: `,
      ),
      text,
    );
    assert.match(relationsLine!, / by the running collector\)$/);
    const held = (await loadScanRelations(deps.sql, { convertFeeBips: null })).relations.length;
    assert.ok(held > 0);
    assert.match(
      text,
      new RegExp(
        `^scanner: holds ${held} relations \\(\\d+ tokens\\), 0 open episodes, per the running ` +
          `collector \\(127\\.0\\.0\\.1:${server.port}\\)$`,
        "m",
      ),
    );
    const disk = lines.find((l) => l.startsWith("disk: ")) ?? "";
    assert.match(
      disk,
      new RegExp(
        `; growth: \\+1\\.4 GiB/day on disk, [-+][\\d.]+ [KMG]?i?B/day in the database, ` +
          `measured by the running collector \\(127\\.0\\.0\\.1:${server.port}\\); ` +
          `days left: \\d+\\.\\d$`,
      ),
    );
    // /metrics: the guard's days left are finite once growth is known.
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    assert.match(metrics, /^pmcollect_disk_days_left\{task="disk"\} \d+(\.\d+)?(e[-+]\d+)?$/m);

    // A collector on another database (another schema here) is not believed.
    const other = await createTestDatabase("server");
    let elsewhere: string[];
    try {
      await migrate(other.sql, { log, timescale: "off" });
      elsewhere = await status(server.port, other.url!);
    } finally {
      await other.dispose();
    }
    assert.ok(
      elsewhere.includes(
        `scanner: not running (no collector on this database (the one on 127.0.0.1:` +
          `${server.port} writes elsewhere)); in the database: 0 confirmed relations to load, ` +
          `0 live episodes not ended`,
      ),
      elsewhere.join("\n"),
    );
    assert.match(elsewhere.join("\n"), /growth: unknown \(no collector on this database/);
  } finally {
    root.abort();
    await Promise.all([supervisor.done, server.done]);
    await Deno.remove(dir, { recursive: true });
  }
});
