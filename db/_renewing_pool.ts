/**
 * A postgres.js pool that replaces itself after a connection drops.
 *
 * postgres.js 3.4.9 can leave a pooled connection unusable for good when its socket closes while
 * a small write is still queued for the next tick (`closed()` cancels the queued write but keeps
 * its handle, so every later write on that connection, the startup message of each reconnect
 * included, is buffered and never sent: upstream issues porsager/postgres#1066 and #1154). After
 * a database outage a collector's queries then wait `connect_timeout` each, for ever, and
 * shutdown misses its deadline. The chaos test's 5-second outage hit this about one run in three.
 *
 * The cure here is at the pool, not inside the driver: whenever an open connection closes
 * (postgres.js calls `onclose`; with `max_lifetime: 0` and no idle timeout nothing else closes
 * one), a fresh pool takes every new query and the old one is ended gently (queries already
 * running on it finish or fail as before). The exported `sql` is a stable proxy that always
 * forwards to the current pool, so every holder of it sees the renewal. The pools are made with
 * `backoff: () => 0`: postgres.js's own reconnect backoff grows to 20 s during an outage and held
 * queries that long after the server was back; the callers retry on their own schedules.
 *
 * The same race can also throw from the driver's queued write once the socket is gone
 * ("Cannot read properties of null (reading 'write')" in `nextWrite`), outside any caller's
 * `try`, which would end the process. {@link containDriverRaces} catches exactly that error
 * and logs it; the connection it broke has already closed, so the pool is renewed as above. It
 * also contains a late connect error on a socket the driver already gave up
 * ({@link isLateConnectError}).
 *
 * @example
 * ```ts ignore
 * import { renewingPool } from "./_renewing_pool.ts";
 * const pool = renewingPool((onclose) => postgres(url, { onclose, max_lifetime: 0 }), log);
 * await pool.sql`select 1`;
 * await pool.end({ timeout: 5 });
 * ```
 */
import type postgres from "postgres";
import type { Logger } from "../runtime/log.ts";

type Sql = postgres.Sql;

/** A pool behind a stable `sql` handle. */
export interface RenewingPool {
  /** Forwards every call and property to the current pool. */
  readonly sql: Sql;
  /** Ends the current pool and any still ending. */
  end(options?: { timeout?: number }): Promise<void>;
}

/**
 * How long a replaced pool's running queries get before its connections are closed (s). Short:
 * a query queued on a broken connection would otherwise wait the whole connect timeout.
 */
const RETIRE_TIMEOUT_S = 2;
/** At most one renewal per this many ms: an outage closes every connection at once. */
const MIN_RENEWAL_GAP_MS = 1000;
/** At most one `db_pool_renewed` line per this many ms (an outage renews every second). */
const LOG_EVERY_MS = 60_000;

/** Builds a pool with `make` and renews it whenever one of its connections closes. */
export function renewingPool(
  make: (onclose: (connectionId: number) => void) => Sql,
  log: Logger,
): RenewingPool {
  let ending = false;
  let generation = 0;
  let lastRenewal = -Infinity;
  let lastLog = -Infinity;
  let unlogged = 0;
  const retiring = new Set<Promise<void>>();
  let current: Sql;

  const build = (): Sql => {
    generation++;
    const mine = generation;
    return make(() => {
      if (!ending && mine === generation) renew(mine);
    });
  };
  const renew = (closedGeneration: number) => {
    const now = performance.now();
    if (now - lastRenewal < MIN_RENEWAL_GAP_MS) {
      // Still renew once the gap has passed: the closes that follow may be all there is.
      Deno.unrefTimer(setTimeout(() => {
        if (!ending && closedGeneration === generation) renew(closedGeneration);
      }, MIN_RENEWAL_GAP_MS));
      return;
    }
    lastRenewal = now;
    const old = current;
    current = build();
    unlogged++;
    if (now - lastLog >= LOG_EVERY_MS) {
      log.info("db_pool_renewed", { generation, renewals: unlogged, reason: "connection_closed" });
      lastLog = now;
      unlogged = 0;
    }
    const done = old.end({ timeout: RETIRE_TIMEOUT_S }).catch(() => {});
    retiring.add(done);
    done.finally(() => retiring.delete(done));
  };
  current = build();

  const sql = new Proxy(current, {
    apply: (_target, thisArg, args) => Reflect.apply(current, thisArg, args),
    get: (_target, prop) => {
      if (prop === "end") return pool.end;
      const value = Reflect.get(current, prop);
      // Methods run against the current pool; classes (PostgresError…) stay as they are.
      return typeof value === "function" && !/^[A-Z]/.test(String(prop))
        ? value.bind(current)
        : value;
    },
  }) as Sql;

  const pool: RenewingPool = {
    sql,
    end: async (options) => {
      ending = true;
      await Promise.all([current.end(options), ...retiring]);
    },
  };
  return pool;
}

let contained = 0;

/**
 * Installs (once) the handlers for the driver's two races: the write-after-close TypeError (see
 * the module doc) and a late connect error ({@link isLateConnectError}).
 */
export function containDriverRaces(log: Logger): void {
  if (installed) return;
  installed = true;
  const contain = (event: Event, error: unknown) => {
    event.preventDefault();
    contained++;
    log.warn("db_driver_error_contained", { count: contained, error: String(error) });
  };
  globalThis.addEventListener("error", (event) => {
    if (isDriverWriteRace(event.error)) contain(event, event.error);
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (isLateConnectError(event.reason)) contain(event, event.reason);
  });
}
let installed = false;

/**
 * A connect error that Deno's `node:net` emits on a socket postgres.js has already given up:
 * when the connect timeout fires first (a loaded machine, a database away), postgres.js fails
 * the connection, destroys the socket and removes its listeners, and the refused or failed TCP
 * connect that completes afterwards is emitted to no listener, which rejects an internal
 * promise and would end the process (reproduced in 4 of 8 runs of the pool-renewal test with
 * both cores busy). The connection it belonged to has already failed its queries.
 */
export function isLateConnectError(error: unknown): boolean {
  return error instanceof Error && /^connect E[A-Z]+ /.test(error.message) &&
    /_afterConnect[^\n]*ext:deno_node\/net\.ts/.test(error.stack ?? "");
}

/** The TypeError postgres.js throws from `nextWrite` on a connection whose socket is gone. */
export function isDriverWriteRace(error: unknown): boolean {
  return error instanceof TypeError &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    /nextWrite[^\n]*postgres/.test(error.stack ?? "");
}
