import assert from "node:assert/strict";
import type { GapRow } from "../db/ops.ts";
import { WsOutages } from "./_ws_outages.ts";

function ledger(id = 3) {
  const rows: GapRow[] = [];
  return { rows, outages: new WsOutages(id, (row) => rows.push(row)) };
}

Deno.test("WsOutages: an outage of a connection with N tokens is one row listing the N tokens", () => {
  const { rows, outages } = ledger();
  const tokens = Array.from({ length: 200 }, (_, i) => `t${i}`);
  outages.open(tokens, { since: 1_000, cause: "disconnected", detail: { code: 1006 } });
  tokens.forEach((t, i) => outages.covered(t, 5_000 + i));
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.equal(row?.scope, "conn:3");
  assert.equal(row?.cause, "disconnected");
  assert.deepEqual(row?.tokens, tokens);
  assert.equal(row?.startAt.getTime(), 1_000);
  assert.equal(row?.endAt.getTime(), 5_199, "ends when the last token resumed");
  assert.deepEqual(row?.detail, { code: 1006, connection: 3, tokens: 200 });
  assert.equal(outages.size, 0);
});

Deno.test("WsOutages: a second drop before every token resumed keeps the uncovered ones in the first outage", () => {
  const { rows, outages } = ledger();
  outages.open(["a", "b", "c"], { since: 1_000, cause: "disconnected" });
  outages.covered("a", 2_000);
  outages.open(["a", "b", "c"], { since: 3_000, cause: "stall" });
  outages.covered("b", 4_000);
  outages.covered("c", 4_100);
  assert.equal(rows.length, 1, "the first outage waits for its last token");
  outages.covered("a", 4_200);
  assert.deepEqual(
    rows.map((r) => [r.cause, r.startAt.getTime(), r.endAt.getTime(), r.tokens]),
    [["disconnected", 1_000, 4_100, ["a", "b", "c"]], ["stall", 3_000, 4_200, ["a"]]],
  );
});

Deno.test("WsOutages: a token without a snapshot leaves the outage instead of stretching it", () => {
  const { rows, outages } = ledger();
  outages.open(["a", "b", "c"], { since: 1_000, cause: "disconnected" });
  outages.covered("a", 2_000);
  outages.covered("b", 2_100);
  outages.overdue("c", 1_500); // subscribed at 1.5 s, no book by the deadline
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]?.tokens, ["a", "b"]);
  assert.equal(rows[0]?.endAt.getTime(), 2_100);
  outages.overdue("c", 40_000); // the retry is overdue too: same outage
  outages.covered("c", 90_000); // given up
  assert.deepEqual(
    rows.map((r) => [r.cause, r.startAt.getTime(), r.endAt.getTime(), r.tokens]),
    [["disconnected", 1_000, 2_100, ["a", "b"]], ["no_snapshot", 1_000, 90_000, ["c"]]],
  );
});

Deno.test("WsOutages: overdue tokens of one subscribe share one no_snapshot row; unknown tokens are ignored", () => {
  const { rows, outages } = ledger(0);
  for (const t of ["x", "y", "z"]) outages.overdue(t, 7_000);
  outages.covered("nobody", 8_000);
  for (const t of ["x", "y", "z"]) outages.covered(t, 9_000);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]?.tokens, ["x", "y", "z"]);
  assert.equal(rows[0]?.cause, "no_snapshot");
  assert.equal(rows[0]?.startAt.getTime(), 7_000);
});
