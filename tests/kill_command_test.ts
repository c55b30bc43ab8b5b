/**
 * `pmcollect kill` and `pmcollect resume --reason` against the real PostgreSQL (own schema): the
 * halt is stored whether or not a process answers on the health port; a process that does is
 * asked to cancel (POST /kill) and the command prints what it did.
 */
import assert from "node:assert/strict";
import { runKillCommand } from "../cli/kill_command.ts";
import { runResumeCommand } from "../cli/ledger_command.ts";
import { parseCommandLine } from "../cli/command_line.ts";
import { migrate } from "../db/migrate.ts";
import { tradingState } from "../execution/trading_state.ts";
import { loadConfig } from "../runtime/config.ts";
import { serveHealth } from "../runtime/health.ts";
import { silentLogger } from "../runtime/log.ts";
import { createMetrics } from "../runtime/_metrics.ts";
import { withDatabase } from "./_db.ts";

const log = silentLogger();

async function run(
  command: typeof runKillCommand,
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const cl = parseCommandLine(argv);
  const code = await command(loadConfig(env), {
    log,
    signal: new AbortController().signal,
    write: (l) => lines.push(l),
    args: cl.args,
  });
  return { code, lines };
}

/** A free loopback port: bound, then released. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("pmcollect kill stores the halt, asks the running process to cancel, and resume --reason clears it", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log, timescale: "off" });
    const kills: { reason: string; by: string }[] = [];
    const controller = new AbortController();
    const server = serveHealth({ health: () => [], metrics: createMetrics() }, {
      port: 0,
      signal: controller.signal,
      log,
      kill: (request) => {
        kills.push(request);
        return Promise.resolve({ canceled: 3, notCanceled: 1, cancelError: null, persisted: true });
      },
    });
    try {
      const env = { DATABASE_URL: db.url!, PMCOLLECT_HEALTH_PORT: String(server.port) };
      const killed = await run(
        runKillCommand,
        ["kill", "--reason", "stale-books", "--by", "alice"],
        env,
      );
      assert.equal(killed.code, 0);
      assert.match(killed.lines[0]!, /^trading halted since \S+: stale-books$/);
      assert.equal(killed.lines[1], "the running process canceled 3 open orders (1 not canceled)");
      assert.deepEqual(kills, [{ reason: "stale-books", by: "alice" }]);
      const state = await tradingState(db.sql);
      assert.equal(state.mode, "halted");
      assert.equal(state.updatedBy, "alice");

      // No process on the port: the halt is stored all the same, and the command says so.
      const nobody = await run(runKillCommand, ["kill"], {
        DATABASE_URL: db.url!,
        PMCOLLECT_HEALTH_PORT: String(freePort()),
      });
      assert.equal(nobody.code, 0);
      assert.match(nobody.lines[1]!, /^no process answered on 127\.0\.0\.1:\d+ .*within 250 ms/);
      // The first reason stays.
      assert.equal((await tradingState(db.sql)).reason, "stale-books");

      const resumed = await run(
        runResumeCommand,
        ["resume", "--by", "bob", "--reason", "checked"],
        env,
      );
      assert.equal(resumed.code, 0);
      assert.match(resumed.lines[0]!, /trading resumed by bob \(halted since .*: stale-books\)/);
      const changes = await db.sql`
        select mode, reason, changed_by from trading_state_changes order by id`;
      assert.deepEqual(changes.map((c) => [c.mode, c.reason, c.changed_by]), [
        ["halted", "stale-books", "alice"],
        ["active", "checked", "bob"],
      ]);
      assert.equal((await run(runKillCommand, ["kill", "--reason", ""], env)).code, 2);
    } finally {
      controller.abort();
      await server.done;
    }
  });
});
