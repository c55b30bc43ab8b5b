import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { createLogger } from "../runtime/log.ts";
import { PgProxy, until } from "./_trades_harness.ts";
import { isConcurrentCatalogUpdate, testDatabaseUrlVia, withDatabase } from "./_db.ts";

Deno.test("openDatabase() waits for a server that is down at start, logging each retry", async () => {
  const proxy = new PgProxy();
  proxy.open();
  await proxy.close(); // keeps the port number, refuses connections
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const controller = new AbortController();
  const opening = openDatabase({
    url: testDatabaseUrlVia(proxy.port),
    dataDir: "",
    poolSize: 1,
    connectRetryMaxMs: 300,
  }, { log, signal: controller.signal });
  try {
    await until(() => lines.filter((l) => l.event === "db_unreachable").length >= 2, 10_000);
    const retry = lines.find((l) => l.event === "db_unreachable")!;
    assert.equal(retry.attempt, 1);
    assert.equal(typeof retry.retryInMs, "number");
    assert.match(String(retry.error), /ECONNREFUSED|connect/i);
    proxy.open();
    const db = await opening;
    const [row] = await db.sql`select 42 as answer`;
    assert.equal(row?.answer, 42);
    assert.ok(lines.some((l) => l.event === "db_ready"));
    await db.close();
  } finally {
    controller.abort();
    await opening.catch(() => {});
    await proxy.close();
  }
});

Deno.test("openDatabase() gives up waiting when its signal aborts", async () => {
  const proxy = new PgProxy();
  proxy.open();
  await proxy.close();
  const controller = new AbortController();
  const log = createLogger({}, { write: () => controller.abort(new Error("stop waiting")) });
  await assert.rejects(
    openDatabase({
      url: testDatabaseUrlVia(proxy.port),
      dataDir: "",
      poolSize: 1,
    }, { log, signal: controller.signal }),
    /stop waiting/,
  );
});

Deno.test("the tests' proxy targets and proxied URLs follow TEST_DATABASE_URL", async () => {
  const code = `
    import { TEST_DATABASE_ADDRESS, testDatabaseUrlVia } from "./tests/_db.ts";
    console.log(JSON.stringify({ target: TEST_DATABASE_ADDRESS, via: testDatabaseUrlVia(6000) }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    cwd: new URL("../", import.meta.url),
    env: { TEST_DATABASE_URL: "postgres://u:secret@db.internal:6543/other?sslmode=disable" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    target: { hostname: "db.internal", port: 6543 },
    via: "postgres://u:secret@127.0.0.1:6000/other?sslmode=disable",
  });
});

Deno.test("test teardown retries on a real deadlock and on nothing else", () =>
  withDatabase("server", async (db) => {
    await db.sql`create table pair (id int primary key, n int)`;
    await db.sql`insert into pair values (1, 0), (2, 0)`;
    const [a, b] = [await db.sql.reserve(), await db.sql.reserve()];
    try {
      await a`begin`;
      await b`begin`;
      await a`update pair set n = 1 where id = 1`;
      await b`update pair set n = 1 where id = 2`;
      const results = await Promise.allSettled([
        a`update pair set n = 2 where id = 2`,
        b`update pair set n = 2 where id = 1`,
      ]);
      const errors = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
      assert.equal(errors.length, 1, "the server breaks the deadlock by failing one side");
      assert.equal(isConcurrentCatalogUpdate(errors[0]), true);
      const other = await db.sql`select 1 from no_such_table`.catch((err) => err);
      assert.equal(isConcurrentCatalogUpdate(other), false);
    } finally {
      await a`rollback`.catch(() => {});
      await b`rollback`.catch(() => {});
      a.release();
      b.release();
    }
  }));

Deno.test("openDatabase() stops at an HTTP server on the database port and says what answered", async () => {
  const controller = new AbortController();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    () => new Response("not a database"),
  );
  try {
    const started = Date.now();
    await assert.rejects(
      openDatabase({
        url: `postgres://app:Zq7planted@127.0.0.1:${http.addr.port}/pm`,
        dataDir: "",
        poolSize: 1,
        handshakeTimeoutMs: 500,
      }, { log: createLogger({}, { write: () => {} }), signal: controller.signal }),
      (err: Error) => {
        assert.equal(err.name, "DatabaseHandshakeError");
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${http.addr.port}`));
        assert.match(err.message, /HTTP\/1\.1 400 Bad Request.*not PostgreSQL/);
        assert.equal(err.message.includes("Zq7planted"), false);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000, "a timely answer");
  } finally {
    controller.abort();
    await http.finished;
  }
});

Deno.test("openDatabase() logs a port that accepts but never answers, and keeps waiting", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  const lines: Record<string, unknown>[] = [];
  const controller = new AbortController();
  const opening = openDatabase({
    url: `postgres://postgres@127.0.0.1:${(listener.addr as Deno.NetAddr).port}/test`,
    dataDir: "",
    poolSize: 1,
    handshakeTimeoutMs: 300,
  }, {
    log: createLogger({}, { write: (line) => lines.push(JSON.parse(line)) }),
    signal: controller.signal,
  });
  try {
    await until(() => lines.some((l) => l.event === "db_slow_handshake"), 10_000);
    const line = lines.find((l) => l.event === "db_slow_handshake")!;
    assert.match(String(line.found), /sent nothing back/);
  } finally {
    controller.abort(new Error("stop waiting"));
    await assert.rejects(opening, /stop waiting/);
    listener.close();
    for (const c of held) c.close();
    await accepting;
  }
});
