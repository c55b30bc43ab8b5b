import assert from "node:assert/strict";
import { formatTrading } from "./_trading_status.ts";

const SINCE = new Date(Date.UTC(2026, 11, 6, 10));

Deno.test("formatTrading() says a halt's since, who and why, and how to clear it", () => {
  const line = formatTrading(
    { mode: "halted", halted: true, reason: "stale-books", since: SINCE, updatedBy: "alice" },
    { kind: "absent", port: 9464 },
  );
  assert.equal(
    line,
    "trading: HALTED since 2026-12-06T10:00:00.000Z by alice: stale-books (pmcollect resume " +
      "--reason TEXT lets orders through); no trading process (no running collector answered " +
      "on 127.0.0.1:9464)",
  );
});

Deno.test("formatTrading() adds what the running process's risk task reports", () => {
  const tasks = new Map<string, Record<string, unknown>>([
    ["risk", { tradingMode: "reducing", openOrders: 2, exposure: "12.5", dailyPnl: "-0.4" }],
  ]);
  const active = { mode: "active", halted: false, reason: null, since: SINCE, updatedBy: null };
  assert.equal(
    formatTrading({ ...active, mode: "active" }, { kind: "running", port: 1, tasks }),
    "trading: active; the running process: reducing, 2 open orders, exposure 12.5, today's " +
      "P&L -0.4",
  );
  assert.equal(
    formatTrading({ ...active, mode: "active" }, { kind: "running", port: 1, tasks: new Map() }),
    "trading: active; the running collector does not trade",
  );
});
