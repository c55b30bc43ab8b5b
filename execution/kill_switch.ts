/**
 * The kill switch (issue 30; docs/execution.md, "Risk limits and the kill switch"): stops every
 * new order, cancels every open one, and keeps trading halted across restarts until a person
 * runs `pmcollect resume`.
 *
 * A kill, from whichever door, does three things in this order:
 * 1. the risk engine's mode goes to halted in memory, synchronously: from this instant no order
 *    is admitted (execution/risk.ts);
 * 2. once any poll in progress is over (one database read: kills and polls take turns, so a
 *    poll never reads the state from before a kill and undoes it), side by side, the halt is
 *    written to `trading_state` (so `recordIntent` refuses
 *    every intent, in this process and any other, now and after a restart) and the broker is
 *    asked to `cancelAll`, bounded by `CANCEL_TIMEOUT_MS` (a broker that does not answer does
 *    not hold the halt up);
 * 3. while halted, the task sweeps the broker's open orders every `SWEEP_MS` and cancels what
 *    it finds (an order in flight when the kill came may reach the broker after the cancel).
 *
 * The doors: `kill()` (the executor's automatic kills: a limit breach, a reconciliation
 * difference, stale data, a broker that stops answering; `POST /kill` on the health port
 * calls it too), a file named `KILL` in the data directory (its text is the reason; removed
 * once the halt is stored), and the `trading_state` row itself: a halt written by another
 * process (`pmcollect kill`, a reconciliation) is seen at the next poll and enforced the same
 * way. A resume written by a person is seen the same way and lets the engine trade again.
 *
 * `run` is the supervised task: it polls every `intervalMs` (default 250 ms), kills on stale
 * data (`stale()`, the executor's judgement) and on a broker that misses three probes in a row
 * (`openOrders` every 5 s, 2 s each), enforces the risk engine's breaches (`assess`: a daily loss beyond the limit kills; an exposure beyond a limit
 * moves to reducing), and reports the mode to `/healthz` (degraded, with the reason) and
 * `/metrics` (`pmcollect_trading_mode{task}` 0 active, 1 reducing, 2 halted).
 *
 * @example
 * ```ts ignore
 * import { createKillSwitch, RISK_TASK } from "./kill_switch.ts";
 * const killSwitch = createKillSwitch({ sql, broker, risk, log, dataDir: config.dataDir });
 * tasks.push({ name: RISK_TASK, run: killSwitch.run });
 * await killSwitch.kill({ reason: "broker stopped answering", by: "executor" });
 * ```
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import { formatDec } from "../edge/decimal.ts";
import type { Logger } from "../runtime/log.ts";
import type { TaskContext } from "../runtime/supervisor.ts";
import type { Broker } from "./broker.ts";
import type { RiskBreach, RiskEngine, TradingMode } from "./risk.ts";
import { haltTrading, reduceTrading, tradingState } from "./trading_state.ts";

/** The supervised task's name (its report is what `/healthz` and `status` show). */
export const RISK_TASK = "risk";
/** The file whose appearance in the data directory kills. */
export const KILL_FILE = "KILL";
/** A KILL file found empty is read again after this long (it may be being written). */
const EMPTY_FILE_REREAD_MS = 50;
/** Longest wait for the broker's cancel-all before the kill reports it as failed. */
export const CANCEL_TIMEOUT_MS = 5_000;
/** How often open orders are looked for and canceled while halted. */
export const SWEEP_MS = 5_000;
/** How often the broker is probed (`openOrders`), how long it has, and how many misses kill. */
export const PROBE_MS = 5_000;
export const PROBE_TIMEOUT_MS = 2_000;
export const PROBE_MISSES_TO_KILL = 3;

export interface KillSwitchDeps {
  readonly sql: Sql;
  readonly broker: Broker;
  readonly risk: RiskEngine;
  readonly log: Logger;
  /** Where `KILL` is looked for; null: no file door. */
  readonly dataDir: string | null;
  /**
   * Why the data the executor trades on is stale (its books' feed silent too long…), or null
   * while it is fresh; asked at every poll, a reason kills.
   */
  readonly stale?: () => string | null;
  readonly now?: () => number;
}

/** What a kill did. */
export interface KillOutcome {
  /** Orders the broker canceled. */
  readonly canceled: number;
  /** Orders the broker did not cancel (already matched…), and the broker's error if any. */
  readonly notCanceled: number;
  readonly cancelError: string | null;
  /** The halt is in `trading_state` (false when the database could not be written). */
  readonly persisted: boolean;
  readonly durationMs: number;
}

export interface KillSwitch {
  /** Halts, cancels every open order, persists the halt. Never throws. */
  kill(options: { readonly reason: string; readonly by: string }): Promise<KillOutcome>;
  /** Acts on breaches found by `risk.assess`: the worst one wins. */
  enforce(breaches: readonly RiskBreach[], by?: string): Promise<void>;
  /** The supervised task (see the module header). */
  run(signal: AbortSignal, context?: TaskContext): Promise<void>;
}

const MODE_GAUGE: Record<TradingMode, number> = { active: 0, reducing: 1, halted: 2 };

export function createKillSwitch(
  deps: KillSwitchDeps,
  options: {
    readonly intervalMs?: number;
    /** How often the broker is asked for its open orders to see that it answers. */
    readonly probeMs?: number;
    readonly probeTimeoutMs?: number;
    /** Bound on a cancel (default `CANCEL_TIMEOUT_MS`). */
    readonly cancelTimeoutMs?: number;
  } = {},
): KillSwitch {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ component: "kill_switch" });
  const intervalMs = options.intervalMs ?? 250;
  const probeMs = options.probeMs ?? PROBE_MS;
  const probeTimeoutMs = options.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const cancelTimeoutMs = options.cancelTimeoutMs ?? CANCEL_TIMEOUT_MS;
  let lastProbe = now();
  let probeFailures = 0;
  /** A halt made in memory whose write to the database failed: retried every poll. */
  let unpersisted: { reason: string; by: string } | null = null;
  /** The same for a move to reducing. */
  let unpersistedReduce: { reason: string; by: string } | null = null;
  let lastSweep = 0;
  /**
   * The mode memory and `trading_state` last agreed on. A stored mode below memory's is a
   * person's resume only when memory has not moved since they agreed: otherwise it is this
   * process's own halt whose write has not landed yet, and memory stays.
   */
  let agreed: TradingMode | null = null;
  /** Kills, breaches and polls run one at a time (a poll's read never races a kill's write). */
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  }

  async function cancelEverything(): Promise<
    Pick<KillOutcome, "canceled" | "notCanceled" | "cancelError">
  > {
    try {
      const result = await deps.broker.cancelAll(AbortSignal.timeout(cancelTimeoutMs));
      lastSweep = now();
      return {
        canceled: result.canceled.length,
        notCanceled: Object.keys(result.notCanceled).length,
        cancelError: null,
      };
    } catch (err) {
      return { canceled: 0, notCanceled: 0, cancelError: errorText(err) };
    }
  }

  /** Halts in memory at once (synchronously), then stores the halt and cancels, in turn. */
  function kill(o: { readonly reason: string; readonly by: string }): Promise<KillOutcome> {
    const started = now();
    if (deps.risk.mode !== "halted") deps.risk.setMode("halted", o.reason);
    return exclusive(() => storeAndCancel(o, started));
  }

  async function storeAndCancel(
    o: { readonly reason: string; readonly by: string },
    started: number,
  ): Promise<KillOutcome> {
    if (deps.risk.mode !== "halted") deps.risk.setMode("halted", o.reason);
    const [stored, cancel] = await Promise.all([
      haltTrading(deps.sql, o).then(() => null, (err) => errorText(err)),
      cancelEverything(),
    ]);
    unpersisted = stored === null ? null : o;
    if (stored === null) agreed = "halted";
    const outcome: KillOutcome = {
      ...cancel,
      persisted: stored === null,
      durationMs: now() - started,
    };
    log.error("trading_killed", { reason: o.reason, by: o.by, ...outcome, storeError: stored });
    return outcome;
  }

  function enforce(breaches: readonly RiskBreach[], by = "risk"): Promise<void> {
    return exclusive(() => enforceNow(breaches, by));
  }

  async function enforceNow(breaches: readonly RiskBreach[], by = "risk"): Promise<void> {
    const halt = breaches.find((b) => b.mode === "halted");
    if (halt !== undefined) {
      if (deps.risk.mode !== "halted") {
        await storeAndCancel({ reason: `${halt.limit}: ${halt.reason}`, by }, now());
      }
      return;
    }
    const reduce = breaches[0];
    if (reduce === undefined || deps.risk.mode !== "active") return;
    const reason = `${reduce.limit}: ${reduce.reason}`;
    deps.risk.setMode("reducing", reason);
    log.warn("trading_reducing", { reason, by, breaches: breaches.length });
    try {
      await reduceTrading(deps.sql, { reason, by });
      agreed = "reducing";
    } catch (err) {
      unpersistedReduce = { reason, by };
      log.warn("trading_state_write_failed", { mode: "reducing", error: errorText(err) });
    }
  }

  /** Reads the KILL file; kills and removes it when present. */
  async function checkFile(): Promise<void> {
    if (deps.dataDir === null) return;
    const path = join(deps.dataDir, KILL_FILE);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
      // Found empty, it may be mid-write (`echo reason > KILL` creates, then writes): read it
      // once more a moment later, so the reason written is the one stored. `touch KILL` still
      // kills, as "KILL file", that moment later.
      if (text.trim() === "") {
        await new Promise((resolve) => setTimeout(resolve, EMPTY_FILE_REREAD_MS));
        text = await Deno.readTextFile(path);
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    const outcome = await storeAndCancel(
      { reason: text.trim() || "KILL file", by: "kill file" },
      now(),
    );
    if (outcome.persisted) await Deno.remove(path).catch(() => undefined);
  }

  /** Follows a mode another process (or a person) wrote; sweeps open orders while halted. */
  async function follow(): Promise<void> {
    if (unpersistedReduce !== null && deps.risk.mode === "reducing") {
      await reduceTrading(deps.sql, unpersistedReduce);
      agreed = "reducing";
    }
    unpersistedReduce = null;
    if (unpersisted !== null) {
      await haltTrading(deps.sql, unpersisted);
      unpersisted = null;
      agreed = "halted";
    }
    const stored = await tradingState(deps.sql);
    const mine = deps.risk.mode;
    if (stored.mode !== mine) {
      const lower = MODE_GAUGE[stored.mode] < MODE_GAUGE[mine];
      if (lower && agreed !== mine) return;
      deps.risk.setMode(stored.mode, stored.reason);
      agreed = stored.mode;
      log.warn("trading_mode_followed", { from: mine, to: stored.mode, reason: stored.reason });
      if (stored.mode === "halted") {
        const cancel = await cancelEverything();
        log.error("trading_killed", { reason: stored.reason, by: stored.updatedBy, ...cancel });
      }
      return;
    }
    agreed = mine;
    if (mine === "halted" && now() - lastSweep >= SWEEP_MS) {
      lastSweep = now();
      const open = await deps.broker.openOrders(AbortSignal.timeout(cancelTimeoutMs));
      if (open.length > 0) {
        const result = await deps.broker.cancel(open.map((o) => o.orderId));
        log.warn("halt_sweep_canceled", { canceled: result.canceled.length, found: open.length });
      }
    }
  }

  /** Stale data, or a broker that missed `PROBE_MISSES_TO_KILL` probes in a row, kills. */
  async function watchInputs(): Promise<void> {
    const stale = deps.stale?.() ?? null;
    if (stale !== null) {
      await kill({ reason: `stale data: ${stale}`, by: "kill switch" });
      return;
    }
    if (now() - lastProbe < probeMs) return;
    lastProbe = now();
    try {
      await deps.broker.openOrders(AbortSignal.timeout(probeTimeoutMs));
      probeFailures = 0;
    } catch (err) {
      probeFailures++;
      log.warn("broker_probe_failed", { misses: probeFailures, error: errorText(err) });
      if (probeFailures >= PROBE_MISSES_TO_KILL) {
        probeFailures = 0;
        await kill({
          reason: `broker stopped answering: ${PROBE_MISSES_TO_KILL} probes missed (${
            errorText(err)
          })`,
          by: "kill switch",
        });
      }
    }
  }

  async function run(signal: AbortSignal, context?: TaskContext): Promise<void> {
    let refused: Record<string, number> = {};
    while (!signal.aborted) {
      try {
        await exclusive(async () => {
          await checkFile();
          await follow();
          await enforceNow(deps.risk.assess(now()));
        });
      } catch (err) {
        log.warn("kill_switch_poll_failed", { error: errorText(err) });
      }
      // Outside the turn-taking: a slow probe must not hold a kill up.
      if (deps.risk.mode !== "halted") await watchInputs();
      const snap = deps.risk.snapshot(now());
      context?.report({
        tradingMode: snap.mode,
        tradingReason: snap.modeReason,
        openOrders: snap.openOrders,
        exposure: formatDec(snap.totalNotional),
        dailyPnl: formatDec(snap.dailyPnl),
        degraded: snap.mode === "active" ? null : `trading ${snap.mode}: ${snap.modeReason}`,
        lastSuccessAt: now(),
      });
      context?.gauge("trading_mode", MODE_GAUGE[snap.mode]);
      context?.gauge("risk_open_orders", snap.openOrders);
      context?.gauge("risk_exposure", Number(formatDec(snap.totalNotional)));
      context?.gauge("risk_daily_pnl", Number(formatDec(snap.dailyPnl)));
      for (const [limit, n] of Object.entries(snap.refused)) {
        const delta = n - (refused[limit] ?? 0);
        if (delta > 0) context?.counter(`risk_refused_${limit}_total`, delta);
      }
      refused = snap.refused;
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    }
  }

  return { kill, enforce, run };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
