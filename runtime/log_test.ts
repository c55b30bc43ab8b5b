import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

function collect(base?: Record<string, unknown>) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(base, { write: (line) => lines.push(JSON.parse(line)), now: () => 0 });
  return { log, lines };
}

Deno.test("createLogger() writes ts, level and event first, then base and fields", () => {
  const { log, lines } = collect({ task: "prices" });
  log.warn("cycle_failed", { rows: 3, err: new Error("boom", { cause: "x" }), big: 5n });
  assert.deepEqual(lines, [{
    ts: "1970-01-01T00:00:00.000Z",
    level: "warn",
    event: "cycle_failed",
    task: "prices",
    rows: 3,
    err: { name: "Error", message: "boom", cause: "x" },
    big: "5",
  }]);
  assert.deepEqual(Object.keys(lines[0]!).slice(0, 3), ["ts", "level", "event"]);
});

// The disk task reports `level: "ok" | "warn" | "shed_quotes" | "shed_books"`, and
// runHealthLog spread that report into its info line: the collector's log then carried
// `"level":"ok"` every minute, and a disk at "warn" made an info line read as a warning.
Deno.test("createLogger() keeps the line's level, ts and event when a field has the same name", () => {
  const { log, lines } = collect({ event: "from_base" });
  log.info("task_health", { task: "disk", level: "shed_quotes", ts: "then", freePct: 4 });
  assert.deepEqual(lines, [{
    ts: "1970-01-01T00:00:00.000Z",
    level: "info",
    event: "task_health",
    task: "disk",
    freePct: 4,
    tsField: "then",
    levelField: "shed_quotes",
    eventField: "from_base",
  }]);
});

Deno.test("createLogger() filters below its level and child() adds fields", () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ a: 1 }, { level: "warn", write: (l) => lines.push(JSON.parse(l)) });
  log.info("dropped");
  log.child({ b: 2 }).error("kept", { c: 3 });
  assert.deepEqual(lines.map((l) => [l.level, l.event, l.a, l.b, l.c]), [[
    "error",
    "kept",
    1,
    2,
    3,
  ]]);
});
