/**
 * The recorded stream against the simulator, through the real listener: across a reconnect
 * of every socket and a database outage, with the engine then paused, the book rebuilt from
 * storage of every subscribed token equals the simulator's own `/book` exactly, and so does
 * the book rebuilt at each past instant where the engine was paused and `/book` sampled; every event
 * recorded is stored once; each connection outage in the gap ledger is closed by a new
 * snapshot (segment) of each token it lists.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import { bookAt } from "../stream/book_at.ts";
import type { StreamRecorder } from "../stream/recorder.ts";
import { PgProxy, setup, startCollector, tokensOf, until } from "./_trades_harness.ts";
import { testDatabaseUrlVia } from "./_db.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);

type Level = { price: string; size: string };

/** REST levels as [price, size], best first. */
function best(levels: Level[], dir: number): string[][] {
  return levels.map((l) => [l.price, l.size]).sort((a, b) => dir * (Number(a[0]) - Number(b[0])));
}

test("stream: after a reconnect and a database outage, bookAt equals the paused simulator's /book", async () => {
  const sim = await startSimulator({ markets: 16, seed: 11, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "6",
    PMCOLLECT_QUOTES_INTERVAL_MS: "200",
    PMCOLLECT_STREAM_CHECKPOINT_EVERY: "50",
    PMCOLLECT_WS_PING_MS: "100",
  });
  const proxy = new PgProxy();
  proxy.open();
  const sql = postgres(testDatabaseUrlVia(proxy.port), {
    max: 4,
    connect_timeout: 2,
    onnotice: () => {},
    connection: { search_path: t.db.schema },
  });
  try {
    const markets = sim.universe.markets.filter((m) => m.status === "open").slice(0, 6);
    const tokens = tokensOf(markets);
    t.activeTokens.publish(tokens);
    let recorder: StreamRecorder | null = null;
    const c = await startCollector({ ...t.deps(sql), onRecorder: (r) => (recorder = r) });
    const rec = () => recorder as unknown as StreamRecorder;
    await until(() => c.pool.connections.length === 2 && rec().stats.rowsWritten > 200, 5000);
    // The simulator's own books at past instants: paused, every book as /book gives it then.
    const history: { at: Date; books: Map<string, { bids: Level[]; asks: Level[] }> }[] = [];
    // Paused, the simulator sends nothing more; what it sent before is in flight until the
    // listener has stamped it. A socket delivers in order and the simulator answers each PING
    // after the frames it sent before, so once every connection has the PONG to a PING sent
    // after the pause, everything sent before it is stamped. (Waiting for 150 ms of quiet was
    // not enough: a starved process ran the timer before reading the socket, and a level then
    // differed at that instant.)
    const settled = async () => {
      const pings = c.pool.connections.map((x) => x.pingsSent);
      await until(
        () => c.pool.connections.every((x, i) => x.state === "open" && x.pongs > pings[i]!),
        5000,
      );
    };
    const sample = async () => {
      sim.control.pause();
      await settled();
      const at = new Date();
      const books = new Map<string, { bids: Level[]; asks: Level[] }>();
      for (const { tokenId } of tokens) {
        const response = await fetch(`${sim.url}/clob/book?token_id=${tokenId}`);
        books.set(tokenId, await response.json());
      }
      history.push({ at, books });
      sim.control.resume();
      await sleep(300);
    };
    await sample();
    await sample();
    assert.equal(sim.control.dropSockets(), 2);
    await until(
      () => c.pool.connections.every((x) => x.reconnects === 1 && x.state === "open"),
      3000,
    );
    await sleep(200);
    await proxy.close();
    await until(() => !rec().databaseUp, 5000);
    await sleep(300);
    proxy.open();
    await until(() => rec().databaseUp && rec().depth === 0, 10_000);
    await sleep(200);
    sim.control.pause();
    await sleep(200);
    await until(() => rec().depth === 0, 5000);
    const recorded = rec().stats.rowsRecorded;
    await sleep(200);
    assert.equal(rec().stats.rowsRecorded, recorded, "the paused simulator sends nothing");

    let compared = 0;
    for (const { tokenId } of tokens) {
      const response = await fetch(`${sim.url}/clob/book?token_id=${tokenId}`);
      const rest = await response.json() as { bids: Level[]; asks: Level[] };
      const r = await bookAt(t.db.sql, tokenId);
      if (!r.covered) {
        // Only a tick change may leave a token uncovered here (its book then waits for a snapshot).
        assert.equal(r.reason, "tick_size_change", tokenId);
        continue;
      }
      assert.deepEqual(r.book.bids, best(rest.bids, -1), `bids of ${tokenId}`);
      assert.deepEqual(r.book.asks, best(rest.asks, 1), `asks of ${tokenId}`);
      compared++;
    }
    assert.ok(compared >= tokens.length - 2, `${compared} of ${tokens.length} books compared`);

    // And at each sampled past instant, the book then.
    let past = 0;
    for (const { at, books } of history) {
      for (const [tokenId, rest] of books) {
        const r = await bookAt(t.db.sql, tokenId, { at });
        if (!r.covered) {
          assert.equal(r.reason, "tick_size_change", `${tokenId} at ${at.toISOString()}`);
          continue;
        }
        assert.deepEqual(
          r.book.bids,
          best(rest.bids, -1),
          `bids of ${tokenId} at ${at.toISOString()}`,
        );
        assert.deepEqual(
          r.book.asks,
          best(rest.asks, 1),
          `asks of ${tokenId} at ${at.toISOString()}`,
        );
        past++;
      }
    }
    assert.ok(past >= history.length * (tokens.length - 2), `${past} past books compared`);

    // Nothing recorded was lost or stored twice, across the outage.
    const [{ n }] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from book_events`;
    assert.equal(n, recorded);
    // Each connection outage ends with the last of its tokens' next snapshots (each token is
    // covered again from its own; on a loaded host they can arrive well apart).
    const gaps = await t.db.sql<{ tokens: string[]; start: Date; end: Date }[]>`
      select tokens, start_at as start, end_at as end from gaps where cause = 'disconnected'`;
    assert.equal(gaps.length, 2);
    for (const g of gaps) {
      let last = -Infinity;
      for (const token of g.tokens) {
        const [first] = await t.db.sql<{ at: Date }[]>`
          select e.received_at as at from book_events e join token_keys k using (token_key)
          where k.token_id = ${token} and e.kind = 0 and e.received_at >= ${g.start}
          order by e.received_at limit 1`;
        assert.ok(first !== undefined, `a snapshot after the outage for ${token}`);
        assert.ok(first.at.getTime() <= g.end.getTime() + 50, `${token} resumes by the gap's end`);
        last = Math.max(last, first.at.getTime());
      }
      assert.ok(
        Math.abs(last - g.end.getTime()) <= 50,
        `the gap ends at its last token's snapshot`,
      );
    }
    await c.stop();
  } finally {
    await sql.end({ timeout: 1 });
    await proxy.close();
    await sim.close();
    await t.dispose();
  }
});
