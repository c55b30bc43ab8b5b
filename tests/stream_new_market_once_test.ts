/**
 * The stream recorder stores one `new_market` row per token per listing on the real
 * PostgreSQL server, although the venue broadcasts the listing on every connection: the real
 * NT-recorded payload arrives on three connections (one copy after a flush) and is stored once;
 * a genuinely new listing later, and the same market listed again with a new venue
 * timestamp, are stored. Then through the real listener against the simulator: two listings
 * broadcast on six connections give one row per token each.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { silentLogger } from "../runtime/log.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";
import { startSimulator } from "../simulator/server.ts";
import { setup, startCollector, tokensOf, until } from "./_trades_harness.ts";
import { testWithin } from "./_time_limit.ts";

const FIXTURE = new URL(
  "./fixtures/polymarket/ws-market/new_market_nt_2025-12.json",
  import.meta.url,
);
/** When the test "receives" the broadcast: shortly after the payload's venue timestamp. */
const T0 = 1766790415550 + 180;

function frame(raw: unknown, receivedAt: number): WsMessage[] {
  const f = parseWsFrame(JSON.stringify(raw), receivedAt);
  assert.equal(f.rejects.length, 0);
  assert.equal(f.messages[0]?.kind, "new_market");
  return f.messages;
}

Deno.test("StreamRecorder stores a new_market broadcast on 3 connections once per token", async () => {
  const raw = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, unknown>;
  const tokens = raw.assets_ids as string[];
  // Another listing of the same event, derived from the real payload: new id, condition,
  // tokens and timestamp (the venue's next listing an hour later).
  const other = {
    ...raw,
    id: "1031770",
    market: "0x" + "3e".repeat(32),
    condition_id: "0x" + "3e".repeat(32),
    assets_ids: ["7001", "7002"],
    clob_token_ids: ["7001", "7002"],
    timestamp: String(Number(raw.timestamp) + 3_600_000),
  };
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql);
    rec.record(frame(raw, T0), 0);
    rec.record(frame(raw, T0 + 4), 1);
    await rec.flush();
    rec.record(frame(raw, T0 + 950), 2); // a slow connection, after the first copy is stored
    rec.record(frame(other, T0 + 3_600_200), 0);
    rec.record(frame(other, T0 + 3_600_210), 2);
    // The same market listed again: a new venue timestamp is a new broadcast, stored again.
    const again = { ...raw, timestamp: String(Number(raw.timestamp) + 7_200_000) };
    rec.record(frame(again, T0 + 7_200_100), 1);
    await rec.flush();

    const rows = await db.sql<{ tokenId: string; ts: Date; conn: number; price: string }[]>`
      select k.token_id as "tokenId", e.ts, e.conn, e.price::text as price
      from book_events e join token_keys k using (token_key)
      where e.kind = 5 order by e.seq`;
    assert.deepEqual(
      rows.map((r) => [r.tokenId, r.ts.getTime(), r.conn, r.price]),
      [
        [tokens[0], Number(raw.timestamp), 0, "10000"],
        [tokens[1], Number(raw.timestamp), 0, "10000"],
        ["7001", Number(other.timestamp), 0, "10000"],
        ["7002", Number(other.timestamp), 0, "10000"],
        [tokens[0], Number(again.timestamp), 1, "10000"],
        [tokens[1], Number(again.timestamp), 1, "10000"],
      ],
    );
  });
});

testWithin(60_000)(
  "trades: two listings broadcast on six connections are recorded once each",
  async () => {
    // No activity: after the snapshots, the listings are the only messages.
    const sim = await startSimulator({
      markets: 200, // two of them unlisted
      seed: 7,
      tickMs: 50,
      activityPerTick: 0,
      lifecycleRate: 0,
    });
    const t = await setup({
      PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
      PMCOLLECT_WS_TOKENS_PER_CONNECTION: "2",
      PMCOLLECT_STREAM_RECORD: "on",
      PMCOLLECT_QUOTES_INTERVAL_MS: "0",
    });
    try {
      const open = sim.universe.markets.filter((m) => m.status === "open").slice(0, 6);
      t.activeTokens.publish(tokensOf(open));
      const c = await startCollector(t.deps(t.db.sql));
      const counts = () => c.pool.health(Date.now()).map((h) => h.messages);
      await until(() => counts().length === 6 && counts().every((n) => n === 2), 10_000);
      const listed = [sim.control.listMarket(), sim.control.listMarket()];
      assert.ok(listed.every((id) => id !== null));
      // Every connection has received both broadcasts.
      await until(() => counts().every((n) => n === 4), 10_000);
      await c.stop();
      const listings = listed.map((id) => sim.universe.markets.find((m) => m.id === id)!);
      const rows = await t.db.sql<{ tokenId: string; n: number }[]>`
      select k.token_id as "tokenId", count(*)::int as n
      from book_events e join token_keys k using (token_key)
      where e.kind = 5 group by k.token_id`;
      assert.deepEqual(
        rows.map((r) => [r.tokenId, r.n]).sort(),
        listings.flatMap((m) => m.tokenIds).sort().map((id) => [id, 1]),
      );
    } finally {
      await sim.close();
      await t.dispose();
    }
  },
);
