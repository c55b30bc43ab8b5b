import assert from "node:assert/strict";
import { eventBatches } from "./forecast_task.ts";

Deno.test("eventBatches() keeps each event's markets in one batch of about the size", () => {
  const rows = [
    ["a1", "A"],
    ["a2", "A"],
    ["a3", "A"],
    ["b1", "B"],
    ["c1", ""],
    ["c2", ""],
    ["d1", "D"],
    ["d2", "D"],
  ].map(([market_id, event_id]) => ({ market_id: market_id!, event_id: event_id! }));
  // Event A (3 markets) is not cut by a size of 2; markets without an event may be cut anywhere.
  assert.deepEqual(eventBatches(rows, 2), [["a1", "a2", "a3"], ["b1", "c1"], ["c2", "d1", "d2"]]);
  assert.deepEqual(eventBatches(rows, 100), [rows.map((r) => r.market_id)]);
  assert.deepEqual(eventBatches([], 5), []);
});
