/**
 * Test harness for the trades collector: a simulator, a fresh schema on the real PostgreSQL,
 * a config pointing at both, and a TCP proxy in front of PostgreSQL that a test can close
 * (every connection dropped, new ones refused) and reopen to simulate a database outage.
 */
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { migrate } from "../db/migrate.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import { runTradesCollector, type TradesCollectorDeps } from "../collectors/trades.ts";
import type { WsPool } from "../collectors/_ws_pool.ts";
import type { TradeQueue } from "../collectors/_trade_queue.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import type { HttpClient } from "../polymarket/http.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "./_db.ts";

/** Where TEST_DATABASE_URL's server listens (default 127.0.0.1:5432). */
const UPSTREAM = (() => {
  const url = new URL(TEST_DATABASE_URL);
  return {
    hostname: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: Number(url.port || 5432),
  };
})();

/** A TCP proxy to TEST_DATABASE_URL's server that can be closed and reopened on one port. */
export class PgProxy {
  port = 0;
  #listener: Deno.Listener | null = null;
  #conns = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();

  open(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    const listener = this.#listener;
    this.#track((async () => {
      try {
        for await (const client of listener) this.#pipe(client);
      } catch { /* closed */ }
    })());
  }

  /** Drops every connection and refuses new ones. */
  async close(): Promise<void> {
    this.#listener?.close();
    this.#listener = null;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    this.#conns.clear();
    await Promise.allSettled([...this.#tasks]);
  }

  #pipe(client: Deno.Conn): void {
    this.#conns.add(client);
    this.#track((async () => {
      let server: Deno.Conn | null = null;
      try {
        server = await Deno.connect(UPSTREAM);
        this.#conns.add(server);
        await Promise.all([
          client.readable.pipeTo(server.writable).catch(() => {}),
          server.readable.pipeTo(client.writable).catch(() => {}),
        ]);
      } catch { /* dropped */ }
      for (const c of [client, server]) {
        if (c === null || !this.#conns.delete(c)) continue;
        try {
          c.close();
        } catch { /* already closed */ }
      }
    })());
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }
}

export interface RunningCollector {
  pool: WsPool;
  queue: TradeQueue;
  stop(): Promise<void>;
}

/** Starts the collector; resolves once its pool exists. */
export async function startCollector(
  deps: TradesCollectorDeps,
): Promise<RunningCollector> {
  const controller = new AbortController();
  let parts: { pool: WsPool; queue: TradeQueue } | null = null;
  const done = runTradesCollector(
    { ...deps, onPool: (pool, queue) => (parts = { pool, queue }) },
    controller.signal,
  )
    .catch((err) => {
      if (!controller.signal.aborted) throw err;
    });
  while (parts === null) await sleep(5);
  const p = parts as { pool: WsPool; queue: TradeQueue };
  return { ...p, stop: async () => (controller.abort(), await done) };
}

/** Fresh schema + migrations; a config for the trades collector with `env` overrides. */
export async function setup(env: Record<string, string>) {
  const db = await createTestDatabase("server");
  await migrate(db.sql, { log: silentLogger(), timescale: "off" });
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_trades_" });
  const config = loadConfig({
    PMCOLLECT_DATA_DIR: dataDir,
    PMCOLLECT_WS_CONNECT_STAGGER_MS: "0",
    PMCOLLECT_FLUSH_MS: "50",
    ...env,
  });
  const activeTokens = createActiveTokens();
  const deps = (sql: postgres.Sql): TradesCollectorDeps => ({
    config,
    sql,
    http: null as unknown as HttpClient,
    log: silentLogger(),
    activeTokens,
    now: Date.now,
    readyWaitMs: 2000,
  });
  return {
    db,
    dataDir,
    config,
    activeTokens,
    deps,
    dispose: async () => {
      await db.dispose();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `ms` passes; returns the elapsed ms. */
export async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

/** Active-token entries for the first `n` simulator markets (both outcomes). */
export function tokensOf(
  markets: readonly { tokenIds: readonly string[]; conditionId: string; id: string }[],
) {
  return markets.flatMap((m) =>
    m.tokenIds.map((tokenId) => ({ tokenId, conditionId: m.conditionId, marketId: m.id }))
  );
}
