import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { createLogger } from "../runtime/log.ts";
import { PgProxy, until } from "./_trades_harness.ts";

Deno.test("openDatabase() waits for a server that is down at start, logging each retry", async () => {
  const proxy = new PgProxy();
  proxy.open();
  await proxy.close(); // keeps the port number, refuses connections
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const controller = new AbortController();
  const opening = openDatabase({
    url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
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
      url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
      dataDir: "",
      poolSize: 1,
    }, { log, signal: controller.signal }),
    /stop waiting/,
  );
});

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
