/**
 * The disk guard task under the supervisor, against a real PostgreSQL schema, with injected
 * free-space readings: /healthz turns "degraded" (still 200) with the reason, /metrics carries
 * the disk gauges, the shed state follows, and each level change is logged once.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { withDatabase } from "./_db.ts";
import { runDiskGuard } from "../cli/_disk.ts";
import { loadConfig } from "../runtime/config.ts";
import { serveHealth } from "../runtime/health.ts";
import { createLogger } from "../runtime/log.ts";
import { createShedState } from "../runtime/shed.ts";
import { runSupervisor } from "../runtime/supervisor.ts";

const GIB = 2 ** 30;

Deno.test("the disk guard degrades /healthz with the reason and sheds quotes when disk is low", async () => {
  await withDatabase("server", async (db) => {
    const dir = await Deno.makeTempDir({ prefix: "pmcollect_disk_" });
    const config = loadConfig({
      DATABASE_URL: db.url!,
      PMCOLLECT_DISK_PATH: dir,
      PMCOLLECT_DISK_WARN_PCT: "15",
      PMCOLLECT_DISK_SHED_PCT: "5",
    });
    // Free space falls 20 % → 10 % → 4 % on successive readings, then stays.
    const readings = [20, 10, 4];
    const read = () =>
      Promise.resolve({ freeBytes: (readings.shift() ?? 4) * GIB, totalBytes: 100 * GIB });
    const events: Record<string, unknown>[] = [];
    const log = createLogger({}, { write: (line) => events.push(JSON.parse(line)) });
    const shed = createShedState();
    let clock = 0;
    const root = new AbortController();
    const supervisor = runSupervisor([{
      name: "disk",
      run: (signal, context) =>
        runDiskGuard({
          config,
          sql: db.sql,
          shed,
          log,
          context,
          read,
          now: () => clock += 60_000,
          intervalMs: 5,
        }, signal),
    }], { signal: root.signal, log });
    const server = serveHealth(supervisor, { port: 0, signal: root.signal, log });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      let body: { status: string; reasons: string[] } = { status: "", reasons: [] };
      let status = 0;
      for (let i = 0; i < 400 && shed.level !== "shed_quotes"; i++) await delay(5);
      const response = await fetch(`${base}/healthz`);
      status = response.status;
      body = await response.json();
      assert.equal(shed.level, "shed_quotes");
      assert.equal(shed.quotesEnabled(), false);
      assert.equal(status, 200);
      assert.equal(body.status, "degraded");
      assert.equal(body.reasons.length, 1);
      assert.match(
        body.reasons[0]!,
        /^disk: disk 4\.0% free \(4\.0 GiB\)(, .* days left at the current rate)?: quote rows are not written$/,
      );
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^pmcollect_disk_free_bytes\{task="disk"\} 4294967296$/m);
      assert.match(metrics, /^pmcollect_disk_level\{task="disk"\} 2$/m);
      assert.match(metrics, /^pmcollect_degraded 1$/m);
      assert.match(metrics, /^pmcollect_database_bytes\{task="disk"\} [1-9]\d*$/m);
      const changes = events.filter((e) => e.event === "disk_level_changed").map((e) =>
        `${e.from}>${e.to}`
      );
      assert.deepEqual(changes, ["ok>warn", "warn>shed_quotes"]);
    } finally {
      root.abort();
      await Promise.all([supervisor.done, server.done]);
      await Deno.remove(dir, { recursive: true });
    }
  });
});
