/**
 * The `trading:` line of `pmcollect status` (issue 30): the stored mode (active, reducing,
 * halted), since when, by whom and why, from `trading_state`; and what the running process's
 * risk task reports (open orders, exposure, the day's P&L) when one trades.
 *
 * @example
 * ```ts
 * import { formatTrading } from "./_trading_status.ts";
 * formatTrading(
 *   { mode: "halted", halted: true, reason: "stale-books", since: new Date(0), updatedBy: "alice" },
 *   { kind: "absent", port: 9464 },
 * );
 * // "trading: HALTED since 1970-01-01T00:00:00.000Z by alice: stale-books (pmcollect resume
 * //  --reason TEXT lets orders through); no trading process (no running collector answered…)"
 * ```
 */
import type { TradingState } from "../execution/trading_state.ts";
import { RISK_TASK } from "../execution/kill_switch.ts";
import { type CollectorHealth, describeCollector } from "./_collector_health.ts";

export function formatTrading(state: TradingState, health: CollectorHealth): string {
  const stored = state.mode === "active"
    ? "trading: active"
    : `trading: ${state.mode.toUpperCase()} since ${state.since.toISOString()}` +
      `${state.updatedBy === null ? "" : ` by ${state.updatedBy}`}: ${
        state.reason ?? "no reason"
      }` +
      ` (pmcollect resume --reason TEXT lets orders through)`;
  if (health.kind !== "running") {
    return `${stored}; no trading process (${describeCollector(health)})`;
  }
  const risk = health.tasks.get(RISK_TASK);
  if (risk === undefined) return `${stored}; the running collector does not trade`;
  const field = (
    name: string,
  ) => (typeof risk[name] === "string" || typeof risk[name] === "number"
    ? String(risk[name])
    : "?");
  return `${stored}; the running process: ${field("tradingMode")}, ${field("openOrders")} open ` +
    `orders, exposure ${field("exposure")}, today's P&L ${field("dailyPnl")}`;
}
