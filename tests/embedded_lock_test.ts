/**
 * One process per embedded data directory: a second daemon beside a running one stops at once
 * with a message naming the directory and the process holding it, instead of opening the same
 * PGlite files twice (which corrupted them in v0.1). Other commands join the running daemon's
 * database instead (tests/embedded_serve_test.ts).
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { openDatabase } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";
import { daemonEnv, freePort, spawnDaemon } from "./_e2e_harness.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_lock_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openDatabase() embedded: a second open of one data directory is refused until the first closes", () =>
  withDataDir(async (dataDir) => {
    const context = { log: silentLogger(), signal: new AbortController().signal };
    const first = await openDatabase({ url: undefined, dataDir }, context);
    try {
      await assert.rejects(
        openDatabase({ url: undefined, dataDir }, context),
        (err: Error) => {
          assert.equal(err.name, "DataDirLockedError");
          assert.ok(err.message.includes(dataDir), err.message);
          assert.match(err.message, new RegExp(`process ${Deno.pid}\\b`));
          return true;
        },
      );
      await first.sql`create table kept (id int primary key)`;
    } finally {
      await first.close();
    }
    const again = await openDatabase({ url: undefined, dataDir }, context);
    try {
      const [row] = await again.sql<{ n: number }[]>`select count(*)::int as n from kept`;
      assert.equal(row?.n, 0, "the table the first process made is there");
    } finally {
      await again.close();
    }
  }));

Deno.test("embedded: a second daemon beside a running daemon exits at once, naming the holder", () =>
  withDataDir(async (dataDir) => {
    const sim = await startSimulator({ markets: 5, seed: 41, lifecycleRate: 0 });
    const env = daemonEnv({ databaseUrl: "", sim, dataDir, healthPort: freePort() });
    const first = spawnDaemon({ ...env, PMCOLLECT_COLLECTORS: "markets" });
    try {
      await first.waitFor((e) => e.event === "collecting", 90_000);
      for (const command of ["run"]) {
        const started = Date.now();
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, command],
          env: { ...env, PMCOLLECT_HEALTH_PORT: "0" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 1, `${command}: ${stderr}`);
        assert.ok(Date.now() - started < 15_000, `${command} exited at once`);
        assert.ok(stderr.includes(dataDir), `${command} names the directory: ${stderr}`);
        assert.match(stderr, new RegExp(`in use by process ${first.pid} \\(`), command);
      }
      const health = await first.get("/healthz");
      assert.equal(health.status, 200, "the running daemon is untouched");
      const stopped = await first.stop("SIGTERM");
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      await first.stop("SIGKILL").catch(() => {});
      await sim.close();
    }
  }));

Deno.test("openDatabase() embedded: an unusable data directory is named with the cause", () =>
  withDataDir(async (dataDir) => {
    const context = { log: silentLogger(), signal: new AbortController().signal };
    // A damaged database: PGlite alone only says it "failed to initialize properly".
    await Deno.mkdir(`${dataDir}/pglite`);
    await Deno.writeTextFile(`${dataDir}/pglite/PG_VERSION`, "garbage\n");
    await assert.rejects(
      openDatabase({ url: undefined, dataDir }, context),
      (err: Error) => {
        assert.match(err.message, /^Cannot open the embedded database in /);
        assert.ok(err.message.includes(`${dataDir}/pglite`), err.message);
        assert.match(err.message, /failed to initialize/);
        return true;
      },
    );
    // The lock was released with the failure: once the directory is fixed it opens.
    await Deno.remove(`${dataDir}/pglite`, { recursive: true });
    const db = await openDatabase({ url: undefined, dataDir }, context);
    await db.close();
  }));
