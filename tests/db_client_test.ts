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
