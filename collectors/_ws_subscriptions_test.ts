import assert from "node:assert/strict";
import type { GapRow } from "../db/ops.ts";
import { WsOutages } from "./_ws_outages.ts";
import { WsSubscriptions } from "./_ws_subscriptions.ts";

Deno.test("WsSubscriptions: a token without a snapshot is resubscribed twice, then given up as a no_snapshot gap", () => {
  let now = 0;
  const rows: GapRow[] = [];
  const resubscribed: string[][] = [];
  const subs = new WsSubscriptions({
    snapshotDeadlineMs: 30_000,
    now: () => now,
    outages: new WsOutages(1, (row) => rows.push(row)),
    resubscribed: (ids) => resubscribed.push([...ids]),
  });
  subs.subscribe(["a", "b"], "initial");
  now = 10_000;
  subs.settled("b"); // its book came
  for (now = 30_000; now <= 120_000; now += 30_000) subs.checkSnapshots(now);
  assert.deepEqual(resubscribed, [["a", "b"], ["a"], ["a"]], "twice at most");
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.cause, "no_snapshot");
  assert.deepEqual(rows[0]!.tokens, ["a"]);
  assert.equal(rows[0]!.startAt.getTime(), 0);
  assert.equal(rows[0]!.endAt.getTime(), 90_000, "given up at the third deadline");
  assert.deepEqual(subs.sentOps, { subscribe: 0, unsubscribe: 0 }, "no socket: nothing sent");
});
