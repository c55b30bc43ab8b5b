/**
 * The default install serves its embedded database to the user's other commands: beside a
 * running collector on PGlite, `status`, `book`, `relations`, `edge` and `export` succeed by
 * joining the address the collector published in its lock file, and the collector logs no
 * write failure and loses no trade. Also the session server's two guarantees on their own:
 * clients' extended-protocol sequences are never interleaved (v0.2's `portal "" does not
 * exist`), and a client that keeps a transaction open cannot hold the collector's writes.
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import postgres from "postgres";
import { openDatabase } from "../db/client.ts";
import { readDataDirHolder } from "../db/_data_dir_lock.ts";
import { startEmbedded } from "../db/_embedded.ts";
import { silentLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";
import {
  countRows,
  daemonEnv,
  freePort,
  spawnDaemon,
  storedTrades,
  until,
} from "./_e2e_harness.ts";
import { testWithin } from "./_time_limit.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_serve_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("embedded: status, book, relations, edge and export work beside a running collector, which loses nothing", () =>
  withDataDir(async (dataDir) => {
    const sim = await startSimulator({ markets: 6, seed: 27, lifecycleRate: 0 });
    const env = daemonEnv({ databaseUrl: "", sim, dataDir, healthPort: freePort() });
    const daemon = spawnDaemon(env);
    const context = { log: silentLogger(), signal: new AbortController().signal };
    try {
      await daemon.waitFor((e) => e.event === "collecting", 90_000);
      const holder = await readDataDirHolder(dataDir);
      assert.equal(holder?.pid, daemon.pid, "the lock file names the collector");
      assert.ok(holder?.address !== undefined, "and the address it serves at");
      const { mode } = await Deno.stat(`${dataDir}/pmcollect.lock`);
      assert.equal(mode! & 0o077, 0, "the lock file (it holds the password) is its owner's only");

      const client = await openDatabase({ url: undefined, dataDir, joinRunning: true }, context);
      let token: string;
      let eventId: string;
      try {
        await until(async () => (await countRows(client.sql, "trades")) > 0, 20_000);
        // Books come on their own 5-minute-aligned cycle: the first may follow the first trade.
        await until(async () => (await countRows(client.sql, "book_snapshots")) > 0, 30_000);
        const [row] = await client.sql<{ token_id: string }[]>`
          select token_id from book_snapshots limit 1`;
        token = row!.token_id;
        const [event] = await client.sql<{ event_id: string }[]>`
          select event_id from markets where event_id is not null limit 1`;
        eventId = event!.event_id;
      } finally {
        await client.close();
      }

      const out = await Deno.makeTempDir({ prefix: "pmcollect_serve_out_" });
      const commands = [
        ["status"],
        ["book", token, "--json"],
        ["relations", "--json"],
        ["edge", "--event", eventId, "--json"],
        ["export", "--out", out],
      ];
      try {
        // Two at a time beside the collector: they share its one session with it and each other.
        for (let i = 0; i < commands.length; i += 2) {
          const runs = commands.slice(i, i + 2).map(async (args) => {
            const r = await new Deno.Command(Deno.execPath(), {
              args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, ...args],
              env: { ...env, PMCOLLECT_HEALTH_PORT: "0" },
              stdin: "null",
              stdout: "piped",
              stderr: "piped",
            }).output();
            return { args, code: r.code, stderr: new TextDecoder().decode(r.stderr) };
          });
          for (const r of await Promise.all(runs)) {
            assert.equal(
              r.code,
              0,
              `${r.args.join(" ")} exited ${r.code}: ${r.stderr.slice(-1500)}`,
            );
            assert.doesNotMatch(r.stderr, /in use by process/, r.args[0]);
          }
        }
      } finally {
        await Deno.remove(out, { recursive: true });
      }

      // Quiesce the venue and stop the collector; every streamed trade must be stored once.
      sim.control.pause();
      const sent = sim.control.sentTrades();
      const check = await openDatabase({ url: undefined, dataDir, joinRunning: true }, context);
      try {
        await until(async () => (await countRows(check.sql, "trades")) >= sent, 15_000);
      } finally {
        await check.close();
      }
      const stopped = await daemon.stop("SIGTERM");
      assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
      for (const bad of ["stream_write_failed", "trades_db_down", "task_crashed"]) {
        const seen = daemon.events.filter((e) => e.event === bad);
        assert.equal(seen.length, 0, `${bad}: ${JSON.stringify(seen.slice(0, 3))}`);
      }
      const served = daemon.events.find((e) => e.event === "embedded_clients");
      assert.ok(served !== undefined && Number(served.clientEpisodes) > 0, "clients were served");
      assert.equal(served.preempted, 0, "no command was cut short");

      const after = await openDatabase({ url: undefined, dataDir }, context);
      try {
        const rows = await storedTrades(after.sql);
        assert.equal(rows.length, sent, "stored trades = trades the simulator streamed");
        assert.equal(new Set(rows.map((r) => r.tx_hash)).size, rows.length, "no trade twice");
      } finally {
        await after.close();
      }
    } finally {
      await daemon.stop("SIGKILL").catch(() => {});
      await sim.close();
    }
  }));

// A session server that loses a wake-up waits for ever: fail the test instead of the run.
const test = testWithin(60_000);

test("startEmbedded(): clients' parameterised queries and transactions never interleave with each other or the owner", async () => {
  const embedded = await startEmbedded("memory://");
  const own = postgres({ ...embedded.connection, max: 1, onnotice: () => {} });
  const clients = [1, 2].map(() =>
    postgres({ ...embedded.shared, max: 1, prepare: false, onnotice: () => {} })
  );
  try {
    await own`create table t (id int primary key, v text)`;
    const writes = (async () => {
      for (let i = 0; i < 200; i++) await own`insert into t values (${i}, ${"v" + i})`;
    })();
    const reads = clients.map((sql, k) =>
      (async () => {
        for (let i = 0; i < 60; i++) {
          const [n] = await sql.begin(async (tx) => {
            await tx`select count(*) from t where id >= ${i}`;
            return await tx<{ k: number }[]>`select ${k}::int as k`;
          });
          assert.equal(n?.k, k, "each client gets its own answers");
          await sql`select v from t where id = ${i}`;
        }
      })()
    );
    await Promise.all([writes, ...reads]);
    const [row] = await own<{ n: number }[]>`select count(*)::int as n from t`;
    assert.equal(row?.n, 200, "every write of the owner is stored");
    assert.ok(embedded.stats().clientEpisodes >= 240, JSON.stringify(embedded.stats()));
  } finally {
    await Promise.all([own.end(), ...clients.map((c) => c.end())]);
    await embedded.stop();
  }
});

test("startEmbedded(): a client holding a transaction open is cut off when the owner needs the session", async () => {
  const events: string[] = [];
  const embedded = await startEmbedded("memory://", {
    maxClientHoldMs: 200,
    onEvent: (event) => events.push(event),
  });
  const own = postgres({ ...embedded.connection, max: 1, onnotice: () => {} });
  const client = postgres({ ...embedded.shared, max: 1, prepare: false, onnotice: () => {} });
  try {
    await own`create table t (id int primary key)`;
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => opened = r);
    const transaction = client.begin(async (tx) => {
      await tx`insert into t values (1)`;
      opened();
      await held; // the client idles inside its transaction, as export does between batches
      await tx`select 1`;
    });
    transaction.catch(() => {});
    await isOpen;
    await own`insert into t values (2)`; // would wait for ever without the bound
    release();
    await assert.rejects(transaction, (err: Error & { code?: string }) => {
      assert.ok(err.code === "57014" || /canceled|CONNECTION/i.test(err.message), err.message);
      return true;
    });
    const ids = (await own<{ id: number }[]>`select id from t order by id`).map((r) => r.id);
    assert.deepEqual(ids, [2], "the client's transaction was rolled back, the owner's write kept");
    assert.equal(embedded.stats().preempted, 1);
    assert.deepEqual(events, ["embedded_client_preempted"]);
  } finally {
    // The cut-off client's pool does not settle its end on its own: bound it.
    await Promise.all([own.end(), client.end({ timeout: 1 })]);
    await embedded.stop();
  }
});
