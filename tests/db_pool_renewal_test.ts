/**
 * The server pool after a database outage (a TCP proxy in front of the real PostgreSQL closed
 * and reopened while eight callers keep querying). Before the renewing pool, postgres.js 3.4.9
 * left connections that buffered every later write for good and held queued queries behind its
 * own 20-second reconnect backoff: the callers came back after 10–40 s, or never.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase } from "../db/client.ts";
import { isDriverWriteRace, isLateConnectError } from "../db/_renewing_pool.ts";
import { silentLogger } from "../runtime/log.ts";
import { testDatabaseUrlVia } from "./_db.ts";
import { PgProxy } from "./_trades_harness.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(90_000);

test("after each of three outages every caller is answered again within 5 s", async () => {
  const proxy = new PgProxy();
  proxy.open();
  const controller = new AbortController();
  const db = await openDatabase(
    {
      url: testDatabaseUrlVia(proxy.port),
      dataDir: "memory://",
      poolSize: 4,
      connectRetryMaxMs: 500,
    },
    { log: silentLogger(), signal: controller.signal },
  );
  const lastAnswer = new Array<number>(8).fill(0);
  let stop = false;
  const caller = async (i: number) => {
    while (!stop) {
      try {
        if (i % 2 === 0) {
          await db.sql.begin(async (tx) => {
            await tx`select pg_sleep(0.03)`;
            await tx`select 1`;
          });
        } else await db.sql`select pg_sleep(0.01)`;
        lastAnswer[i] = performance.now();
      } catch { /* the outage: try again */ }
      await sleep(5 + (i % 4) * 10);
    }
  };
  const callers = lastAnswer.map((_, i) => caller(i));
  try {
    for (let round = 0; round < 3; round++) {
      await sleep(800);
      await proxy.close();
      await sleep(1500);
      proxy.open();
      const up = performance.now();
      while (lastAnswer.some((t) => t < up) && performance.now() - up < 15_000) await sleep(20);
      const waited = Math.round(performance.now() - up);
      assert.ok(waited < 5000, `round ${round}: every caller answered after ${waited} ms`);
    }
  } finally {
    stop = true;
    await proxy.close();
    proxy.open();
    await Promise.all(callers);
    await db.close(1);
    await proxy.close();
  }
});

test("only the driver's write-after-close TypeError is recognised as the race", async () => {
  const race = new TypeError("Cannot read properties of null (reading 'write')");
  race.stack = `${race.message}\n    at Immediate.nextWrite (file:///x/node_modules/.deno/` +
    `postgres@3.4.9/node_modules/postgres/src/connection.js:255:22)`;
  assert.equal(isDriverWriteRace(race), true);
  const ours = new TypeError("Cannot read properties of null (reading 'write')");
  ours.stack = `${ours.message}\n    at flush (file:///x/stream/recorder.ts:10:1)`;
  assert.equal(isDriverWriteRace(ours), false, "the same message from our own code is a bug");
  assert.equal(isDriverWriteRace(new Error("boom")), false);
  await Promise.resolve();
});

test("only a connect error from node:net's connect callback is recognised as a late connect error", async () => {
  const late = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:40727"), {
    code: "ECONNREFUSED",
  });
  late.stack = `Error: ${late.message}\n    at _afterConnectImpl (ext:deno_node/net.ts:1:6347)\n` +
    `    at TCPConnectWrap._afterConnect [as oncomplete] (ext:deno_node/net.ts:1:5642)`;
  assert.equal(isLateConnectError(late), true);
  const ours = new Error("connect ECONNREFUSED 127.0.0.1:40727");
  ours.stack = `Error: ${ours.message}\n    at probe (file:///x/db/_probe.ts:1:1)`;
  assert.equal(isLateConnectError(ours), false, "the same message from our own code is not");
  assert.equal(isLateConnectError(new TypeError("x")), false);
  await Promise.resolve();
});
