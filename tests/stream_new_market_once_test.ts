/**
 * The stream recorder stores one `new_market` row per token per listing on the real
 * PostgreSQL server, although the venue broadcasts the listing on every connection: the real
 * NT-recorded payload arrives on three connections (one copy after a flush) and is stored once;
 * a genuinely new listing later, and the same market listed again with a new venue
 * timestamp, are stored.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";
import { silentLogger } from "../runtime/log.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

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
