import assert from "node:assert/strict";
import { createResolutionInbox } from "./resolution_inbox.ts";
import type { WsMarketResolvedMessage } from "../polymarket/ws_schema.ts";
import type { ConditionId, TokenId } from "../polymarket/ids.ts";

function resolved(market: string, winner = "1"): WsMarketResolvedMessage {
  return {
    kind: "market_resolved",
    market: market as ConditionId,
    timestamp: 1,
    receivedAt: 2,
    marketId: null,
    tokenIds: [],
    winningTokenId: winner as TokenId,
    winningOutcome: "Yes",
  };
}

Deno.test("createResolutionInbox() keeps one message per market, newest wins, bounded", () => {
  const inbox = createResolutionInbox({ capacity: 2 });
  assert.equal(inbox.push(resolved("0xa", "1")), true);
  assert.equal(inbox.push(resolved("0xa", "2")), true);
  assert.equal(inbox.push(resolved("0xb")), true);
  assert.equal(inbox.push(resolved("0xc")), false); // drops 0xa, the oldest
  assert.equal(inbox.dropped, 1);
  assert.deepEqual(inbox.drain().map((m) => m.market), ["0xb", "0xc"]);
  assert.equal(inbox.size, 0);
});

Deno.test("ResolutionInbox.wait() wakes on push, times out, and rejects on abort", async () => {
  const inbox = createResolutionInbox();
  const controller = new AbortController();
  const woke = inbox.wait(10_000, controller.signal);
  inbox.push(resolved("0xa"));
  assert.equal(await woke, true);
  assert.equal(await inbox.wait(10_000, controller.signal), true); // already pending
  inbox.drain();
  assert.equal(await inbox.wait(1, controller.signal), false);
  const waiting = inbox.wait(10_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
});
